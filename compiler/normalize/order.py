"""The order of the keys of a native spec: a readable, stable output contract.

``wlc import runai`` writes specs (and a policy's ``defaults`` and ``rules``) in this order,
whatever the order of the Run:ai fields was.
"""
from __future__ import annotations

from ..shapes import YamlMap

SPEC_ORDER = (
    "project", "active", "template", "environment", "compute", "dataSources", "framework", "workers",
    "minReplicas", "maxReplicas", "slotsPerWorker", "cleanPodPolicy", "image", "imagePullPolicy",
    "command", "args", "workingDir", "createHomeDir", "stdin", "tty", "environmentVariables", "storage", "security",
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


def order_spec(spec: YamlMap) -> YamlMap:
    """The spec with keys in the documented order (a readable, stable output contract)."""
    return {k: _order_sub(k, spec[k]) for k in _ordered_keys(spec, SPEC_ORDER)}


def _order_sub(key: str, value: object) -> object:
    if key in _SUB_ORDER and isinstance(value, dict):
        return {k: _order_sub(k, value[k]) for k in _ordered_keys(value, _SUB_ORDER[key])}
    if key in ("defaults", "rules") and isinstance(value, dict):
        return order_spec(value)
    return value


def _ordered_keys(data: YamlMap, order: tuple[str, ...]) -> list[str]:
    rank = {k: i for i, k in enumerate(order)}
    return sorted(data, key=lambda k: (rank.get(k, len(order)), k))
