"""NVIDIA's DCGM exporter, emulated by kwok, so that a real Prometheus (prometheus.py) can scrape
GPU metrics of the fake GPU nodes and ``wlc describe --prometheus`` read them.

The exporter (github.com/NVIDIA/dcgm-exporter) serves one series per GPU: ``DCGM_FI_DEV_GPU_UTIL``
(percent), ``DCGM_FI_DEV_FB_USED`` and ``DCGM_FI_DEV_FB_FREE`` (frame buffer, MiB), labelled
``gpu``, ``UUID``, ``device``, ``modelName``, ``Hostname`` and, for a GPU a container holds, that
container's ``namespace``, ``pod`` and ``container`` (empty for a GPU no pod holds). kwok's
``Metric`` serves a series per container on ``/metrics/nodes/<node>/dcgm`` of its one server: a
container with an ``nvidia.com/gpu`` limit gets its pod's labels (one series: kwok cannot repeat a
series per GPU of a container), one without gets empty ones, like an idle GPU. The values are
``DEFAULT_UTIL`` and ``DEFAULT_FB_USED`` of ``FB_TOTAL`` unless the pod's annotations
``UTIL_ANNOTATION`` / ``FB_USED_ANNOTATION`` say otherwise (kwok reads them at each scrape).
"""
from __future__ import annotations

UTIL_ANNOTATION = "wlc.dev/test-gpu-util"
FB_USED_ANNOTATION = "wlc.dev/test-gpu-fb-used-mib"
DEFAULT_UTIL, DEFAULT_FB_USED, FB_TOTAL = 87, 20480, 81920
HAS_GPU = '"nvidia.com/gpu" in container.resources.limits'


def node_path(node: str) -> str:
    return f"/metrics/nodes/{node}/dcgm"


def _label(name: str, value: str) -> str:
    return f"      - name: {name}\n        value: '{value}'\n"


def _owner(name: str, value: str) -> str:
    return _label(name, f'{HAS_GPU} ? {value} : ""')


LABELS = (
    _label("gpu", '"0"')
    + _label("UUID", '"GPU-" + pod.metadata.uid + "-" + container.name')
    + _label("device", '"nvidia0"')
    + _label("modelName", '"nvidia.com/gpu.product" in node.metadata.labels ? '
             'node.metadata.labels["nvidia.com/gpu.product"] : ""')
    + _label("Hostname", "node.metadata.name")
    + _owner("container", "container.name")
    + _owner("namespace", "pod.metadata.namespace")
    + _owner("pod", "pod.metadata.name")
)


def _annotated(key: str, default: int) -> str:
    return f'"{key}" in pod.metadata.annotations ? double(pod.metadata.annotations["{key}"]) : {default:.1f}'


def _metric(name: str, help_text: str, value: str) -> str:
    return (f"    - name: {name}\n      help: {help_text}\n      kind: gauge\n      dimension: container\n"
            f"      labels:\n{LABELS}      value: '{value}'\n")


KWOK_DCGM = (
    "---\napiVersion: kwok.x-k8s.io/v1alpha1\nkind: Metric\nmetadata:\n  name: dcgm-exporter\nspec:\n"
    "  path: /metrics/nodes/{nodeName}/dcgm\n  metrics:\n"
    + _metric("DCGM_FI_DEV_GPU_UTIL", "GPU utilization (in %).", _annotated(UTIL_ANNOTATION, DEFAULT_UTIL))
    + _metric("DCGM_FI_DEV_FB_USED", "Framebuffer memory used (in MiB).", _annotated(FB_USED_ANNOTATION, DEFAULT_FB_USED))
    + _metric("DCGM_FI_DEV_FB_FREE", "Framebuffer memory free (in MiB).",
              f"{FB_TOTAL:.1f} - ({_annotated(FB_USED_ANNOTATION, DEFAULT_FB_USED)})")
)
