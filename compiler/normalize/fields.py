"""The field table: what becomes of each Run:ai spec field (docs/runai-import.md, "Fields").

A field is one-to-one (``SIMPLE``), itemized (``ITEM_KINDS``), a sub-object (``SUBOBJECTS``),
read together with others (``TOGETHER``), dropped with a warning (``DROPPED``) or refused
(``UNMAPPABLE``). ``allowed_fields`` says which fields a workload kind has at all.
"""
from __future__ import annotations

from ..model import Path
from .distributed import DISTRIBUTED_SIMPLE
from .gpu import GPU_FIELDS
from .identity import IDENTITY_FIELDS
from .inference import INFERENCE_SIMPLE
from .items import ItemKind
from .network import NETWORK_ITEMS
from .storage import STORAGE_ITEMS, volume_targets
from .values import (
    Conv,
    as_bool,
    as_cpu,
    as_duration,
    as_int,
    as_int_list,
    as_node_pools,
    as_quantity,
    as_str,
    as_str_list,
    as_text,
    one_of,
)

#: the keys of a Run:ai document
TOP_KEYS = ("apiVersion", "kind", "metadata", "spec", "status")

_pull_policy = one_of({"always": "Always", "ifnotpresent": "IfNotPresent", "never": "Never"})
_seccomp = one_of({"runtimedefault": "RuntimeDefault", "unconfined": "Unconfined", "localhost": "Localhost"})
_affinity_rule = one_of({"required": "required", "preferred": "preferred"})
_operator = one_of({"equal": "Equal", "exists": "Exists"})
_effect = one_of({"noschedule": "NoSchedule", "prefernoschedule": "PreferNoSchedule", "noexecute": "NoExecute"})

#: Run:ai field → (native path under spec, converter), for one-to-one fields.
SIMPLE: dict[str, tuple[Path, Conv]] = {
    "image": (("image",), as_str),
    "imagePullPolicy": (("imagePullPolicy",), _pull_policy),
    "command": (("command",), as_str),
    "arguments": (("args",), as_str),
    "args": (("args",), as_str),
    "workingDir": (("workingDir",), as_str),
    "createHomeDir": (("createHomeDir",), as_bool),
    "stdin": (("stdin",), as_bool),
    "tty": (("tty",), as_bool),
    "cpu": (("compute", "cpuCoreRequest"), as_cpu),
    "cpuLimit": (("compute", "cpuCoreLimit"), as_cpu),
    "memory": (("compute", "cpuMemoryRequest"), as_quantity),
    "memoryLimit": (("compute", "cpuMemoryLimit"), as_quantity),
    "largeShm": (("compute", "largeShmRequest"), as_bool),
    "supplementalGroups": (("security", "supplementalGroups"), as_int_list),
    "allowPrivilegeEscalation": (("security", "allowPrivilegeEscalation"), as_bool),
    "capabilities": (("security", "capabilities"), as_str_list),
    "hostIpc": (("security", "hostIpc"), as_bool),
    "hostNetwork": (("security", "hostNetwork"), as_bool),
    "seccompProfileType": (("security", "seccompProfileType"), _seccomp),
    "seccompProfile": (("security", "seccompProfileType"), _seccomp),
    "runAsNonRoot": (("security", "runAsNonRoot"), as_bool),
    "readOnlyRootFilesystem": (("security", "readOnlyRootFilesystem"), as_bool),
    "nodeType": (("nodeType",), as_str),
    "nodePools": (("nodePools",), as_node_pools),
    "nodePool": (("nodePools",), as_node_pools),
    "priorityClass": (("priorityClass",), as_str),
    "podAffinitySchedulingRule": (("podAffinitySchedulingRule",), _affinity_rule),
    "podAffinityTopology": (("podAffinityTopology",), as_str),
    "terminateAfterPreemption": (("terminateAfterPreemption",), as_bool),
    "active": (("active",), as_bool),
    "backoffLimit": (("backoffLimit",), as_int),
    "completions": (("completions",), as_int),
    "parallelism": (("parallelism",), as_int),
    "ttlAfterFinish": (("autoDeletionTimeAfterCompletionSeconds",), as_duration),
    "autoDeletionTimeAfterCompletionSeconds": (("autoDeletionTimeAfterCompletionSeconds",), as_duration),
    "preemptible": (("preemptible",), as_bool),
    **DISTRIBUTED_SIMPLE,
    **INFERENCE_SIMPLE,
}

_NAME_VALUE: dict[str, tuple[Path, Conv]] = {"name": (("name",), as_str), "value": (("value",), as_text)}

#: itemized Run:ai field → how its items become a native keyed list
ITEM_KINDS: dict[str, ItemKind] = {
    "environment": ItemKind(("environmentVariables",), "name", _NAME_VALUE, scalar="value"),
    "labels": ItemKind(("labels",), "name", _NAME_VALUE, scalar="value"),
    "annotations": ItemKind(("annotations",), "name", _NAME_VALUE, scalar="value"),
    "extendedResources": ItemKind(("compute", "extendedResources"), "resource",
                                  {"resource": (("resource",), as_str), "quantity": (("quantity",), as_quantity)},
                                  scalar="quantity"),
    **NETWORK_ITEMS,
    **STORAGE_ITEMS,
    "tolerations": ItemKind(("tolerations",), "name", {
        "name": (("name",), as_str), "operator": (("operator",), _operator), "key": (("key",), as_str),
        "value": (("value",), as_str), "effect": (("effect",), _effect), "seconds": (("seconds",), as_int)}),
}

#: Fields read together before the field loop (their meaning depends on each other).
TOGETHER = GPU_FIELDS + IDENTITY_FIELDS + ("usage", "name", "namePrefix", "baseWorkload",
                                           "serviceType", "mountPropagation", "podAffinity")

#: Fields that only say something about Run:ai's own bookkeeping or terminal: warned and dropped.
DROPPED = {
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
#: the fields only some workload kinds have
PER_KIND = {
    "TrainingWorkload": {"backoffLimit", "completions", "parallelism", "ttlAfterFinish",
                         "autoDeletionTimeAfterCompletionSeconds", "processes", "slotsPerWorker", "mpi"},
    "InteractiveWorkload": {"jupyter", "notebookToken", "preemptible", "tensorboard", "tensorboardLogdir",
                            "processes", "slotsPerWorker", "mpi"},
    "DistributedWorkload": {"jobType", "mpiJob", "pyTorchJob", "runPolicy", "workers", "nonPreemptible",
                            "ttlAfterFinish", "autoDeletionTimeAfterCompletionSeconds", "slotsPerWorker"},
    "InferenceWorkload": {"class", "isPrivateServiceUrl", "minScale", "maxScale", "metric", "metricName",
                          "target"},
}


def allowed_fields(kind: str) -> set[str]:
    """The Run:ai spec fields a workload (or policy) of ``kind`` may set."""
    return _COMMON | PER_KIND.get(kind, set())


def item_targets(name: str, value: object = None) -> list[Path]:
    """Native lists a Run:ai itemized field feeds (volumes: host paths and NFS)."""
    if name != "volumes":
        return [ITEM_KINDS[name].target]
    return volume_targets(value)
