"""Every flag of ``wlc new TYPE``, for every type, written with the CLI and then built: its value
is at its own place in the emitted Kubernetes objects (``CASES``: flag → object, path, value), or
the flag is listed in ``NO_OBJECT`` with the reason nothing shows. A flag added to the table
without either fails ``test_every_flag_of_every_type_is_shown_or_explained``.

The repository is this project's examples with the Run:ai scheduler (GPU fractions and GPU
memory need it), an S3 CSI driver (``--s3`` needs one) and without policies/cluster-security.yaml
(it forbids the privilege switches; test_verbs_new shows that refusal)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from compiler import pipeline
from compiler.edit import flags as table
from tests.verbskit import example_repo, wlc

IMAGE = "nvcr.io/nvidia/pytorch:24.10-py3"
ABSENT = object()

#: the main object and its (worker) pod spec of each type
POD = {"training": ("Job", "spec template spec"), "workspace": ("StatefulSet", "spec template spec"),
       "distributed": ("PyTorchJob", "spec pytorchReplicaSpecs Worker template spec"),
       "inference": ("Deployment", "spec template spec")}
MASTER = "spec pytorchReplicaSpecs Master template spec"
LAUNCHER = "spec mpiReplicaSpecs Launcher template spec"


@dataclass(frozen=True)
class Case:
    """Where a flag's example value must be: ``where`` is ``pod``, ``main`` (the main container),
    ``top`` (the workload's main object) or a kind (``Kind`` or ``Kind/name``)."""

    where: str
    path: str
    value: Any
    group: str = "every"
    types: frozenset[str] = table.ALL


def _c(where: str, path: str, value: Any, group: str = "every", types: frozenset[str] = table.ALL) -> Case:
    return Case(where, path, value, group, types)


_T, _W, _D, _I = (frozenset({t}) for t in ("training", "workspace", "distributed", "inference"))
_VOL = "volumes [name={}]"

CASES: dict[str, list[Case]] = {
    "--image": [_c("main", "image", IMAGE)],
    "--image-pull-policy": [_c("main", "imagePullPolicy", "IfNotPresent")],
    "--working-dir": [_c("main", "workingDir", "/workspace")],
    "--environment": [_c("main", "env [name=WANDB_MODE] value", "offline")],
    "--template": [_c("main", "env [name=HF_HOME] value", "/cache/huggingface", "assets")],
    "--environment-asset": [_c("main", "image", "quay.io/jupyter/pytorch-notebook:cuda12-2024-10-07", "envasset", _W),
                            _c("main", "env [name=NCCL_DEBUG] value", "WARN", "envasset", table.ALL - _W)],
    "--compute": [_c("main", "resources requests cpu", "4", "assets")],
    "--data-source": [_c("pod", "volumes [name=pvc-imagenet-ro] persistentVolumeClaim claimName", "imagenet-ro",
                         "assets")],
    "--gpu-devices-request": [_c("main", "resources limits nvidia.com/gpu", 2)],
    "--gpu-request-type": [_c("pod", ".. metadata annotations gpu-memory", "10240", "memory")],
    "--gpu-portion-request": [_c("pod", ".. metadata annotations gpu-fraction", "0.5", "portion")],
    "--gpu-portion-limit": [_c("pod", ".. metadata annotations gpu-fraction-limit", "0.75", "portion")],
    "--gpu-memory-request": [_c("pod", ".. metadata annotations gpu-memory", "10240", "memory")],
    "--gpu-memory-limit": [_c("pod", ".. metadata annotations gpu-memory-limit", "20480", "memory")],
    "--mig-profile": [_c("main", "resources limits nvidia.com/mig-1g.10gb", 1, "mig")],
    "--cpu-core-request": [_c("main", "resources requests cpu", "500m")],
    "--cpu-core-limit": [_c("main", "resources limits cpu", "500m")],
    "--cpu-memory-request": [_c("main", "resources requests memory", "16Gi")],
    "--cpu-memory-limit": [_c("main", "resources limits memory", "32Gi")],
    "--large-shm": [_c("pod", _VOL.format("dshm") + " emptyDir medium", "Memory")],
    "--existing-pvc": [_c("pod", _VOL.format("pvc-datasets") + " persistentVolumeClaim claimName", "datasets"),
                       _c("main", "volumeMounts [name=pvc-datasets] readOnly", True)],
    "--new-pvc": [_c("PersistentVolumeClaim/ckpt", "spec resources requests storage", "100Gi"),
                  _c("PersistentVolumeClaim/ckpt", "spec storageClassName", "fast-ssd"),
                  _c("main", "volumeMounts [name=pvc-ckpt] mountPath", "/ckpt")],
    "--host-path": [_c("pod", _VOL.format("host-scratch") + " hostPath path", "/mnt/scratch"),
                    _c("main", "volumeMounts [name=host-scratch] readOnly", ABSENT)],
    "--nfs": [_c("pod", _VOL.format("nfs-shared") + " nfs server", "nfs.example.com"),
              _c("main", "volumeMounts [name=nfs-shared] mountPath", "/shared")],
    "--git-sync": [_c("pod", "initContainers [name=git-code] args", "--repo=https://github.com/example/train.git"),
                   _c("pod", "initContainers [name=git-code] args", "--ref=main")],
    "--s3": [_c("pod", _VOL.format("s3-corpus") + " csi volumeAttributes bucket", "corpus-v2"),
             _c("pod", _VOL.format("s3-corpus") + " csi nodePublishSecretRef name", "s3-keys"),
             _c("main", "volumeMounts [name=s3-corpus] mountPath", "/corpus")],
    "--configmap-map-volume": [_c("pod", _VOL.format("cm-settings") + " configMap name", "train-config")],
    "--secret-volume": [_c("pod", _VOL.format("secret-keys") + " secret secretName", "api-keys")],
    "--port": [_c("Service", "spec ports [name=port-8888] targetPort", 8888),
               _c("Service", "spec type", "ClusterIP")],
    "--external-url": [_c("Ingress", "spec rules 0 host", "nb.example.com")],
    "--node-pools": [_c("pod", "affinity nodeAffinity requiredDuringSchedulingIgnoredDuringExecution nodeSelectorTerms 0 "
                               "matchExpressions [key=run.ai/node-pool] values", ["h100", "a100"])],
    "--node-type": [_c("pod", "affinity nodeAffinity requiredDuringSchedulingIgnoredDuringExecution nodeSelectorTerms 0 "
                              "matchExpressions [key=run.ai/type] values", ["a100-80g"])],
    "--toleration": [_c("pod", "tolerations [key=nvidia.com/gpu] effect", "NoSchedule")],
    "--priority-class": [_c("pod", "priorityClassName", "high")],
    "--label": [_c("top", "metadata labels team", "nlp"), _c("pod", ".. metadata labels team", "nlp")],
    "--annotation": [_c("top", "metadata annotations owner", "alice"), _c("pod", ".. metadata annotations owner", "alice")],
    "--capability": [_c("main", "securityContext capabilities add", "SYS_PTRACE")],
    "--user-group-source": [_c("pod", "securityContext runAsUser", ABSENT, "image-user")],
    "--run-as-user": [_c("pod", "securityContext runAsNonRoot", True, "idp")],
    "--run-as-uid": [_c("pod", "securityContext runAsUser", 1000)],
    "--run-as-gid": [_c("pod", "securityContext runAsGroup", 1000)],
    "--supplemental-groups": [_c("pod", "securityContext supplementalGroups", [100, 200])],
    "--allow-privilege-escalation": [_c("main", "securityContext allowPrivilegeEscalation", True)],
    "--host-ipc": [_c("pod", "hostIPC", True)],
    "--host-network": [_c("pod", "hostNetwork", True)],
    "--extended-resource": [_c("main", "resources limits hugepages-2Mi", "1Gi")],
    "--preferred-pod-topology-key": [_c("pod", "affinity podAffinity preferredDuringSchedulingIgnoredDuringExecution 0 "
                                               "podAffinityTerm topologyKey", "kubernetes.io/hostname")],
    "--required-pod-topology-key": [_c("pod", "affinity podAffinity requiredDuringSchedulingIgnoredDuringExecution 0 "
                                              "topologyKey", "kubernetes.io/hostname", "topology")],
    "--seccomp-profile": [_c("pod", "securityContext seccompProfile type", "RuntimeDefault")],
    "--preemptible": [_c("pod", "priorityClassName", "interactive-preemptible", "preemptible")],
    "--backoff-limit": [_c("top", "spec backoffLimit", 2, types=_T), _c("top", "spec runPolicy backoffLimit", 2, types=_D)],
    "--auto-deletion-time-after-completion": [_c("top", "spec ttlSecondsAfterFinished", 7200, types=_T),
                                              _c("top", "spec runPolicy ttlSecondsAfterFinished", 7200, types=_D)],
    "--runs": [_c("top", "spec completions", 2)],
    "--parallelism": [_c("top", "spec parallelism", 2)],
    "--framework": [_c("top", "kind", "PyTorchJob"), _c("TFJob", "kind", "TFJob", "tf"),
                    _c("MPIJob", "kind", "MPIJob", "mpi"), _c("XGBoostJob", "kind", "XGBoostJob", "xgboost")],
    "--workers": [_c("top", "spec pytorchReplicaSpecs Worker replicas", 2),
                  _c("TFJob", "spec tfReplicaSpecs Worker replicas", 2, "tf"),
                  _c("MPIJob", "spec mpiReplicaSpecs Worker replicas", 2, "mpi"),
                  _c("XGBoostJob", "spec xgbReplicaSpecs Worker replicas", 2, "xgboost")],
    "--no-master": [_c("top", "spec pytorchReplicaSpecs Master", ABSENT, "no-master")],
    "--clean-pod-policy": [_c("top", "spec runPolicy cleanPodPolicy", "All")],
    "--slots-per-worker": [_c("MPIJob", "spec slotsPerWorker", 2, "mpi")],
    "--min-replicas": [_c("top", "spec elasticPolicy minReplicas", 2, types=_D),
                       _c("HorizontalPodAutoscaler", "spec minReplicas", 1, "autoscale", _I)],
    "--max-replicas": [_c("top", "spec elasticPolicy maxReplicas", 2, types=_D),
                       _c("HorizontalPodAutoscaler", "spec maxReplicas", 3, "autoscale", _I)],
    "--master-command": [_c("top", MASTER + " containers 0 command", ["torchrun", "master.py"])],
    "--master-args": [_c("top", MASTER + " containers 0 args", ["--rank", "0"])],
    "--master-environment": [_c("top", MASTER + " containers 0 env [name=WANDB_MODE] value", "offline")],
    "--master-gpu-devices-request": [_c("top", MASTER + " containers 0 resources limits nvidia.com/gpu", 2)],
    "--master-gpu-portion-request": [_c("MPIJob", LAUNCHER + " .. metadata annotations gpu-fraction", "0.5", "mpi")],
    "--master-gpu-portion-limit": [_c("MPIJob", LAUNCHER + " .. metadata annotations gpu-fraction-limit", "0.75", "mpi")],
    "--master-extended-resource": [_c("top", MASTER + " containers 0 resources limits example.com/fpga", "1")],
    "--serving-port": [_c("main", "ports [containerPort=8000] containerPort", 8000),
                       _c("Service", "spec ports [targetPort=8000] port", 8000)],
    "--metric": [_c("HorizontalPodAutoscaler", "spec metrics 0 resource name", "cpu", "autoscale")],
    "--metric-threshold": [_c("HorizontalPodAutoscaler", "spec metrics 0 resource target averageUtilization", 70,
                              "autoscale")],
}

#: flags whose value reaches no Kubernetes object, and why
NO_OBJECT = {

    "--create-home-dir": "Run:ai's admission controller makes the home folder; wlc emits nothing for it "
                         "(docs/runai-import.md; a warning when the scheduler is not runai)",
}

#: the groups of flags built together: the flags and values of each, beyond every type's minimum
GROUPS: dict[str, list[str]] = {
    "assets": ["--template", "pytorch-train", "--compute", "one-gpu", "--data-source", "imagenet"],
    "envasset": [],  # jupyter-lab for a workspace, pytorch for the others (ENVIRONMENT)
    "portion": ["--gpu-request-type", "portion", "--gpu-portion-request", "0.5", "--gpu-portion-limit", "0.75"],
    "memory": ["--gpu-request-type", "memory", "--gpu-memory-request", "10Gi", "--gpu-memory-limit", "20Gi"],
    "mig": ["--gpu-request-type", "migProfile", "--mig-profile", "1g.10gb"],
    "image-user": ["--user-group-source", "fromTheImage", "--run-as-uid", "1000"],
    "topology": ["--required-pod-topology-key", "kubernetes.io/hostname"],
    "preemptible": ["--preemptible"],
    "no-master": ["--no-master", "--workers", "2"],
    "mpi": ["--framework", "MPI", "--workers", "2", "--slots-per-worker", "2", "--master-gpu-portion-request", "0.5",
            "--master-gpu-portion-limit", "0.75"],
    "idp": ["--run-as-user"],
    "tf": ["--framework", "tf", "--workers", "2"],
    "xgboost": ["--framework", "xgboost", "--workers", "2"],
    "autoscale": ["--serving-port", "container=8000", "--min-replicas", "1", "--max-replicas", "3", "--metric",
                  "cpu-utilization", "--metric-threshold", "70", "--cpu-core-request", "1"],
}
#: what each type needs besides its group's flags
MINIMUM = {"training": ["-i", IMAGE], "workspace": ["-i", IMAGE], "distributed": ["-i", IMAGE, "--framework", "PyTorch"],
           "inference": ["-i", IMAGE, "--serving-port", "container=8000"]}


ENVIRONMENT = {"workspace": "jupyter-lab"}


def _cases(wtype: str) -> list[tuple[str, Case]]:
    names = {f.long for f in table.flags_for(wtype)}
    return [(flag, case) for flag, cases in CASES.items() if flag in names for case in cases if wtype in case.types]


def _every_args(wtype: str) -> list[str]:
    """The flags of the ``every`` group with their table examples (and the master's own ones)."""
    grouped = {flag for flag, case in _cases(wtype) if case.group != "every"} - \
        {flag for flag, case in _cases(wtype) if case.group == "every"}
    given = set(MINIMUM[wtype]) - {IMAGE}
    chosen = [f for f in table.flags_for(wtype)
              if f.long not in grouped and f.long not in NO_OBJECT and not given & set(f.names)]
    return [a for f in chosen for a in ([f.long] if f.mode == "switch" else [f.long, f.example])]


def _groups(wtype: str) -> dict[str, list[str]]:
    used = {case.group for _, case in _cases(wtype)}
    out = {"every": MINIMUM[wtype] + _every_args(wtype), "no-object": MINIMUM[wtype] + sorted(NO_OBJECT)}
    for group in sorted(used - {"every"}):
        flags = GROUPS[group]
        base = MINIMUM[wtype]
        if "--framework" in flags:
            base = ["-i", IMAGE]
        if group == "envasset":
            base, flags = base[2:], ["--environment-asset", ENVIRONMENT.get(wtype, "pytorch")]
        if group == "autoscale":
            base = base[:2]
        out[group] = base + flags
    return out


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = example_repo(tmp_path)
    config = root / "wlc.yaml"
    config.write_text(config.read_text().replace(
        "    scheduler: default\n", "    scheduler: runai\n    s3:\n      csiDriver: csi.s3.example\n"))
    (root / "policies" / "cluster-security.yaml").unlink()
    return root


def _walk(node: Any, path: str, parents: list[Any]) -> Any:
    for part in path.split():
        if part == "..":
            node = parents.pop()
            continue
        parents.append(node)
        if part.startswith("[") and isinstance(node, list):
            key, _, want = part[1:-1].partition("=")
            node = next((i for i in node if isinstance(i, dict) and str(i.get(key)) == want), ABSENT)
        elif part.isdigit() and isinstance(node, list):
            node = node[int(part)] if int(part) < len(node) else ABSENT
        elif isinstance(node, dict):
            node = node.get(part, ABSENT)
        else:
            return ABSENT
        if node is ABSENT:
            return ABSENT
    return node


def _locate(objects: list[dict[str, Any]], wtype: str, case: Case) -> Any:
    kind, pod = POD[wtype]
    where, path = case.where, case.path
    if where in ("pod", "main"):
        path = f"{pod} {'containers 0 ' if where == 'main' else ''}{path}"
    if where in ("pod", "main", "top"):
        where = kind
    want_kind, _, want_name = where.partition("/")
    found = [o for o in objects if o["kind"] == want_kind and (not want_name or o["metadata"]["name"] == want_name)]
    assert found, f"no {where} among {[o['kind'] for o in objects]}"
    return _walk(found[0], path, [])


def _shows(value: Any, expected: Any) -> bool:
    if expected is ABSENT:
        return value is ABSENT
    if isinstance(value, list) and not isinstance(expected, list):
        return expected in value
    return bool(value == expected or (isinstance(expected, str) and str(value) == expected))


@pytest.mark.parametrize("wtype", table.TYPES)
def test_every_flag_value_arrives_in_the_emitted_objects(repo: Path, wtype: str) -> None:
    groups = _groups(wtype)
    for group, args in groups.items():
        code, out, err = wlc(repo, "new", wtype, f"f-{group}", "-p", "nlp", *args)
        assert code == 0, (group, out + err)
    res = pipeline.build(repo)
    assert res.ok, [p.text() for p in res.problems if p.severity == "error"]
    objects = {b.name: [dict(o) for o in b.objects] for b in res.bundles}
    assert "f-no-object" in objects  # the flags that reach no object are written and built all the same
    wrong = {}
    for flag, case in _cases(wtype):
        value = _locate(objects[f"f-{case.group}"], wtype, case)
        if not _shows(value, case.value):
            wrong[f"{flag} ({case.group}) {case.where}: {case.path}"] = value
    assert wrong == {}


@pytest.mark.parametrize("wtype", table.TYPES)
def test_every_flag_of_every_type_is_shown_or_explained(wtype: str) -> None:
    shown = {flag for flag, _ in _cases(wtype)}
    assert [f.long for f in table.flags_for(wtype) if f.long not in shown and f.long not in NO_OBJECT] == []


def test_the_flag_summary() -> None:
    """The figures of the lead's report: flags, flag/type rows, and how many are shown end to end."""
    rows = [(t, f.long) for t in table.TYPES for f in table.flags_for(t)]
    shown = [(t, flag) for t in table.TYPES for flag in {flag for flag, _ in _cases(t)}]
    assert {f.long for f in table.FLAGS} == set(CASES) | set(NO_OBJECT) and not set(CASES) & set(NO_OBJECT)
    assert len(rows) == len(shown) + sum(1 for t, f in rows if f in NO_OBJECT)
