"""Stage 2, normalize: Run:ai Cluster API documents become native wlc documents.

A Run:ai CR (``run.ai/v1alpha1`` or ``run.ai/v2alpha1``) wraps every leaf in ``{value: X}``
and every list in ``{items: {<label>: {value: {...}}}}``; its field names are the old CLI's
(``gpu``, ``arguments``, ``pvcs``...). This stage rewrites such a document onto the native field
tree of docs/spec.md and keeps, for every native path, the position of the Run:ai value it came
from, so that later stages point into the original file. What cannot be carried over becomes a
problem that says why; nothing here raises for bad input. The field table is docs/runai-import.md.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .model import API_VERSION, Doc, Path
from .problems import Problem

RUNAI_API_VERSIONS = ("run.ai/v1alpha1", "run.ai/v2alpha1")
RUNAI_WORKLOAD_KINDS = ("TrainingWorkload", "InteractiveWorkload", "DistributedWorkload", "InferenceWorkload")
#: v1 policy kind → the workload kind it governs (a native Policy's workloadTypes entry)
POLICY_KINDS = {"TrainingPolicy": "TrainingWorkload", "InteractivePolicy": "InteractiveWorkload",
                "DistributedPolicy": "DistributedWorkload", "InferencePolicy": "InferenceWorkload"}
_TOP_KEYS = ("apiVersion", "kind", "metadata", "spec", "status")
_DROPPED_META_KEYS = ("PreviousJob",)
_DROPPED_META_PREFIXES = ("kubectl.kubernetes.io/",)
_PROJECT_NAMESPACE = re.compile(r"^runai-([a-z][a-z0-9-]*)$")


def is_runai(doc: Doc) -> bool:
    """Whether the document is a Run:ai Cluster API document (any kind)."""
    return isinstance(doc.data, dict) and doc.data.get("apiVersion") in RUNAI_API_VERSIONS


def normalize(doc: Doc) -> tuple[Doc | None, list[Problem]]:
    """The native form of a Run:ai document, or None when it cannot be converted at all."""
    data = doc.data if isinstance(doc.data, dict) else {}
    kind = str(data.get("kind", ""))
    if kind not in RUNAI_WORKLOAD_KINDS and kind not in POLICY_KINDS:
        known = ", ".join(RUNAI_WORKLOAD_KINDS + tuple(POLICY_KINDS))
        line, col = doc.loc(("kind",))
        msg = f'Run:ai kind "{kind}" cannot be imported; wlc imports {known}'
        return None, [Problem(doc.file, line, col, "runai.unsupported-kind", msg, "error", "kind")]
    out = Out(doc, {"apiVersion": API_VERSION, "kind": kind, "metadata": {}, "spec": {}})
    out.locs[()] = doc.loc(())
    if kind in POLICY_KINDS:
        _convert_policy(out, data, kind)
    else:
        _convert_workload(out, data, kind)
    native = Doc(doc.file, doc.index, out.data, out.locs, out.key_locs) if out.data else None
    return native, out.problems


# --------------------------------------------------------------------------- the output builder


class Bad(Exception):
    """A value that a converter cannot read; caught where the field is converted."""

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


@dataclass
class Out:
    """The native document being built, its positions, and the problems found on the way."""

    src: Doc
    data: dict[str, Any]
    locs: dict[Path, tuple[int, int]] = field(default_factory=dict)
    key_locs: dict[Path, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def put(self, npath: Path, value: Any, spath: Path, at_key: bool = False) -> None:
        """Set the native ``npath`` to ``value``, located at the Run:ai value ``spath``
        (or at its key, for values made from a key such as an item label)."""
        cur: Any = self.data
        for depth, key in enumerate(npath[:-1]):
            cur = _child(cur, key, [] if isinstance(npath[depth + 1], int) else {})
            self.mark(npath[: depth + 1], spath)
        _assign(cur, npath[-1], value)
        self.locs[npath] = self.src.loc(spath, key=True) if at_key else self.src.loc(spath)
        self._key_loc(npath, spath)

    def mark(self, npath: Path, spath: Path) -> None:
        """Give a native container a position unless it already has one."""
        if npath not in self.locs:
            self.locs[npath] = self.src.loc(spath)
            self._key_loc(npath, spath)

    def _key_loc(self, npath: Path, spath: Path) -> None:
        kpath = _key_path(spath)
        if kpath in self.src.key_locs:
            self.key_locs.setdefault(npath, self.src.key_locs[kpath])

    def problem(self, spath: Path, code: str, message: str, severity: str = "error",
                key: bool = False) -> None:
        kpath = _key_path(spath)
        line, col = self.src.loc(kpath, key=True) if key else self.src.loc(spath)
        self.problems.append(Problem(self.src.file, line, col, code, message, severity, _dotted(kpath)))

    def unknown(self, spath: Path, known: Iterable[str], what: str = "field") -> None:
        name = str(spath[-1])
        self.problem(spath, "runai.unknown-field",
                     f'unknown Run:ai {what} "{name}"{did_you_mean(name, known)}', key=True)

    def dropped(self, spath: Path, why: str) -> None:
        self.problem(spath, "runai.dropped", f"{_dotted(_key_path(spath))} is not imported: {why}",
                     severity="warning", key=True)

    def unmappable(self, spath: Path, why: str) -> None:
        self.problem(spath, "runai.unmappable", f"{_dotted(_key_path(spath))} cannot be imported: {why}",
                     key=True)


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` (did you mean "x"?)`` for the closest known name, or nothing."""
    close = difflib.get_close_matches(name, sorted(set(known)), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


def _child(cur: Any, key: str | int, default: Any) -> Any:
    if isinstance(cur, list):
        assert isinstance(key, int)
        if key == len(cur):
            cur.append(default)
        return cur[key]
    return cur.setdefault(key, default)


def _assign(cur: Any, key: str | int, value: Any) -> None:
    if isinstance(cur, list):
        assert isinstance(key, int)
        if key == len(cur):
            cur.append(value)
        else:
            cur[key] = value
    else:
        cur[key] = value


def _key_path(spath: Path) -> Path:
    while spath and spath[-1] == "value":
        spath = spath[:-1]
    return spath


def _dotted(path: Path) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path).replace(".[", "[")


def unwrap_field(out: Out, node: Any, spath: Path) -> tuple[Any, Path]:
    """The value of a top-level ``{value: X}`` field (bare values are accepted too)."""
    if isinstance(node, dict) and "value" in node:
        for extra in node:
            if extra != "value":
                out.unknown(spath + (extra,), ("value",), what="wrapper key")
        return unwrap_leaf(node["value"], spath + ("value",))
    return node, spath


def unwrap_leaf(node: Any, spath: Path) -> tuple[Any, Path]:
    """Strip ``{value: X}`` wrappers that hold nothing else (v1alpha1 nests them)."""
    while isinstance(node, dict) and list(node) == ["value"]:
        node, spath = node["value"], spath + ("value",)
    return node, spath


# --------------------------------------------------------------------------- value converters

Conv = Callable[[Any], Any]
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


def _scalar(v: Any) -> Any:
    if isinstance(v, (dict, list)) or v is None:
        raise Bad(f"expected a single value, got {_shape(v)}")
    return v


def _str(v: Any) -> str:
    v = _scalar(v)
    if isinstance(v, bool):
        raise Bad(f"expected a string, got {str(v).lower()}")
    return v if isinstance(v, str) else _num_text(v)


def _num_text(v: float) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def _text(v: Any) -> str:
    """Any scalar as text (environment values, label values): true → "true"."""
    v = "" if v is None else _scalar(v)
    return str(v).lower() if isinstance(v, bool) else v if isinstance(v, str) else _num_text(v)


def _bool(v: Any) -> bool:
    v = _scalar(v)
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return v.lower() == "true"
    raise Bad(f'expected true or false, got "{v}"')


def _int(v: Any) -> int:
    v = _scalar(v)
    if isinstance(v, bool):
        raise Bad("expected a whole number, got a boolean")
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str) and re.fullmatch(r"[+-]?\d+", v.strip()):
        return int(v.strip())
    raise Bad(f'expected a whole number, got "{v}"')


def _number(v: Any) -> int | float:
    v = _scalar(v)
    if isinstance(v, bool):
        raise Bad("expected a number, got a boolean")
    if isinstance(v, (int, float)):
        return _tidy(v)
    try:
        return _tidy(float(str(v).strip()))
    except ValueError:
        raise Bad(f'expected a number, got "{v}"') from None


def _tidy(x: float) -> int | float:
    return int(x) if isinstance(x, float) and x.is_integer() else x


def _cpu(v: Any) -> int | float:
    """CPU cores: ``0.5``, ``"2"``, or millicores ``"500m"``."""
    if isinstance(v, str) and v.strip().endswith("m"):
        return _tidy(_number(v.strip()[:-1]) / 1000)
    return _number(v)


def _quantity(v: Any) -> str:
    text = _str(v).strip()
    if not re.fullmatch(r"[+-]?[0-9.]+([eEinumkKMGTP]*[-+]?[0-9]*)", text):
        raise Bad(f'"{text}" is not a quantity such as 512Mi or 2G')
    return text


def _enum(options: dict[str, str]) -> Conv:
    """A case-insensitive choice that returns the native spelling."""
    def conv(v: Any) -> str:
        text = _str(v)
        key = text.lower().replace("-", "").replace("_", "")
        if key not in options:
            raise Bad(f'"{text}" is not one of {", ".join(sorted(set(options.values())))}')
        return options[key]
    return conv


_pull_policy = _enum({"always": "Always", "ifnotpresent": "IfNotPresent", "never": "Never"})
_seccomp = _enum({"runtimedefault": "RuntimeDefault", "unconfined": "Unconfined", "localhost": "Localhost"})
_affinity_rule = _enum({"required": "required", "preferred": "preferred"})
_propagation = _enum({"none": "None", "hosttocontainer": "HostToContainer", "bidirectional": "Bidirectional"})
_operator = _enum({"equal": "Equal", "exists": "Exists"})
_effect = _enum({"noschedule": "NoSchedule", "prefernoschedule": "PreferNoSchedule", "noexecute": "NoExecute"})
_service_type = _enum({"clusterip": "ClusterIP", "nodeport": "NodePort", "loadbalancer": "LoadBalancer"})
_clean_pod_policy = _enum({"running": "Running", "all": "All", "none": "None"})
_framework = _enum({"pytorch": "PyTorch", "tf": "TF", "tensorflow": "TF", "mpi": "MPI", "xgboost": "XGBoost"})
_metric = _enum({m.replace("-", ""): m for m in ("cpu-utilization", "latency", "throughput", "concurrency",
                                                  "gpu-utilization", "custom")})


def _words(v: Any, seps: str) -> list[str]:
    if isinstance(v, list):
        return [_str(x) for x in v]
    return [w for w in re.split(f"[{seps}]+", _str(v)) if w]


def _str_list(v: Any) -> list[str]:
    return _words(v, r",;\s")


def _node_pools(v: Any) -> list[str]:
    return _words(v, r"\s,")


def _int_list(v: Any) -> list[int]:
    if isinstance(v, int) and not isinstance(v, bool):
        return [v]
    return [_int(w) for w in _words(v, r";,\s")]


def _duration(v: Any) -> int:
    """Seconds from a number or a duration such as ``5s``, ``2m``, ``3h``, ``4d``, ``1h30m``."""
    if not isinstance(v, str) or re.fullmatch(r"\s*\d+\s*", v):
        return _int(v)
    text = v.strip()
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise Bad(f'"{text}" is not a duration such as 90s, 30m, 3h or 4d')
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    return int(sum(float(n) * scale[u] for n, u in parts))


def _shape(v: Any) -> str:
    return "a mapping" if isinstance(v, dict) else "a list" if isinstance(v, list) else "nothing"


# --------------------------------------------------------------------------- the field table

#: Run:ai field → (native path under spec, converter), for one-to-one fields.
SIMPLE: dict[str, tuple[Path, Conv]] = {
    "image": (("image",), _str),
    "imagePullPolicy": (("imagePullPolicy",), _pull_policy),
    "command": (("command",), _str),
    "arguments": (("args",), _str),
    "args": (("args",), _str),
    "workingDir": (("workingDir",), _str),
    "createHomeDir": (("createHomeDir",), _bool),
    "cpu": (("compute", "cpuCoreRequest"), _cpu),
    "cpuLimit": (("compute", "cpuCoreLimit"), _cpu),
    "memory": (("compute", "cpuMemoryRequest"), _quantity),
    "memoryLimit": (("compute", "cpuMemoryLimit"), _quantity),
    "largeShm": (("compute", "largeShmRequest"), _bool),
    "supplementalGroups": (("security", "supplementalGroups"), _int_list),
    "allowPrivilegeEscalation": (("security", "allowPrivilegeEscalation"), _bool),
    "capabilities": (("security", "capabilities"), _str_list),
    "hostIpc": (("security", "hostIpc"), _bool),
    "hostNetwork": (("security", "hostNetwork"), _bool),
    "seccompProfileType": (("security", "seccompProfileType"), _seccomp),
    "seccompProfile": (("security", "seccompProfileType"), _seccomp),
    "runAsNonRoot": (("security", "runAsNonRoot"), _bool),
    "readOnlyRootFilesystem": (("security", "readOnlyRootFilesystem"), _bool),
    "nodeType": (("nodeType",), _str),
    "nodePools": (("nodePools",), _node_pools),
    "nodePool": (("nodePools",), _node_pools),
    "priorityClass": (("priorityClass",), _str),
    "podAffinitySchedulingRule": (("podAffinitySchedulingRule",), _affinity_rule),
    "podAffinityTopology": (("podAffinityTopology",), _str),
    "terminateAfterPreemption": (("terminateAfterPreemption",), _bool),
    "active": (("active",), _bool),
    "backoffLimit": (("backoffLimit",), _int),
    "completions": (("completions",), _int),
    "parallelism": (("parallelism",), _int),
    "ttlAfterFinish": (("autoDeletionTimeAfterCompletionSeconds",), _duration),
    "autoDeletionTimeAfterCompletionSeconds": (("autoDeletionTimeAfterCompletionSeconds",), _duration),
    "preemptible": (("preemptible",), _bool),
    "jobType": (("framework",), _framework),
    "workers": (("workers",), _int),
    "nonPreemptible": (("nonPreemptible",), _bool),
    "minScale": (("autoscaling", "minReplicas"), _int),
    "maxScale": (("autoscaling", "maxReplicas"), _int),
    "metric": (("autoscaling", "metric"), _metric),
    "metricName": (("autoscaling", "metricName"), _str),
    "target": (("autoscaling", "threshold"), _number),
}

#: Fields read together before the field loop (their meaning depends on each other).
GPU_FIELDS = ("gpu", "gpuDevices", "gpuMemory", "migProfile", "gpuLimit")
IDENTITY_FIELDS = ("runAsUser", "runAsUid", "runAsGid")
TOGETHER = GPU_FIELDS + IDENTITY_FIELDS + ("usage", "name", "namePrefix", "baseWorkload",
                                           "serviceType", "mountPropagation", "podAffinity")

#: Fields that only say something about Run:ai's own bookkeeping or terminal: warned and dropped.
DROPPED = {
    "tty": "wlc workloads run without a terminal (use `wlc logs`)",
    "stdin": "wlc workloads run without an attached stdin",
    "username": "a display-only owner name; git history records who submitted it",
    "userId": "Run:ai's user id has no meaning outside Run:ai",
    "ingressUrl": "internal to Run:ai",
    "class": "the autoscaler is chosen by the target's inference backend",
    "isPrivateServiceUrl": "the inference Service is cluster-internal unless exposedUrls are set",
}

#: Fields with no native counterpart: an error when set to anything but false / empty.
UNMAPPABLE = {
    "jupyter": "wlc has no built-in Jupyter tool; set image, command and ports explicitly",
    "notebookToken": "wlc has no built-in Jupyter tool; pass the token in a Secret-backed variable",
    "tensorboard": "wlc has no built-in TensorBoard tool; run it explicitly and expose a port",
    "tensorboardLogdir": "wlc has no built-in TensorBoard tool",
    "mpi": "MPI jobs are DistributedWorkloads with jobType MPI",
    "processes": "MPI jobs are DistributedWorkloads with jobType MPI",
    "emptyDirVolumes": "wlc has no emptyDir volumes (largeShm gives /dev/shm)",
}

_COMMON = {
    "annotations", "arguments", "args", "baseWorkload", "capabilities", "command", "cpu", "cpuLimit",
    "createHomeDir", "environment", "exposedUrls", "extendedResources", "gitSync", "gpu", "gpuDevices",
    "gpuLimit", "gpuMemory", "hostIpc", "hostNetwork", "image", "imagePullPolicy", "labels", "largeShm",
    "memory", "memoryLimit", "migProfile", "mountPropagation", "name", "namePrefix", "nodeType",
    "nodePools", "nodePool", "ports", "pvcs", "runAsGid", "runAsUid", "runAsUser", "s3", "serviceType",
    "stdin", "supplementalGroups", "tolerations", "tty", "usage", "volumes", "workingDir",
    "allowPrivilegeEscalation", "ingressUrl", "username", "userId", "configMapVolumes", "secretVolumes",
    "emptyDirVolumes", "terminateAfterPreemption", "active", "seccompProfileType", "seccompProfile",
    "runAsNonRoot", "readOnlyRootFilesystem", "priorityClass", "podAffinity",
    "podAffinitySchedulingRule", "podAffinityTopology",
}
_PER_KIND = {
    "TrainingWorkload": {"backoffLimit", "completions", "parallelism", "ttlAfterFinish",
                         "autoDeletionTimeAfterCompletionSeconds", "processes", "slotsPerWorker", "mpi"},
    "InteractiveWorkload": {"jupyter", "notebookToken", "preemptible", "tensorboard", "tensorboardLogdir",
                            "processes", "slotsPerWorker", "mpi"},
    "DistributedWorkload": {"jobType", "mpiJob", "pyTorchJob", "runPolicy", "workers", "nonPreemptible",
                            "ttlAfterFinish", "autoDeletionTimeAfterCompletionSeconds"},
    "InferenceWorkload": {"class", "isPrivateServiceUrl", "minScale", "maxScale", "metric", "metricName",
                          "target"},
}


def allowed_fields(kind: str) -> set[str]:
    return _COMMON | _PER_KIND.get(kind, set())


# --------------------------------------------------------------------------- workloads


def _convert_workload(out: Out, data: dict[str, Any], kind: str) -> None:
    for key in data:
        if key not in _TOP_KEYS:
            out.unknown((key,), _TOP_KEYS)
    out.mark(("apiVersion",), ("apiVersion",))
    out.mark(("kind",), ("kind",))
    spec = data.get("spec")
    if not isinstance(spec, dict):
        out.problem(("spec",), "runai.bad-value", "a Run:ai workload needs a spec mapping")
        spec = {}
    out.mark(("spec",), ("spec",))
    template = _usage(out, spec)
    if template:
        out.data["kind"] = "Template"
    meta = data.get("metadata")
    _metadata(out, meta if isinstance(meta, dict) else {}, spec, template)
    convert_spec(out, spec, kind)
    if template:
        out.data["spec"].pop("active", None)
        if out.data["spec"].pop("template", None) is not None:
            out.unmappable(("spec", "baseWorkload"), "a wlc Template cannot be based on another template; "
                           "copy the base template's fields into this one")
    out.data["spec"] = order_spec(out.data["spec"])


def _usage(out: Out, spec: dict[str, Any]) -> bool:
    if "usage" not in spec:
        return False
    usage, spath = unwrap_field(out, spec["usage"], ("spec", "usage"))
    if usage not in ("Submit", "Template"):
        out.problem(spath, "runai.bad-value", f'usage must be "Submit" or "Template", not "{usage}"')
    return bool(usage == "Template")


def _metadata(out: Out, meta: dict[str, Any], spec: dict[str, Any], template: bool) -> None:
    out.mark(("metadata",), ("metadata",))
    _name(out, meta, spec)
    _namespace(out, meta, template)
    for part in ("labels", "annotations"):
        values = meta.get(part)
        for key, value in (values.items() if isinstance(values, dict) else ()):
            if key not in _DROPPED_META_KEYS and not str(key).startswith(_DROPPED_META_PREFIXES):
                out.put(("metadata", part, str(key)), _meta_text(value), ("metadata", part, key))


def _meta_text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else "" if value is None else str(value)


def _name(out: Out, meta: dict[str, Any], spec: dict[str, Any]) -> None:
    if "namePrefix" in spec:
        _, spath = unwrap_field(out, spec["namePrefix"], ("spec", "namePrefix"))
        out.problem(spath, "runai.name-prefix",
                    "namePrefix is not supported: in GitOps a workload's name must be stable from one "
                    "build to the next, so give it a fixed name (spec.name)")
    if "name" in spec:
        value, spath = unwrap_field(out, spec["name"], ("spec", "name"))
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
            out.put(("metadata", "name"), str(value), spath)
            return
        out.problem(spath, "runai.bad-value", "name must be a non-empty string")
    if isinstance(meta.get("name"), (str, int)) and str(meta.get("name")):
        out.put(("metadata", "name"), str(meta["name"]), ("metadata", "name"))
    elif "namePrefix" not in spec:
        out.problem(("metadata",), "runai.bad-value", "the document has no name (spec.name or metadata.name)")


def project_of_namespace(namespace: str) -> str | None:
    """``runai-<project>`` → ``<project>``; anything else → None."""
    match = _PROJECT_NAMESPACE.match(namespace)
    return match.group(1) if match else None


def _namespace(out: Out, meta: dict[str, Any], template: bool) -> None:
    namespace = meta.get("namespace")
    path = ("metadata", "namespace")
    if not isinstance(namespace, str) or not namespace:
        return
    if namespace == "runai":
        if not template:
            out.problem(path, "runai.namespace", 'namespace "runai" is not a project namespace; '
                        "the project is taken from the folder the file is placed in", severity="warning")
        return
    project = project_of_namespace(namespace)
    if project is None:
        out.problem(path, "runai.namespace", f'namespace "{namespace}" does not follow runai-<project>; '
                    "the project is taken from the folder the file is placed in", severity="warning")
    elif not template:
        out.put(("spec", "project"), project, path)


def convert_spec(out: Out, spec: dict[str, Any], kind: str) -> None:
    """Convert every field of a Run:ai spec into ``out.data["spec"]``."""
    allowed = allowed_fields(kind)
    _base_workload(out, spec)
    _gpu_fields(out, spec)
    _identity_fields(out, spec)
    for name, node in spec.items():
        spath = ("spec", name)
        if name not in allowed:
            _not_allowed(out, spath, kind, allowed)
        elif name not in TOGETHER:
            try:
                _convert_field(out, name, node, spath, kind)
            except Bad as bad:
                out.problem(bad.path or spath, "runai.bad-value", f"{name}: {bad}")
    _finish_ports(out, spec, kind)
    _pod_affinity(out, spec)
    _mount_propagation(out, spec)


def _not_allowed(out: Out, spath: Path, kind: str, allowed: set[str]) -> None:
    owners = [k for k, names in _PER_KIND.items() if spath[-1] in names]
    if not owners:
        out.unknown(spath, allowed, what=f"{kind} field")
        return
    out.problem(spath, "runai.unknown-field", f'"{spath[-1]}" is not a {kind} field '
                f'(it belongs to {" and ".join(owners)})', key=True)


def _convert_field(out: Out, name: str, node: Any, spath: Path, kind: str) -> None:
    if name in ITEM_KINDS:
        _convert_items(out, name, node, spath)
    elif name in SUBOBJECTS:
        _convert_subobject(out, name, node, spath)
    elif name in DROPPED:
        out.dropped(spath, DROPPED[name])
    elif name in UNMAPPABLE or (name == "slotsPerWorker" and kind != "DistributedWorkload"):
        value, vpath = unwrap_field(out, node, spath)
        if value not in (False, None, "", 0, "false"):
            out.unmappable(vpath, UNMAPPABLE.get(name, "MPI jobs are DistributedWorkloads with jobType MPI"))
    else:
        _convert_simple(out, name, node, spath)


def _convert_simple(out: Out, name: str, node: Any, spath: Path) -> None:
    target, conv = SIMPLE[name]
    value, vpath = unwrap_field(out, node, spath)
    try:
        out.put(("spec",) + target, conv(value), vpath)
    except Bad as bad:
        raise Bad(str(bad), vpath) from None


def _field_value(out: Out, spec: dict[str, Any], name: str) -> tuple[Any, Path] | None:
    if name not in spec:
        return None
    return unwrap_field(out, spec[name], ("spec", name))


def _base_workload(out: Out, spec: dict[str, Any]) -> None:
    found = _field_value(out, spec, "baseWorkload")
    if found is not None:
        value, vpath = found
        if isinstance(value, str) and value:
            out.put(("spec", "template"), value, vpath)
        else:
            out.problem(vpath, "runai.bad-value", "baseWorkload must name a template")


def _gpu_fields(out: Out, spec: dict[str, Any]) -> None:
    """gpu, gpuDevices, gpuMemory, migProfile and gpuLimit together decide the request type."""
    kind = None
    for name in GPU_FIELDS:
        found = _field_value(out, spec, name)
        if found is None:
            continue
        try:
            kind = _GPU_HANDLERS[name](out, found[0], found[1], kind)
        except Bad as bad:
            out.problem(found[1], "runai.bad-value", f"{name}: {bad}")


def _gpu(out: Out, value: Any, vpath: Path, kind: str | None) -> str | None:
    amount = _number(value)
    if amount < 0 or (amount > 1 and not float(amount).is_integer()):
        raise Bad(f"{value} GPUs: a GPU request is a whole number or a fraction between 0 and 1")
    if float(amount).is_integer():
        out.put(("spec", "compute", "gpuDevicesRequest"), int(amount), vpath)
        return "devices"
    out.put(("spec", "compute", "gpuDevicesRequest"), 1, vpath)
    out.put(("spec", "compute", "gpuRequestType"), "portion", vpath)
    out.put(("spec", "compute", "gpuPortionRequest"), amount, vpath)
    return "portion"


def _gpu_devices(out: Out, value: Any, vpath: Path, kind: str | None) -> str | None:
    if kind is not None:
        raise Bad("set either gpu or gpuDevices, not both")
    out.put(("spec", "compute", "gpuDevicesRequest"), _int(value), vpath)
    return "devices"


def _gpu_memory(out: Out, value: Any, vpath: Path, kind: str | None) -> str | None:
    if kind == "portion":
        raise Bad("a GPU fraction and GPU memory cannot both be requested")
    out.put(("spec", "compute", "gpuRequestType"), "memory", vpath)
    out.put(("spec", "compute", "gpuMemoryRequest"), _quantity(value), vpath)
    if kind is None:
        out.put(("spec", "compute", "gpuDevicesRequest"), 1, vpath)
    return "memory"


def _mig_profile(out: Out, value: Any, vpath: Path, kind: str | None) -> str | None:
    if kind in ("portion", "memory"):
        raise Bad("a MIG profile cannot be combined with a GPU fraction or GPU memory")
    out.put(("spec", "compute", "gpuRequestType"), "migProfile", vpath)
    out.put(("spec", "compute", "migProfile"), _str(value), vpath)
    if kind is None:
        out.put(("spec", "compute", "gpuDevicesRequest"), 1, vpath)
    return "migProfile"


def _gpu_limit(out: Out, value: Any, vpath: Path, kind: str | None) -> str | None:
    if kind == "memory":
        out.put(("spec", "compute", "gpuMemoryLimit"), _quantity(value), vpath)
    elif kind == "portion":
        out.put(("spec", "compute", "gpuPortionLimit"), _number(value), vpath)
    else:
        out.unmappable(vpath, "a GPU limit applies only to a GPU fraction (gpu 0-1) or GPU memory request")
    return kind


_GPU_HANDLERS: dict[str, Callable[[Out, Any, Path, str | None], str | None]] = {
    "gpu": _gpu, "gpuDevices": _gpu_devices, "gpuMemory": _gpu_memory, "migProfile": _mig_profile,
    "gpuLimit": _gpu_limit,
}


def _identity_fields(out: Out, spec: dict[str, Any]) -> None:
    """runAsUser (bool) picks where the UID comes from; runAsUid/runAsGid give it."""
    as_user = _field_value(out, spec, "runAsUser")
    flag = None
    if as_user is not None:
        try:
            flag = _bool(as_user[0])
        except Bad as bad:
            out.problem(as_user[1], "runai.bad-value", f"runAsUser: {bad}")
    ids = [(n, _field_value(out, spec, n)) for n in ("runAsUid", "runAsGid")]
    given = [(n, f) for n, f in ids if f is not None]
    if flag is False:
        for name, (_, vpath) in given:
            out.dropped(vpath, "Run:ai uses it only when runAsUser is true")
        out.put(("spec", "security", "uidGidSource"), "fromTheImage", as_user[1] if as_user else ("spec",))
        return
    if flag is True or given:
        where = as_user[1] if as_user else given[0][1][1]
        out.put(("spec", "security", "uidGidSource"), "custom" if given else "fromIdpToken", where)
    for name, (value, vpath) in given:
        try:
            out.put(("spec", "security", name), _int(value), vpath)
        except Bad as bad:
            out.problem(vpath, "runai.bad-value", f"{name}: {bad}")


def _pod_affinity(out: Out, spec: dict[str, Any]) -> None:
    found = _field_value(out, spec, "podAffinity")
    if found is None:
        return
    try:
        enabled = _bool(found[0])
    except Bad as bad:
        out.problem(found[1], "runai.bad-value", f"podAffinity: {bad}")
        return
    if not enabled:
        for name in ("podAffinitySchedulingRule", "podAffinityTopology"):
            if out.data["spec"].pop(name, None) is not None:
                out.dropped(("spec", name), "podAffinity is false")


def _mount_propagation(out: Out, spec: dict[str, Any]) -> None:
    found = _field_value(out, spec, "mountPropagation")
    if found is None:
        return
    try:
        mode = _propagation(found[0])
    except Bad as bad:
        out.problem(found[1], "runai.bad-value", f"mountPropagation: {bad}")
        return
    host_paths = out.data["spec"].get("storage", {}).get("hostPath", [])
    for index, item in enumerate(host_paths):
        if "mountPropagation" not in item and not item.get("exclude"):
            out.put(("spec", "storage", "hostPath", index, "mountPropagation"), mode, found[1])
    if not host_paths:
        out.dropped(found[1], "there are no host-path volumes to apply it to")


# --------------------------------------------------------------------------- sub-objects (distributed)

#: Run:ai sub-object → its members: member → (native path under spec, converter)
SUBOBJECTS: dict[str, dict[str, tuple[Path, Conv]]] = {
    "pyTorchJob": {"minReplicas": (("minReplicas",), _int), "maxReplicas": (("maxReplicas",), _int)},
    "mpiJob": {"slotsPerWorker": (("slotsPerWorker",), _int)},
    "runPolicy": {
        "cleanPodPolicy": (("cleanPodPolicy",), _clean_pod_policy),
        "backoffLimit": (("backoffLimit",), _int),
        "ttlSecondsAfterFinished": (("autoDeletionTimeAfterCompletionSeconds",), _duration),
    },
}
SIMPLE["slotsPerWorker"] = (("slotsPerWorker",), _int)
_PER_KIND["DistributedWorkload"].add("slotsPerWorker")


def _convert_subobject(out: Out, name: str, node: Any, spath: Path) -> None:
    value, vpath = unwrap_field(out, node, spath)
    if not isinstance(value, dict):
        raise Bad(f"expected a mapping of {', '.join(SUBOBJECTS[name])}", vpath)
    members = SUBOBJECTS[name]
    for member, sub in value.items():
        mpath = vpath + (member,)
        if member not in members:
            out.unknown(mpath, members, what=f"{name} field")
            continue
        target, conv = members[member]
        inner, ipath = unwrap_leaf(sub, mpath)
        try:
            out.put(("spec",) + target, conv(inner), ipath)
        except Bad as bad:
            out.problem(ipath, "runai.bad-value", f"{name}.{member}: {bad}")


# --------------------------------------------------------------------------- itemized fields


@dataclass(frozen=True)
class ItemKind:
    """How one Run:ai ``items:`` field becomes a native keyed list."""

    target: Path  # native list path under spec
    key: str  # the native key member
    members: dict[str, tuple[Path, Conv]]  # Run:ai member → (native member path, converter)
    scalar: str = ""  # native member that holds a bare (non-mapping) item value
    label_is_key: bool = True  # an item without its key member takes the label


def _access_modes(v: Any) -> dict[str, bool]:
    names = {"readwriteonce": "readWriteOnce", "rwo": "readWriteOnce", "readonlymany": "readOnlyMany",
             "rox": "readOnlyMany", "rom": "readOnlyMany", "readwritemany": "readWriteMany",
             "rwx": "readWriteMany", "rwm": "readWriteMany"}
    if isinstance(v, dict):
        return {names.get(str(k).lower(), str(k)): _bool(unwrap_leaf(x, ())[0]) for k, x in v.items()
                if _known_mode(names, k)}
    modes = _str_list(v)
    for mode in modes:
        if mode.lower() not in names:
            raise Bad(f'"{mode}" is not an access mode (ReadWriteOnce, ReadOnlyMany, ReadWriteMany)')
    return {names[m.lower()]: True for m in modes}


def _known_mode(names: dict[str, str], key: Any) -> bool:
    if str(key).lower() not in names:
        raise Bad(f'"{key}" is not an access mode (readWriteOnce, readOnlyMany, readWriteMany)')
    return True


_PORT: dict[str, tuple[Path, Conv]] = {"container": (("container",), _int), "external": (("external",), _int),
         "serviceType": (("serviceType",), _service_type), "name": (("name",), _str),
         "toolType": (("toolType",), _str), "toolName": (("toolName",), _str)}
_VOLUME: dict[str, tuple[Path, Conv]] = {"nfsServer": (("server",), _str), "server": (("server",), _str), "source": (("path",), _str),
           "path": (("path",), _str), "target": (("mountPath",), _str), "mountPath": (("mountPath",), _str),
           "mountPropagation": (("mountPropagation",), _propagation), "readOnly": (("readOnly",), _bool)}

ITEM_KINDS: dict[str, ItemKind] = {
    "environment": ItemKind(("environmentVariables",), "name",
                            {"name": (("name",), _str), "value": (("value",), _text)}, scalar="value"),
    "labels": ItemKind(("labels",), "name", {"name": (("name",), _str), "value": (("value",), _text)},
                       scalar="value"),
    "annotations": ItemKind(("annotations",), "name",
                            {"name": (("name",), _str), "value": (("value",), _text)}, scalar="value"),
    "extendedResources": ItemKind(("compute", "extendedResources"), "resource",
                                  {"resource": (("resource",), _str), "quantity": (("quantity",), _quantity)},
                                  scalar="quantity"),
    "ports": ItemKind(("ports",), "container", _PORT, label_is_key=False),
    "exposedUrls": ItemKind(("exposedUrls",), "container", {
        "container": (("container",), _int), "url": (("url",), _str),
        "authorizedUsers": (("authorizedUsers",), _str_list),
        "authorizedGroups": (("authorizedGroups",), _str_list), "name": (("name",), _str),
        "toolType": (("toolType",), _str), "toolName": (("toolName",), _str)}, label_is_key=False),
    "pvcs": ItemKind(("storage", "pvc"), "claimName", {
        "claimName": (("claimName",), _str), "path": (("path",), _str),
        "existingPvc": (("existingPvc",), _bool), "readOnly": (("readOnly",), _bool),
        "ephemeral": (("ephemeral",), _bool), "size": (("claimInfo", "size"), _quantity),
        "storageClass": (("claimInfo", "storageClass"), _str),
        "accessModes": (("claimInfo", "accessModes"), _access_modes),
        "volumeMode": (("claimInfo", "volumeMode"), _enum({"filesystem": "Filesystem", "block": "Block"}))}),
    "volumes": ItemKind(("storage", "hostPath"), "name", _VOLUME),
    "gitSync": ItemKind(("storage", "git"), "name", {
        "name": (("name",), _str), "repository": (("repository",), _str), "source": (("repository",), _str),
        "branch": (("branch",), _str), "revision": (("revision",), _str), "rev": (("revision",), _str),
        "path": (("path",), _str), "target": (("path",), _str), "secret": (("secretName",), _str),
        "secretName": (("secretName",), _str)}),
    "s3": ItemKind(("storage", "s3"), "name", {
        "name": (("name",), _str), "bucket": (("bucket",), _str), "path": (("path",), _str),
        "target": (("path",), _str), "url": (("url",), _str), "secret": (("accessKeySecret",), _str),
        "accessKeySecret": (("accessKeySecret",), _str)}),
    "tolerations": ItemKind(("tolerations",), "name", {
        "name": (("name",), _str), "operator": (("operator",), _operator), "key": (("key",), _str),
        "value": (("value",), _str), "effect": (("effect",), _effect), "seconds": (("seconds",), _int)}),
    "configMapVolumes": ItemKind(("storage", "configMapVolumes"), "name", {
        "name": (("configMap",), _str), "configMap": (("configMap",), _str),
        "mountPath": (("mountPath",), _str), "subPath": (("subPath",), _str)}),
    "secretVolumes": ItemKind(("storage", "secretVolume"), "name", {
        "name": (("secret",), _str), "secret": (("secret",), _str), "mountPath": (("mountPath",), _str),
        "defaultMode": (("defaultMode",), _int)}),
}
#: members that must never be imported: git history would keep the secret for ever
SECRET_MEMBERS = {("gitSync", "username"), ("gitSync", "password"), ("s3", "key"),
                  ("s3", "accessKey"), ("s3", "secretKey")}


@dataclass
class Item:
    """One Run:ai item on its way to a native list."""

    label: str
    ipath: Path
    value: Any
    vpath: Path
    deleted: bool


def iter_items(out: Out, node: Any, spath: Path) -> Iterator[Item]:
    """The items of an ``{items: {<label>: {value: ...} | {deleted: true}}}`` field, in order."""
    if not isinstance(node, dict) or not isinstance(node.get("items"), dict):
        out.problem(spath, "runai.bad-value", f"{spath[-1]}: expected items: {{<label>: {{value: ...}}}}")
        return
    for extra in node:
        if extra != "items":
            out.unknown(spath + (extra,), ("items",), what="key")
    for label, item in node["items"].items():
        ipath = spath + ("items", label)
        if not isinstance(item, dict) or not ({"value", "deleted"} & set(item)):
            yield Item(str(label), ipath, item, ipath, False)
            continue
        for extra in item:
            if extra not in ("value", "deleted"):
                out.unknown(ipath + (extra,), ("value", "deleted"), what="item key")
        deleted = item.get("deleted") is True or str(item.get("deleted")).lower() == "true"
        yield Item(str(label), ipath, item.get("value"), ipath + ("value",), deleted)


def _convert_items(out: Out, name: str, node: Any, spath: Path) -> None:
    kind = ITEM_KINDS[name]
    for item in iter_items(out, node, spath):
        members = _item_members(out, name, kind, item)
        if members is None:
            continue
        if name != "volumes":
            _append_item(out, kind.target, item, members)
            continue
        value = unwrap_leaf(item.value, item.vpath)[0]
        nfs = isinstance(value, dict) and bool({"nfsServer", "server"} & set(value))
        if nfs or item.deleted and not isinstance(value, dict):
            _append_item(out, ("storage", "nfs"), item, [m for m in members if m[0] != ("mountPropagation",)])
        if not nfs:
            _append_item(out, kind.target, item, members)


def _append_item(out: Out, target: Path, item: Item, members: list[tuple[Path, Any, Path]]) -> None:
    lpath = ("spec",) + target
    cur: Any = out.data
    for key in lpath:
        cur = cur.get(key, {}) if isinstance(cur, dict) else {}
    index = len(cur) if isinstance(cur, list) else 0
    out.put(lpath + (index,), {}, item.ipath, at_key=True)
    for mpath, value, vpath in members:
        out.put(lpath + (index,) + mpath, value, vpath, at_key=vpath == item.ipath)


def _item_members(out: Out, name: str, kind: ItemKind, item: Item) -> list[tuple[Path, Any, Path]] | None:
    value, vpath = unwrap_leaf(item.value, item.vpath)
    members: list[tuple[Path, Any, Path]] = []
    if isinstance(value, dict):
        members = _mapping_members(out, name, kind, value, vpath)
    elif kind.scalar and not (value is None and item.deleted):
        try:
            members = [((kind.scalar,), kind.members[kind.scalar][1](value), vpath)]
        except Bad as bad:
            out.problem(vpath, "runai.bad-value", f"{name}.{item.label}: {bad}")
            return None
    elif value is not None or not item.deleted:
        out.problem(vpath, "runai.bad-value", f"{name}.{item.label}: expected a mapping of "
                    f"{', '.join(sorted(kind.members))}, got {_shape(value) if value is None else repr(value)}")
        return None
    return _keyed(out, name, kind, item, members)


def _mapping_members(out: Out, name: str, kind: ItemKind, value: dict[str, Any],
                     vpath: Path) -> list[tuple[Path, Any, Path]]:
    members: list[tuple[Path, Any, Path]] = []
    for member, raw in value.items():
        mpath = vpath + (member,)
        if (name, member) in SECRET_MEMBERS:
            out.problem(mpath, "runai.secret-in-git", f"{name}.{member} would put a credential in git; "
                        "store it in a Secret and name that Secret instead", key=True)
        elif name == "pvcs" and member == "claimInfo" and isinstance(raw, dict):
            members += _mapping_members(out, name, kind, raw, mpath)
        elif member not in kind.members:
            out.unknown(mpath, kind.members, what=f"{name} item field")
        elif raw is None:
            continue
        else:
            inner, ipath = unwrap_leaf(raw, mpath)
            try:
                members.append((kind.members[member][0], kind.members[member][1](inner), ipath))
            except Bad as bad:
                out.problem(ipath, "runai.bad-value", f"{name}.{member}: {bad}")
    return members


def _keyed(out: Out, name: str, kind: ItemKind, item: Item,
           members: list[tuple[Path, Any, Path]]) -> list[tuple[Path, Any, Path]] | None:
    """Put the key member first (from the value, else the label) and add exclude for deletions."""
    keys = [m for m in members if m[0] == (kind.key,)]
    rest = [m for m in members if m[0] != (kind.key,)]
    if keys:
        key = keys[-1]
    elif kind.label_is_key:
        key = ((kind.key,), item.label, item.ipath)
    else:
        number = re.fullmatch(r"(?:port-)?([1-9][0-9]*)", item.label)
        if not number:
            out.problem(item.ipath, "runai.bad-value", f'{name}.{item.label}: the item has no "{kind.key}"')
            return None
        key = ((kind.key,), int(number.group(1)), item.ipath)
    if item.deleted:
        return [key, (("exclude",), True, item.ipath)]
    rank = {target: i for i, (target, _) in enumerate(kind.members.values())}
    return [key] + sorted(rest, key=lambda m: rank.get(m[0], len(rank)))


# --------------------------------------------------------------------------- ports and serving port


def _finish_ports(out: Out, spec: dict[str, Any], kind: str) -> None:
    """Apply the default serviceType; turn an inference workload's single port into its serving port."""
    nspec = out.data["spec"]
    found = _field_value(out, spec, "serviceType")
    if found is not None:
        _default_service_type(out, found[0], found[1])
    if kind == "InferenceWorkload":
        ports = [p for p in nspec.get("ports", []) if not p.get("exclude")]
        if len(ports) == 1 and len(nspec["ports"]) == 1:
            src = out.locs.get(("spec", "ports", 0, "container"), out.locs[("spec",)])
            del nspec["ports"]
            out.locs[("spec", "servingPort", "container")] = src
            out.locs.setdefault(("spec", "servingPort"), src)
            nspec["servingPort"] = {"container": ports[0]["container"]}
        elif ports:
            out.problem(("spec", "ports"), "runai.serving-port", "an inference workload with several ports: "
                        "set spec.servingPort to the one that serves requests", severity="warning", key=True)


def _default_service_type(out: Out, value: Any, vpath: Path) -> None:
    text = str(value).lower()
    ports = out.data["spec"].get("ports", [])
    if not ports:
        out.dropped(vpath, "there are no ports to expose")
        return
    if text == "ingress":
        for index, port in enumerate(ports):
            if not port.get("exclude"):
                _append_url(out, port["container"], vpath)
        stype = "ClusterIP"
    elif text == "portforward":
        out.problem(vpath, "runai.service-type", "portforward becomes a ClusterIP Service "
                    "(reach it with kubectl port-forward)", severity="warning", key=True)
        stype = "ClusterIP"
    else:
        try:
            stype = _service_type(value)
        except Bad as bad:
            out.problem(vpath, "runai.bad-value", f"serviceType: {bad}")
            return
    for index, port in enumerate(ports):
        if "serviceType" not in port and not port.get("exclude"):
            out.put(("spec", "ports", index, "serviceType"), stype, vpath)


def _append_url(out: Out, container: Any, vpath: Path) -> None:
    urls = out.data["spec"].get("exposedUrls", [])
    if any(u.get("container") == container for u in urls):
        return
    index = len(urls)
    out.put(("spec", "exposedUrls", index), {}, vpath)
    out.put(("spec", "exposedUrls", index, "container"), container, vpath)


# --------------------------------------------------------------------------- output order

SPEC_ORDER = (
    "project", "active", "template", "environment", "compute", "dataSources", "framework", "workers",
    "minReplicas", "maxReplicas", "slotsPerWorker", "cleanPodPolicy", "image", "imagePullPolicy",
    "command", "args", "workingDir", "createHomeDir", "environmentVariables", "storage", "security",
    "ports", "servingPort", "exposedUrls", "autoscaling", "nodePools", "nodeType", "tolerations",
    "podAffinitySchedulingRule", "podAffinityTopology", "priorityClass", "preemptible", "nonPreemptible", "labels",
    "annotations", "autoDeletionTimeAfterCompletionSeconds", "backoffLimit", "completions", "parallelism",
    "terminateAfterPreemption", "defaults", "rules",
)
_SUB_ORDER = {
    "compute": ("gpuDevicesRequest", "gpuRequestType", "gpuPortionRequest", "gpuPortionLimit",
                "gpuMemoryRequest", "gpuMemoryLimit", "migProfile", "cpuCoreRequest", "cpuCoreLimit",
                "cpuMemoryRequest", "cpuMemoryLimit", "largeShmRequest", "extendedResources"),
    "storage": ("pvc", "nfs", "hostPath", "git", "s3", "configMapVolumes", "secretVolume"),
    "security": ("uidGidSource", "runAsUid", "runAsGid", "supplementalGroups", "runAsNonRoot",
                 "allowPrivilegeEscalation", "readOnlyRootFilesystem", "hostIpc", "hostNetwork",
                 "capabilities", "seccompProfileType"),
    "autoscaling": ("minReplicas", "maxReplicas", "metric", "metricName", "threshold"),
}


def order_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with keys in the documented order (a readable, stable output contract)."""
    return {k: _order_sub(k, spec[k]) for k in _ordered_keys(spec, SPEC_ORDER)}


def _order_sub(key: str, value: Any) -> Any:
    if key in _SUB_ORDER and isinstance(value, dict):
        return {k: _order_sub(k, value[k]) for k in _ordered_keys(value, _SUB_ORDER[key])}
    if key in ("defaults", "rules") and isinstance(value, dict):
        return order_spec(value)
    return value


def _ordered_keys(data: dict[str, Any], order: tuple[str, ...]) -> list[str]:
    rank = {k: i for i, k in enumerate(order)}
    return sorted(data, key=lambda k: (rank.get(k, len(order)), k))


# --------------------------------------------------------------------------- policies


#: the note the importer writes above an imported policy (v1 and wlc scope semantics differ)
POLICY_NOTE = (
    "Imported from a Run:ai v1 {kind}. In Run:ai v1 a project's policy of a kind REPLACES the\n"
    "cluster (namespace runai) one; in wlc policies of a scope chain MERGE: defaults, most specific\n"
    "wins; a field may have rules in only one policy of the chain. Review overlapping rules."
)
_POLICY_FIELD_KEYS = ("rules", "value", "itemRules", "items")
_RULE_NAMES = ("required", "canEdit", "min", "max", "step", "options")
_ITEM_RULE_NAMES = ("canAdd", "required")
#: rules of fields that are not one-to-one: Run:ai field → (native path, converter for min/max)
_RULE_TARGETS: dict[str, tuple[Path, Conv]] = {
    "gpuDevices": (("compute", "gpuDevicesRequest"), _int),
    "gpuMemory": (("compute", "gpuMemoryRequest"), _quantity),
    "migProfile": (("compute", "migProfile"), _str),
    "gpuLimit": (("compute", "gpuPortionLimit"), _number),
    "runAsUser": (("security", "uidGidSource"), _str),
    "runAsUid": (("security", "runAsUid"), _int),
    "runAsGid": (("security", "runAsGid"), _int),
}


def _convert_policy(out: Out, data: dict[str, Any], kind: str) -> None:
    """A v1 per-kind policy becomes a native Policy for that one workload type."""
    for key in data:
        if key not in _TOP_KEYS:
            out.unknown((key,), _TOP_KEYS)
    out.data["kind"] = "Policy"
    out.mark(("kind",), ("kind",))
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    assert isinstance(meta, dict)
    out.mark(("metadata",), ("metadata",))
    if isinstance(meta.get("name"), str) and meta["name"]:
        out.put(("metadata", "name"), meta["name"], ("metadata", "name"))
    else:
        out.problem(("metadata",), "runai.bad-value", "the policy has no metadata.name")
    spec = data.get("spec")
    if not isinstance(spec, dict):
        out.problem(("spec",), "runai.bad-value", "a Run:ai policy needs a spec mapping")
        spec = {}
    out.mark(("spec",), ("spec",))
    if not _policy_scope(out, meta):
        out.data.clear()
        return
    workload_kind = POLICY_KINDS[kind]
    out.put(("spec", "workloadTypes"), [workload_kind], ("kind",))
    fields = _policy_fields(out, spec, workload_kind)
    _policy_defaults(out, fields, workload_kind)
    _policy_rules(out, fields)
    for part in ("defaults", "rules"):
        if part in out.data["spec"]:
            out.data["spec"][part] = order_spec(out.data["spec"][part])


def _policy_scope(out: Out, meta: dict[str, Any]) -> bool:
    namespace = meta.get("namespace")
    path = ("metadata", "namespace")
    if namespace == "runai":
        out.put(("spec", "scope", "cluster"), True, path)
        return True
    project = project_of_namespace(namespace) if isinstance(namespace, str) else None
    if project is None:
        out.problem(path if namespace else ("metadata",), "runai.policy-scope",
                    "a Run:ai policy applies to the cluster (namespace runai) or to a project "
                    f"(namespace runai-<project>); cannot tell the scope of namespace {namespace!r}")
        return False
    out.put(("spec", "scope", "project"), project, path)
    return True


def _policy_fields(out: Out, spec: dict[str, Any], workload_kind: str) -> dict[str, dict[str, Any]]:
    """The policy's fields that are mappings of rules/value/itemRules/items (others are problems)."""
    allowed = allowed_fields(workload_kind)
    fields: dict[str, dict[str, Any]] = {}
    for name, node in spec.items():
        spath = ("spec", name)
        if name not in allowed:
            _not_allowed(out, spath, workload_kind, allowed)
        elif not isinstance(node, dict):
            out.problem(spath, "runai.bad-value", f"{name}: expected rules, value, itemRules or items")
        else:
            for key in node:
                if key not in _POLICY_FIELD_KEYS:
                    out.unknown(spath + (key,), _POLICY_FIELD_KEYS, what="policy key")
            fields[name] = node
    return fields


# -- defaults: the policy's values converted like a workload's, then itemized lists become instances


def _policy_defaults(out: Out, fields: dict[str, dict[str, Any]], workload_kind: str) -> None:
    synthetic: dict[str, Any] = {}
    for name, node in fields.items():
        if isinstance(node.get("items"), dict):
            items = {label: {"value": item["value"]} for label, item in node["items"].items()
                     if label != "DEFAULTS" and isinstance(item, dict) and "value" in item}
            if items:
                synthetic[name] = {"items": items}
        elif "value" in node:
            synthetic[name] = {"value": node["value"]}
    tmp = Out(out.src, {"spec": {}})
    convert_spec(tmp, synthetic, workload_kind)
    out.problems.extend(tmp.problems)
    _move_defaults(out, tmp)
    for name, node in fields.items():
        defaults = node.get("items", {}).get("DEFAULTS") if isinstance(node.get("items"), dict) else None
        if isinstance(defaults, dict) and name in ITEM_KINDS:
            _item_attribute_defaults(out, name, defaults.get("value"), ("spec", name, "items", "DEFAULTS", "value"))


def _move_defaults(out: Out, tmp: Out) -> None:
    """spec.X → spec.defaults.X, with every itemized list wrapped as ``{instances: [...]}``."""
    lists = {("spec",) + kind.target for kind in ITEM_KINDS.values()} | {("spec", "storage", "nfs")}
    for path in sorted(tmp.locs, key=lambda p: (len(p), [str(x) for x in p])):
        if path[:1] != ("spec",) or len(path) < 2:
            continue
        new = _instances_path(("spec", "defaults") + path[1:], lists)
        out.locs.setdefault(new, tmp.locs[path])
        if path in tmp.key_locs:
            out.key_locs.setdefault(new, tmp.key_locs[path])
    spec = tmp.data["spec"]
    if not spec:
        return
    out.locs.setdefault(("spec", "defaults"), out.src.loc(("spec",)))
    out.data["spec"]["defaults"] = _wrap_instances(spec, ("spec",), lists)


def _instances_path(path: Path, lists: set[Path]) -> Path:
    for depth in range(2, len(path) + 1):
        if ("spec",) + path[2:depth] in lists:
            return path[:depth] + ("instances",) + path[depth:]
    return path


def _wrap_instances(node: Any, path: Path, lists: set[Path]) -> Any:
    if path in lists and isinstance(node, list):
        return {"instances": node}
    if isinstance(node, dict):
        return {k: _wrap_instances(v, path + (k,), lists) for k, v in node.items()}
    return node


def _item_attribute_defaults(out: Out, name: str, value: Any, vpath: Path) -> None:
    """The DEFAULTS item: defaults for the members of every item (``attributes``)."""
    value, vpath = unwrap_leaf(value, vpath)
    if not isinstance(value, dict):
        out.problem(vpath, "runai.bad-value", f"{name}.DEFAULTS: expected a mapping of item fields")
        return
    kind = ITEM_KINDS[name]
    members = _mapping_members(out, name, kind, value, vpath)
    for target in _item_targets(name, value):
        base = ("spec", "defaults") + target + ("attributes",)
        for mpath, member, mvpath in members:
            if mpath != ("server",) or target[-1] == "nfs":
                out.put(base + mpath, member, mvpath)


def _item_targets(name: str, value: Any = None) -> list[Path]:
    """Native lists a Run:ai itemized field feeds (volumes: host paths and NFS)."""
    if name != "volumes":
        return [ITEM_KINDS[name].target]
    if isinstance(value, dict) and {"nfsServer", "server"} & set(value):
        return [("storage", "nfs")]
    return [("storage", "hostPath"), ("storage", "nfs")]


# -- rules


def _policy_rules(out: Out, fields: dict[str, dict[str, Any]]) -> None:
    for name, node in fields.items():
        spath = ("spec", name)
        if name in ITEM_KINDS:
            _item_rules(out, name, node, spath)
        elif "rules" in node or "itemRules" in node:
            _field_rules(out, name, node, spath)


def _field_rules(out: Out, name: str, node: dict[str, Any], spath: Path) -> None:
    rules = node.get("rules")
    if "itemRules" in node:
        out.unmappable(spath + ("itemRules",), f"{name} is not an itemized field")
    if not isinstance(rules, dict):
        if rules is not None:
            out.problem(spath + ("rules",), "runai.bad-value", f"{name}.rules: expected a mapping")
        return
    target = _rule_target(out, name, rules, spath + ("rules",))
    if target is None:
        return
    path, conv = target
    for rule, raw in rules.items():
        rpath = spath + ("rules", rule)
        if rule not in _RULE_NAMES:
            out.unknown(rpath, _RULE_NAMES, what="rule")
            continue
        try:
            value = _bool(raw) if rule in ("required", "canEdit") else conv(raw) if rule != "options" \
                else [{"value": conv(unwrap_leaf(o, ())[0])} for o in (raw if isinstance(raw, list) else [raw])]
        except Bad as bad:
            out.problem(rpath, "runai.bad-value", f"{name}.rules.{rule}: {bad}")
            continue
        out.put(("spec", "rules") + path + (rule,), value, rpath)


def _rule_target(out: Out, name: str, rules: dict[str, Any], rpath: Path) -> tuple[Path, Conv] | None:
    if name == "gpu":
        bounds = [rules[b] for b in ("min", "max") if b in rules]
        try:
            fraction = any(0 < _number(b) < 1 for b in bounds)
        except Bad as bad:
            out.problem(rpath, "runai.bad-value", f"gpu.rules: {bad}")
            return None
        return (("compute", "gpuPortionRequest"), _number) if fraction else \
            (("compute", "gpuDevicesRequest"), _int)
    if name in _RULE_TARGETS:
        return _RULE_TARGETS[name]
    if name in SIMPLE:
        return SIMPLE[name]
    out.unmappable(rpath, f"wlc has no field that {name} maps to one-to-one, so its rules cannot be kept")
    return None


def _item_rules(out: Out, name: str, node: dict[str, Any], spath: Path) -> None:
    kind = ITEM_KINDS[name]
    rules = node.get("rules")
    if isinstance(rules, dict):
        for rule, raw in rules.items():
            rpath = spath + ("rules", rule)
            if rule == "canAdd":
                for target in _item_targets(name):
                    _put_rule(out, target + ("instances", "canAdd"), raw, rpath, name)
            elif rule in _ITEM_RULE_NAMES:
                out.dropped(rpath, "wlc policies have no 'required' rule for a whole itemized field")
            else:
                out.unknown(rpath, _ITEM_RULE_NAMES, what="rule")
    if isinstance(node.get("itemRules"), dict):
        for member, mrules in node["itemRules"].items():
            _member_rules(out, name, kind, member, mrules, spath + ("itemRules", member))
    if isinstance(node.get("items"), dict):
        _locked_items(out, name, kind, node["items"], spath)


def _put_rule(out: Out, target: Path, raw: Any, rpath: Path, name: str) -> None:
    try:
        out.put(("spec", "rules") + target, _bool(raw), rpath)
    except Bad as bad:
        out.problem(rpath, "runai.bad-value", f"{name}: {bad}")


def _member_rules(out: Out, name: str, kind: ItemKind, member: str, mrules: Any, mpath: Path) -> None:
    if name == "volumes" and member == "nfsServer" and isinstance(mrules, dict) and mrules.get("required"):
        # Run:ai's documented idiom for "no host paths": every volume must name an NFS server
        out.put(("spec", "rules", "storage", "hostPath", "instances", "canAdd"), False, mpath + ("required",))
        return
    if member not in kind.members or not isinstance(mrules, dict):
        out.unknown(mpath, kind.members, what=f"{name} item field")
        return
    target, conv = kind.members[member]
    for rule, raw in mrules.items():
        rpath = mpath + (rule,)
        if rule not in _RULE_NAMES:
            out.unknown(rpath, _RULE_NAMES, what="rule")
            continue
        try:
            value = _bool(raw) if rule in ("required", "canEdit") else conv(raw)
        except Bad as bad:
            out.problem(rpath, "runai.bad-value", f"{name}.itemRules.{member}.{rule}: {bad}")
            continue
        for lpath in _item_targets(name, {member: 1} if member in ("nfsServer", "server") else None):
            out.put(("spec", "rules") + lpath + ("attributes",) + target + (rule,), value, rpath)


def _locked_items(out: Out, name: str, kind: ItemKind, items: dict[str, Any], spath: Path) -> None:
    """Items whose rules forbid removing them become ``instances.locked`` keys."""
    for label, item in items.items():
        ipath = spath + ("items", label)
        if not isinstance(item, dict) or label == "DEFAULTS" or not isinstance(item.get("rules"), dict):
            continue
        rules = item["rules"]
        for rule in rules:
            if rule not in ("canRemove", "canEdit"):
                out.unknown(ipath + ("rules", rule), ("canRemove", "canEdit"), what="item rule")
        if rules.get("canEdit") is False:
            out.dropped(ipath + ("rules", "canEdit"), "wlc locks an item against removal only; "
                        "use itemRules (attributes) with canEdit to fix its members")
        if rules.get("canRemove") is False:
            value = item.get("value")
            members = _item_members(out, name, kind, Item(str(label), ipath, value, ipath + ("value",), False))
            if members:
                key = members[0][1]
                for target in _item_targets(name, unwrap_leaf(value, ())[0]):
                    _append_locked(out, target, key, ipath + ("rules", "canRemove"))


def _append_locked(out: Out, target: Path, key: Any, rpath: Path) -> None:
    path = ("spec", "rules") + target + ("instances", "locked")
    rules: Any = out.data["spec"].get("rules", {})
    for part in path[2:]:
        rules = rules.get(part, {}) if isinstance(rules, dict) else {}
    out.put(path + (len(rules) if isinstance(rules, list) else 0,), key, rpath)
