"""The flags of ``wlc new``: Run:ai CLI v2 names (``runai training submit`` ...) → wlc spec
fields. One row per flag; ``wlc new TYPE --help``, docs/verbs.md and the tests are made from
this table, so a flag cannot be documented without being mapped or mapped without a test."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import items
from . import parse as p
from .documents import EditError

#: `wlc new TYPE` → workload kind (Run:ai's submit command of the same type)
TYPES = {"training": "TrainingWorkload", "workspace": "InteractiveWorkload",
         "distributed": "DistributedWorkload", "inference": "InferenceWorkload"}
ALL = frozenset(TYPES)
JOBS = frozenset({"training", "distributed"})


@dataclass(frozen=True)
class Flag:
    """One flag: its names, the spec field it sets, how its value is read, and for which types.

    ``mode``: ``set`` (one value), ``append`` (repeatable; each value one list item),
    ``switch`` (no value: sets ``const``, true unless said)."""

    names: tuple[str, ...]
    path: tuple[str, ...]
    parse: p.Parser | None
    help: str
    types: frozenset[str] = ALL
    mode: str = "set"
    metavar: str = "VALUE"
    #: a value as a user types it (docs/verbs.md and the tests use it)
    example: str = ""
    required: bool = False
    #: further fields the flag sets to fixed values (``--required-pod-topology-key``: the rule)
    sets: tuple[tuple[str, Any], ...] = ()
    #: what a switch sets its field to
    const: Any = True

    @property
    def long(self) -> str:
        return next(n for n in self.names if n.startswith("--"))

    @property
    def dest(self) -> str:
        return self.long[2:].replace("-", "_")

    @property
    def field(self) -> str:
        return "spec." + ".".join(self.path)


_EXAMPLES: dict[object, str] = {p.text: "x", p.integer: "2", p.number: "0.5", p.duration: "2h", p.words: "h100,a100",
                                p.integers: "100,200", p.env: "WANDB_MODE=offline", p.name_value: "team=nlp", None: ""}


def _f(*names: str, path: str, parse: p.Parser | None = p.text, help: str, types: frozenset[str] = ALL,
       mode: str = "set", metavar: str = "VALUE", example: str = "", required: bool = False,
       sets: tuple[tuple[str, Any], ...] = (), const: Any = True) -> Flag:
    return Flag(names, tuple(path.split(".")), parse, help, types, mode, metavar,
                example or _EXAMPLES.get(parse, ""), required, sets, const)


_D, _I, _W = frozenset({"distributed"}), frozenset({"inference"}), frozenset({"workspace"})

FLAGS: tuple[Flag, ...] = (
    _f("-i", "--image", path="image", help="Container image.", example="nvcr.io/nvidia/pytorch:24.10-py3"),
    _f("--image-pull-policy", path="imagePullPolicy", parse=p.choice("Always", "IfNotPresent", "Never"),
       example="IfNotPresent",
       help="Always, IfNotPresent or Never."),
    _f("--working-dir", path="workingDir", help="Working directory of the container.", example="/workspace"),
    _f("-e", "--environment", path="environmentVariables", parse=p.env, mode="append", metavar="KEY=VALUE",
       help="Environment variable (repeat); VALUE may be SECRET:<secret>,<key>."),
    _f("--template", path="template", help="Template asset merged under the spec.", example="pytorch-train"),
    _f("--environment-asset", path="environment", help="Environment asset (image, command, ports...).",
       example="jupyter-lab"),
    _f("--compute", path="compute", help="ComputeResource asset (instead of the compute flags).", example="one-gpu"),
    _f("--data-source", path="dataSources", mode="append", metavar="NAME", help="DataSource asset (repeat).",
       example="imagenet"),
    _f("-g", "--gpu-devices-request", path="compute.gpuDevicesRequest", parse=p.integer, metavar="N",
       help="GPU devices per pod."),
    _f("--gpu-request-type", path="compute.gpuRequestType", parse=p.choice("portion", "memory", "migProfile"),
       example="portion",
       help="portion, memory or migProfile."),
    _f("--gpu-portion-request", path="compute.gpuPortionRequest", parse=p.number, metavar="FRACTION",
       help="Part of a GPU per device, e.g. 0.5."),
    _f("--gpu-portion-limit", path="compute.gpuPortionLimit", parse=p.number, metavar="FRACTION",
       help="Upper limit of the GPU part."),
    _f("--gpu-memory-request", path="compute.gpuMemoryRequest", metavar="QUANTITY", help="GPU memory, e.g. 10Gi.",
       example="10Gi"),
    _f("--gpu-memory-limit", path="compute.gpuMemoryLimit", metavar="QUANTITY", help="GPU memory limit.",
       example="20Gi"),
    _f("--mig-profile", path="compute.migProfile", help="NVIDIA MIG profile, e.g. 1g.10gb.", example="1g.10gb"),
    _f("--cpu-core-request", path="compute.cpuCoreRequest", parse=p.number, metavar="CORES",
       help="CPU cores, e.g. 0.5."),
    _f("--cpu-core-limit", path="compute.cpuCoreLimit", parse=p.number, metavar="CORES", help="CPU core limit."),
    _f("--cpu-memory-request", path="compute.cpuMemoryRequest", metavar="QUANTITY", help="Memory, e.g. 16Gi.",
       example="16Gi"),
    _f("--cpu-memory-limit", path="compute.cpuMemoryLimit", metavar="QUANTITY", help="Memory limit.", example="32Gi"),
    _f("--large-shm", path="compute.largeShmRequest", parse=None, mode="switch", help="A large /dev/shm."),
    _f("--existing-pvc", path="storage.pvc", parse=items.PVC_EXISTING, mode="append", metavar="claimname=C,path=P",
       help="Mount an existing claim (repeat); add ro for read-only.", example="claimname=datasets,path=/data,ro"),
    _f("--new-pvc", path="storage.pvc", parse=items.PVC_NEW, mode="append",
       metavar="claimname=C,size=S,path=P[,storageclass=SC,accessmode-rwo,ro,ephemeral]",
       help="A claim wlc creates (repeat).",
       example="claimname=ckpt,size=100Gi,path=/ckpt,storageclass=fast-ssd,accessmode-rwo"),
    _f("--host-path", path="storage.hostPath", parse=items.HOST_PATH, mode="append",
       metavar="name=N,path=P,mount=M[,mount-propagation=X,readwrite]", help="A node folder (repeat).",
       example="name=scratch,path=/mnt/scratch,mount=/scratch,readwrite"),
    _f("--nfs", path="storage.nfs", parse=items.NFS, mode="append",
       metavar="name=N,server=S,path=P,mountpath=M[,readwrite]", help="An NFS export (repeat).",
       example="name=shared,server=nfs.example.com,path=/exports/data,mountpath=/shared"),
    _f("--git-sync", path="storage.git", parse=items.GIT, mode="append",
       metavar="name=N,repository=R,path=P[,rev=X,branch=B,secret=S]", help="A git checkout (repeat).",
       example="name=code,repository=https://github.com/example/train.git,path=/code,branch=main"),
    _f("--s3", path="storage.s3", parse=items.S3, mode="append",
       metavar="name=N,bucket=B,path=P[,url=U,accesskey=SECRET,accesskeyid-key=K,secretkey-key=K]",
       help="An S3 bucket, mounted by the target's S3 CSI driver (target.s3); accesskey names the Secret (repeat).",
       example="name=corpus,bucket=corpus-v2,path=/corpus,url=https://s3.example.com,accesskey=s3-keys"),
    _f("--configmap-map-volume", path="storage.configMapVolumes", parse=items.CONFIGMAP, mode="append",
       metavar="volume=V,name=CM,path=P", help="Mount a ConfigMap (repeat).",
       example="volume=settings,name=train-config,path=/etc/train"),
    _f("--secret-volume", path="storage.secretVolume", parse=items.SECRET, mode="append",
       metavar="volume=V,name=S,path=P", help="Mount a Secret (repeat).",
       example="volume=keys,name=api-keys,path=/etc/keys"),
    _f("--port", path="ports", parse=items.PORT, mode="append", metavar="container=N[,external=N,service-type=T]",
       help="Expose a container port (repeat).", example="container=8888,service-type=ClusterIP"),
    _f("--external-url", path="exposedUrls", parse=items.URL, mode="append",
       metavar="container=N,url=U[,authusers=a;b,authgroups=g]", help="An external URL (repeat).",
       example="container=8888,url=nb.example.com,authusers=alice;bob"),
    _f("--node-pools", path="nodePools", parse=p.words, metavar="A,B", help="Node pools in preference order."),
    _f("--node-type", path="nodeType", help="Node type (node label run.ai/type).", example="a100-80g"),
    _f("--toleration", path="tolerations", parse=items.TOLERATION, mode="append",
       metavar="name=N,operator=O,key=K[,value=V,effect=E,seconds=S]", help="A toleration (repeat).",
       example="name=gpu,operator=Exists,key=nvidia.com/gpu,effect=NoSchedule"),
    _f("--priority-class", path="priorityClass", help="Priority class name.", example="high"),
    _f("-l", "--label", path="labels", parse=p.name_value, mode="append", metavar="KEY=VALUE",
       help="Label of every object and the pod (repeat)."),
    _f("-a", "--annotation", path="annotations", parse=p.name_value, mode="append", metavar="KEY=VALUE",
       example="owner=alice", help="Annotation of every object and the pod (repeat)."),
    _f("--create-home-dir", path="createHomeDir", parse=None, mode="switch", help="A home directory for the user."),
    _f("--capability", path="security.capabilities", mode="append", metavar="CAP",
       help="Linux capability to add (repeat).", example="SYS_PTRACE"),
    _f("--user-group-source", path="security.uidGidSource", parse=p.choice("fromTheImage", "fromIdpToken", "custom"),
       example="custom",
       help="fromTheImage, fromIdpToken or custom."),
    _f("--run-as-user", path="security.uidGidSource", parse=None, mode="switch", const="fromIdpToken",
       help="User and groups from the login token (security.uidGidSource: fromIdpToken; wlc warns: the "
            "image's user runs)."),
    _f("--run-as-uid", path="security.runAsUid", parse=p.integer, metavar="UID", help="User id (custom).",
       example="1000"),
    _f("--run-as-gid", path="security.runAsGid", parse=p.integer, metavar="GID", help="Group id (custom).",
       example="1000"),
    _f("--supplemental-groups", path="security.supplementalGroups", parse=p.integers, metavar="G1,G2",
       help="Extra group ids."),
    _f("--allow-privilege-escalation", path="security.allowPrivilegeEscalation", parse=None, mode="switch",
       help="Allow gaining privileges after start (setuid)."),
    _f("--host-ipc", path="security.hostIpc", parse=None, mode="switch", help="Use the node's IPC namespace."),
    _f("--host-network", path="security.hostNetwork", parse=None, mode="switch",
       help="Use the node's network namespace."),
    _f("--extended-resource", path="compute.extendedResources", parse=p.resource, mode="append",
       metavar="NAME=QUANTITY", example="hugepages-2Mi=1Gi", help="Another resource (repeat)."),
    _f("--preferred-pod-topology-key", path="podAffinityTopology", metavar="KEY", example="kubernetes.io/hostname",
       sets=(("podAffinitySchedulingRule", "preferred"),), help="Keep the pods together where possible."),
    _f("--required-pod-topology-key", path="podAffinityTopology", metavar="KEY", example="kubernetes.io/hostname",
       sets=(("podAffinitySchedulingRule", "required"),), help="Keep the pods together (nodes of equal KEY)."),
    _f("--seccomp-profile", path="security.seccompProfileType", help="RuntimeDefault or Unconfined.",
       example="RuntimeDefault"),
    _f("--preemptible", path="preemptible", parse=None, mode="switch", types=_W,
       help="May use over-quota GPUs and be preempted."),
    _f("--backoff-limit", path="backoffLimit", parse=p.integer, types=JOBS, metavar="N", help="Retries."),
    _f("--auto-deletion-time-after-completion", path="autoDeletionTimeAfterCompletionSeconds", parse=p.duration,
       types=JOBS, metavar="DURATION", help="Delete the finished job after 90s, 5m, 3h, 1d."),
    _f("--runs", path="completions", parse=p.integer, types=frozenset({"training"}), metavar="N",
       help="Successful runs required (completions)."),
    _f("--parallelism", path="parallelism", parse=p.integer, types=frozenset({"training"}), metavar="N",
       help="Pods running in parallel."),
    _f("--framework", path="framework", parse=p.choice_folded("PyTorch", "TF", "MPI", "XGBoost"), types=_D, required=True,
       help="PyTorch, TF, MPI or XGBoost (runai pytorch|tensorflow|mpi submit, runai submit-dist xgboost).",
       example="PyTorch"),
    _f("--workers", path="workers", parse=p.integer, types=_D, metavar="N", help="Worker replicas."),
    _f("--no-master", path="noMaster", parse=None, mode="switch", types=_D, help="Workers only (PyTorch, TF)."),
    _f("--clean-pod-policy", path="cleanPodPolicy", parse=p.choice("Running", "All", "None"), types=_D,
       help="Running, All or None.", example="All"),
    _f("--slots-per-worker", path="slotsPerWorker", parse=p.integer, types=_D, metavar="N", help="MPI slots."),
    _f("--min-replicas", path="minReplicas", parse=p.integer, types=_D, metavar="N", help="Elastic: fewest workers."),
    _f("--max-replicas", path="maxReplicas", parse=p.integer, types=_D, metavar="N", help="Elastic: most workers."),
    _f("--master-command", path="master.command", types=_D, help="Command of the master pod.",
       example="torchrun master.py"),
    _f("--master-args", path="master.args", types=_D, help="Arguments of the master pod.", example="--rank 0"),
    _f("--master-environment", path="master.environmentVariables", parse=p.env, mode="append", types=_D,
       metavar="KEY=VALUE", help="Environment variable of the master (repeat)."),
    _f("--master-gpu-devices-request", path="master.compute.gpuDevicesRequest", parse=p.integer, types=_D,
       metavar="N", help="GPU devices of the master."),
    _f("--master-gpu-portion-request", path="master.compute.gpuPortionRequest", parse=p.number, types=_D,
       metavar="FRACTION", help="Part of a GPU of the master."),
    _f("--master-gpu-portion-limit", path="master.compute.gpuPortionLimit", parse=p.number, types=_D,
       metavar="FRACTION", help="Upper limit of the master's GPU part."),
    _f("--master-extended-resource", path="master.compute.extendedResources", parse=p.resource, mode="append",
       types=_D, metavar="NAME=QUANTITY", example="example.com/fpga=1", help="Another resource of the master (repeat)."),
    _f("--serving-port", path="servingPort", parse=items.SERVING, types=_I,
       metavar="container=N[,protocol=http|grpc,authorization-type=T]", help="The port that serves requests.",
       example="container=8000,protocol=http"),
    _f("--min-replicas", path="autoscaling.minReplicas", parse=p.integer, types=_I, metavar="N",
       help="Fewest replicas (0: scale to zero, knative)."),
    _f("--max-replicas", path="autoscaling.maxReplicas", parse=p.integer, types=_I, metavar="N",
       help="Most replicas."),
    _f("--metric", path="autoscaling.metric", types=_I, help="throughput, concurrency, latency, cpu-utilization...",
       example="concurrency"),
    _f("--metric-threshold", path="autoscaling.threshold", parse=p.number, types=_I, metavar="N",
       help="Target value of the metric per replica.", example="10"),
)


def flags_for(wtype: str) -> list[Flag]:
    """The flags of ``wlc new TYPE``, in table order."""
    return [f for f in FLAGS if wtype in f.types]


def spec_from(wtype: str, given: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The spec the flag values (click's ``dest`` → value) set, and field → flag that set it."""
    spec: dict[str, Any] = {}
    sources: dict[str, str] = {}
    chosen = [f for f in flags_for(wtype) if given.get(f.dest) not in (None, False, ())]
    if "compute" in {f.dest for f in chosen} and any(f.path[:1] == ("compute",) and len(f.path) > 1 for f in chosen):
        raise EditError("--compute names a ComputeResource asset; it cannot be combined with the "
                        "compute flags (--gpu-devices-request...): use one or the other")
    for flag in chosen:
        _apply(spec, flag, given[flag.dest])
        for field in [flag.field] + [f"spec.{path}" for path, _ in flag.sets]:
            sources[field] = " / ".join(filter(None, (sources.get(field), flag.long)))
    _name_items(spec)
    return spec, sources


def _apply(spec: dict[str, Any], flag: Flag, raw: Any) -> None:
    try:
        value = _value(flag, raw)
    except EditError as err:
        raise EditError(f"{flag.long}: {err}") from None
    node = _parent(spec, flag.path)
    if flag.mode == "append":
        node.setdefault(flag.path[-1], []).extend(value)
    else:
        node[flag.path[-1]] = value
    for path, fixed in flag.sets:
        keys = tuple(path.split("."))
        _parent(spec, keys)[keys[-1]] = fixed


def _parent(spec: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    node = spec
    for key in path[:-1]:
        node = node.setdefault(key, {})
    return node


#: lists whose items wlc merges by ``name`` (Run:ai's flags leave it out) → the prefix of made names
_NAMED = {("storage", "hostPath"): "host-path", ("storage", "nfs"): "nfs", ("storage", "git"): "git",
          ("storage", "configMapVolumes"): "configmap", ("storage", "secretVolume"): "secret",
          ("tolerations",): "toleration"}


def _name_items(spec: dict[str, Any]) -> None:
    """Name the items of ``_NAMED`` lists that have no name: ``<prefix>-<n>``, n counting from 1
    past the names already taken (Run:ai's CLI does not ask for one)."""
    for path, prefix in _NAMED.items():
        node: Any = spec
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, list):
            continue
        taken = {item["name"] for item in node if "name" in item}
        names = (n for n in (f"{prefix}-{i}" for i in range(1, len(node) + len(taken) + 1)) if n not in taken)
        node[:] = [item if "name" in item else {"name": next(names), **item} for item in node]


def _value(flag: Flag, raw: Any) -> Any:
    if flag.mode == "switch":
        return flag.const
    assert flag.parse is not None
    if flag.mode == "append":
        return [flag.parse(r) for r in raw]
    return flag.parse(raw)


def markdown() -> str:
    """The flag table of docs/verbs.md (a test keeps the page equal to this)."""
    rows = ["| flag | wlc field | types | example |", "|---|---|---|---|"]
    for flag in FLAGS:
        types = "all" if flag.types == ALL else ", ".join(t for t in TYPES if t in flag.types)
        names = ", ".join(f"`{n}`" for n in flag.names)
        example = (f"`{flag.long} {flag.example}`" if flag.example else f"`{flag.long}`").replace("|", r"\|")
        rows.append(f"| {names} | `{flag.field}` | {types} | {example} |")
    return "\n".join(rows) + "\n"
