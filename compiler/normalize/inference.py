"""InferenceWorkload fields: the autoscaling settings, and the serving port.

An inference workload with exactly one port serves on it (``servingPort: {container}``); with
several, the ports stay and a warning asks for ``spec.servingPort``.
"""
from __future__ import annotations

from ..model import Path
from .builder import Out
from .values import Conv, as_int, as_number, as_str, one_of

_metric = one_of({m.replace("-", ""): m for m in ("cpu-utilization", "latency", "throughput", "concurrency",
                                                   "gpu-utilization", "custom")})

#: one-to-one InferenceWorkload fields: Run:ai field → (native path under spec, converter)
INFERENCE_SIMPLE: dict[str, tuple[Path, Conv]] = {
    "minScale": (("autoscaling", "minReplicas"), as_int),
    "maxScale": (("autoscaling", "maxReplicas"), as_int),
    "metric": (("autoscaling", "metric"), _metric),
    "metricName": (("autoscaling", "metricName"), as_str),
    "target": (("autoscaling", "threshold"), as_number),
}


def serving_port(out: Out) -> None:
    """Turn the single converted port into the serving port; warn when there are several."""
    nspec = out.data["spec"]
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
