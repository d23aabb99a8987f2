"""Distributed target ``native``: PyTorch and TF without an operator.

An indexed ``batch/v1`` Job (``completionMode: Indexed``, ``completions = parallelism = N``) plus
a headless Service ``<name>-headless`` set as the pods' ``subdomain``: pod ``i`` is reachable as
``<name>-<i>.<name>-headless``. Every rank runs the same pod template, so ``master`` overrides
that differ from the workers' are refused (they need the kubeflow target). N is the workers plus
the master (rank 0), if any.

The rank comes from the pod annotation ``batch.kubernetes.io/job-completion-index`` through a
``fieldRef``; the other variables are constants or ``$(VAR)`` expansions of earlier variables
(the kubelet expands ``$(NAME)`` of variables defined before in the same list), so no shell
wrapper or image change is needed:

- PyTorch (torchrun reads ``PET_*``; plain ``torch.distributed`` reads the rest):
  ``RANK``, ``PET_NODE_RANK`` (the index), ``WORLD_SIZE`` = ``PET_NNODES`` = N,
  ``PET_NPROC_PER_NODE=auto``, ``MASTER_ADDR`` = ``PET_MASTER_ADDR`` = ``<name>-0.<svc>``,
  ``MASTER_PORT`` = ``PET_MASTER_PORT`` = 29500. (As Kubeflow with its default nprocPerNode
  ``auto``: WORLD_SIZE counts pods.)
- TF: ``TF_TASK_INDEX`` (the index) and ``TF_CONFIG`` =
  ``{"cluster":{"worker":[<name>-0.<svc>:2222,...]},"task":{"type":"worker","index":$(TF_TASK_INDEX)}}``.
  Workers only (worker 0 is TF's chief): a chief, PS or evaluator needs the kubeflow target,
  because an index cannot be turned into a different task type by expansion.

MPI, elastic PyTorch (an indexed Job's size is fixed) and XGBoost need the kubeflow target.
"""
from __future__ import annotations

import json

from compiler.labels import pod_labels
from compiler.lower.common import DNS_1035, Ctx, metadata
from compiler.lower.distributed.model import Topology, lifecycle, role_spec, suspended
from compiler.lower.network import lower_network
from compiler.lower.pod import build_pod
from compiler.lower.scheduling import scheduler_labels
from compiler.model import ResolvedWorkload
from compiler.shapes import EnvVar, K8sObject

INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index"
INDEX_LABEL = "batch.kubernetes.io/job-completion-index"  # also a pod label (Kubernetes 1.28+)
TORCH_PORT = 29500
TF_PORT = 2222


def index_ref() -> K8sObject:
    """``valueFrom`` of the pod's completion index (a fresh dict each time)."""
    return {"fieldRef": {"fieldPath": f"metadata.annotations['{INDEX_ANNOTATION}']"}}


def headless_service_name(workload: str) -> str:
    return f"{workload}-headless"


def lower_native(ctx: Ctx, topo: Topology) -> list[K8sObject]:
    rw = ctx.rw
    if not _supported(ctx, topo):
        return []
    nodes = topo.workers + int(topo.master)
    svc = headless_service_name(rw.name)
    _check_names(ctx, nodes, svc)
    worker = role_spec(rw, "worker")
    pod = build_pod(ctx, worker.spec, container_name="main", restart_policy="Never",
                    prefix=worker.prefix)
    pod_spec = pod.template["spec"]
    pod_spec["subdomain"] = svc
    container = pod_spec["containers"][0]
    env = torch_env(rw.name, svc, nodes) if topo.framework == "PyTorch" else tf_env(rw.name, svc, nodes)
    _check_env(ctx, container["env"], env)
    container["env"] = env + container["env"]
    runp = lifecycle(ctx)
    spec: K8sObject = {"completionMode": "Indexed", "completions": nodes, "parallelism": nodes,
                            "backoffLimit": runp.get("backoffLimit", 0)}
    if "ttlSecondsAfterFinished" in runp:
        spec["ttlSecondsAfterFinished"] = runp["ttlSecondsAfterFinished"]
    _clean_pod_policy(ctx, runp.get("cleanPodPolicy"))
    if suspended(ctx):
        spec["suspend"] = True
    spec["template"] = pod.template
    job = {"apiVersion": "batch/v1", "kind": "Job",
           "metadata": metadata(rw, rw.name, labels=scheduler_labels(ctx)), "spec": spec}
    port = TORCH_PORT if topo.framework == "PyTorch" else TF_PORT
    net = lower_network(ctx)
    for obj in net:
        if obj.get("kind") == "Service":  # the ports of rank 0
            obj["spec"]["selector"] = {**obj["spec"]["selector"], INDEX_LABEL: "0"}
    return [job, headless(rw, svc, port), *pod.objects, *net]


def _supported(ctx: Ctx, topo: Topology) -> bool:
    hint = "; use target distributed: kubeflow"
    if topo.framework == "MPI":
        ctx.problem(("framework",), "lower.target",
                    "MPI needs the kubeflow target (the MPI operator starts the launcher after the "
                    f"workers and distributes SSH keys and the hostfile){hint}")
        return False
    if topo.framework == "XGBoost":
        ctx.problem(("framework",), "lower.target",
                    "XGBoost needs the kubeflow target (the training operator's XGBoostJob runs the "
                    f"Rabit tracker on the master and sets MASTER_ADDR, WORKER_ADDRS and RANK){hint}")
        return False
    ok = True
    if topo.elastic is not None:
        ctx.problem(("minReplicas",), "lower.target",
                    f"elastic PyTorch (minReplicas/maxReplicas) needs the kubeflow target: an indexed "
                    f"Job has a fixed size{hint}")
        ok = False
    if topo.framework == "TF" and (topo.master or topo.ps or topo.evaluator):
        ctx.problem(("noMaster",) if topo.master else ("tfReplicas",), "lower.target",
                    "TF on the native target runs workers only (worker 0 is TF's chief): set "
                    f"noMaster: true and no tfReplicas{hint}")
        ok = False
    master, worker = role_spec(ctx.rw, "master"), role_spec(ctx.rw, "worker")
    if topo.master and topo.workers and master.spec != worker.spec:
        ctx.problem(("master",), "lower.target",
                    "the native target runs every rank from one pod template, so the master cannot "
                    f"differ from the workers (move the settings to the workload level){hint}")
        ok = False
    return ok


def torch_env(job: str, svc: str, nodes: int) -> list[EnvVar]:
    addr = f"{job}-0.{svc}"
    return [
        {"name": "RANK", "valueFrom": index_ref()},
        {"name": "PET_NODE_RANK", "valueFrom": index_ref()},
        {"name": "WORLD_SIZE", "value": str(nodes)},
        {"name": "PET_NNODES", "value": str(nodes)},
        {"name": "PET_NPROC_PER_NODE", "value": "auto"},
        {"name": "MASTER_ADDR", "value": addr},
        {"name": "MASTER_PORT", "value": str(TORCH_PORT)},
        {"name": "PET_MASTER_ADDR", "value": addr},
        {"name": "PET_MASTER_PORT", "value": str(TORCH_PORT)},
    ]


def tf_env(job: str, svc: str, nodes: int) -> list[EnvVar]:
    cluster = {"worker": [f"{job}-{i}.{svc}:{TF_PORT}" for i in range(nodes)]}
    config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": 0}},
                        separators=(",", ":"), sort_keys=True)
    config = config.replace('"index":0', '"index":$(TF_TASK_INDEX)')
    return [{"name": "TF_TASK_INDEX", "valueFrom": index_ref()},
            {"name": "TF_CONFIG", "value": config}]


def _check_env(ctx: Ctx, user: list[EnvVar], ours: list[EnvVar]) -> None:
    names = {v["name"] for v in ours}
    for var in user:
        if var["name"] in names:
            ctx.problem(("environmentVariables",), "lower.reserved-env",
                        f"environment variable {var['name']} is set by the native distributed target "
                        "(rank, world size, master address); remove it")


def _clean_pod_policy(ctx: Ctx, policy: str | None) -> None:
    if policy == "All" and ctx.get("cleanPodPolicy") is not None:
        ctx.problem(("cleanPodPolicy",), "lower.clean-pod-policy",
                    "cleanPodPolicy All has no indexed-Job equivalent: finished pods stay until the "
                    "Job is deleted (set autoDeletionTimeAfterCompletionSeconds)", "warning")


def headless(rw: ResolvedWorkload, name: str, port: int) -> K8sObject:
    """The headless Service that gives every rank a DNS name (``<job>-<i>.<svc>``)."""
    return {"apiVersion": "v1", "kind": "Service", "metadata": metadata(rw, name),
            "spec": {"clusterIP": "None", "publishNotReadyAddresses": True,
                     "selector": pod_labels(rw.name, rw.project.name),
                     "ports": [{"name": "dist", "port": port, "targetPort": port, "protocol": "TCP"}]}}


def _check_names(ctx: Ctx, nodes: int, svc: str) -> None:
    name = ctx.rw.name
    if not DNS_1035.match(svc) or len(svc) > 63:
        ctx.doc_problem(("metadata", "name"), "lower.name",
                        f"headless Service name {svc!r} must be a DNS-1035 label (start with a letter, "
                        "at most 63 characters)")
    host = f"{name}-{nodes - 1}"
    if len(host) > 63:
        ctx.doc_problem(("metadata", "name"), "lower.name-too-long",
                        f"pod hostname {host!r} has {len(host)} characters (at most 63); shorten the "
                        "workload name")
