"""Distributed target ``kubeflow``: PyTorchJob / TFJob / XGBoostJob (``kubeflow.org/v1``), MPIJob
(``v2beta1``).

| framework | replica specs (role section) | container | restartPolicy |
|---|---|---|---|
| PyTorch | Master (master, 1), Worker (worker, workers) | ``pytorch`` | OnFailure |
| TF | Chief (master, 1), PS (worker, tfReplicas.ps), Worker, Evaluator (worker) | ``tensorflow`` | Never |
| MPI | Launcher (master, 1), Worker (worker, workers) | ``launcher`` / ``worker`` | OnFailure / Never |
| XGBoost | Master (master, 1), Worker (worker, workers) | ``xgboost`` | Never |

``runPolicy``: cleanPodPolicy (default Running), backoffLimit, ttlSecondsAfterFinished,
``suspend`` when stopped or under Kueue. PyTorch ``minReplicas``/``maxReplicas`` → an
``elasticPolicy`` (c10d rendezvous); MPI ``slotsPerWorker`` and ``launcherCreationPolicy:
WaitForWorkersReady`` (always: the launcher's mpirun needs the workers' sshd). The operator names pods and Services
``<name>-<replica type>-<index>``: each must be a DNS-1035 label.
"""
from __future__ import annotations

from dataclasses import dataclass

from compiler.lower.common import DNS_1035, Ctx, metadata
from compiler.lower.distributed.model import (
    ROLE_LABEL,
    RoleSpec,
    Topology,
    dedupe_objects,
    dedupe_problems_since,
    lifecycle,
    role_spec,
    suspended,
)
from compiler.lower.network import lower_network
from compiler.lower.pod import build_pod
from compiler.lower.scheduling import scheduler_labels
from compiler.shapes import K8sObject

REPLICA_INDEX_LABEL = "training.kubeflow.org/replica-index"  # set by the operator
#: MPIJob ``launcherCreationPolicy``: wlc's default (the operator's own is AtStartup)
MPI_LAUNCHER_POLICY = "WaitForWorkersReady"


@dataclass(frozen=True)
class Replica:
    type: str  # Master, Worker, Chief, PS, Evaluator, Launcher
    role: str  # the spec section: master or worker
    count: int
    container: str
    restart: str


@dataclass(frozen=True)
class Kind:
    api_version: str
    kind: str
    specs_key: str


KINDS = {
    "PyTorch": Kind("kubeflow.org/v1", "PyTorchJob", "pytorchReplicaSpecs"),
    "TF": Kind("kubeflow.org/v1", "TFJob", "tfReplicaSpecs"),
    "MPI": Kind("kubeflow.org/v2beta1", "MPIJob", "mpiReplicaSpecs"),
    "XGBoost": Kind("kubeflow.org/v1", "XGBoostJob", "xgbReplicaSpecs"),
}


def replicas(topo: Topology) -> list[Replica]:
    """The replica specs of the job, primary (master/chief/launcher) first; none with 0 pods."""
    if topo.framework == "PyTorch":
        out = [Replica("Master", "master", 1, "pytorch", "OnFailure"),
               Replica("Worker", "worker", topo.workers, "pytorch", "OnFailure")]
        return [r for r in out if r.count and (r.role != "master" or topo.master)]
    if topo.framework == "TF":
        out = [Replica("Chief", "master", 1, "tensorflow", "Never"),
               Replica("PS", "worker", topo.ps, "tensorflow", "Never"),
               Replica("Worker", "worker", topo.workers, "tensorflow", "Never"),
               Replica("Evaluator", "worker", topo.evaluator, "tensorflow", "Never")]
        return [r for r in out if r.count and (r.role != "master" or topo.master)]
    if topo.framework == "XGBoost":  # the operator's default restartPolicy; Master is required
        out = [Replica("Master", "master", 1, "xgboost", "Never"),
               Replica("Worker", "worker", topo.workers, "xgboost", "Never")]
        return [r for r in out if r.count]
    return [Replica("Launcher", "master", 1, "launcher", "OnFailure"),
            Replica("Worker", "worker", topo.workers, "worker", "Never")]


def lower_kubeflow(ctx: Ctx, topo: Topology) -> list[K8sObject]:
    rw = ctx.rw
    kind = KINDS[topo.framework]
    reps = replicas(topo)
    _check_names(ctx, reps)
    specs, side = _replica_specs(ctx, reps)
    run_policy = lifecycle(ctx)
    if suspended(ctx):
        run_policy["suspend"] = True
    spec: K8sObject = {"runPolicy": run_policy, kind.specs_key: specs}
    if topo.elastic is not None:
        spec["elasticPolicy"] = {"minReplicas": topo.elastic[0], "maxReplicas": topo.elastic[1],
                                 "rdzvBackend": "c10d"}
    elif topo.framework == "PyTorch" and not topo.master:
        # Workers only: the operator sets MASTER_ADDR, WORLD_SIZE and RANK only when there is a
        # Master replica, so a fixed-size job gets a c10d rendezvous at worker 0 instead
        # (PET_RDZV_ENDPOINT, PET_NNODES: what torchrun reads), with min = max = workers.
        spec["elasticPolicy"] = {"minReplicas": topo.workers, "maxReplicas": topo.workers,
                                 "rdzvBackend": "c10d"}
    if topo.framework == "MPI":
        _mpi_fields(spec, topo)
    job = {"apiVersion": kind.api_version, "kind": kind.kind,
           "metadata": metadata(rw, rw.name, labels=scheduler_labels(ctx)), "spec": spec}
    net = lower_network(ctx)
    select_primary(net, reps[0])
    return [job, *dedupe_objects(ctx, side), *net]


def _mpi_fields(spec: K8sObject, topo: Topology) -> None:
    """slotsPerWorker, and the launcher created once every worker is Ready: with the operator's
    default (AtStartup) mpirun may start before the workers' sshd answers and fail."""
    if topo.slots is not None:
        spec["slotsPerWorker"] = topo.slots
    spec["launcherCreationPolicy"] = MPI_LAUNCHER_POLICY


def _replica_specs(ctx: Ctx, reps: list[Replica]) -> tuple[K8sObject, list[K8sObject]]:
    """(replica type → replica spec, the pods' side objects); each role's pod problems once."""
    roles = {role: role_spec(ctx.rw, role) for role in ("master", "worker")}
    specs: K8sObject = {}
    side: list[K8sObject] = []
    start = len(ctx.problems)
    for rep in reps:
        rs: RoleSpec = roles[rep.role]
        pod = build_pod(ctx, rs.spec, container_name=rep.container, restart_policy=rep.restart,
                        prefix=rs.prefix, extra_labels={ROLE_LABEL: rep.type.lower()})
        specs[rep.type] = {"replicas": rep.count, "restartPolicy": rep.restart,
                           "template": pod.template}
        side.extend(pod.objects)
    dedupe_problems_since(ctx, start)
    return specs, side


def select_primary(objects: list[K8sObject], primary: Replica) -> None:
    """Services of the workload's ports reach the primary pod only (master/chief/launcher, or
    worker 0 when there is none), not every replica."""
    selector = {ROLE_LABEL: primary.type.lower()}
    if primary.role == "worker":
        selector[REPLICA_INDEX_LABEL] = "0"
    for obj in objects:
        if obj.get("kind") == "Service":
            obj["spec"]["selector"] = {**obj["spec"]["selector"], **selector}


def _check_names(ctx: Ctx, reps: list[Replica]) -> None:
    name = ctx.rw.name
    if not DNS_1035.match(name):
        ctx.doc_problem(("metadata", "name"), "lower.name",
                        f"workload name {name!r} must start with a letter: the operator names Services "
                        "after it (DNS-1035)")
        return
    for rep in reps:
        longest = f"{name}-{rep.type.lower()}-{rep.count - 1}"
        if len(longest) > 63:
            ctx.doc_problem(("metadata", "name"), "lower.name-too-long",
                            f"pod and Service name {longest!r} has {len(longest)} characters (at most 63); "
                            "shorten the workload name")
            return
