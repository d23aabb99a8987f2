"""Inference workloads: the serving model is read once, then the target's backend builds it.

- ``deployment`` (default): ``deployment.py`` (Deployment + Service + HorizontalPodAutoscaler);
- ``knative``: ``knative.py`` (a Knative Service); ``kserve``: ``kserve.py`` (an InferenceService).

The shared model (serving port, scale, probes) is ``model.py``, what the serverless backends
share ``serverless.py``; every backend is a function ``(ctx, inference) -> objects`` in
``BACKENDS``, imports no other backend, and reports into the workload's ctx.
"""
from __future__ import annotations

from collections.abc import Callable

from compiler.lower.common import Ctx
from compiler.lower.inference.deployment import lower_deployment
from compiler.lower.inference.knative import lower_knative
from compiler.lower.inference.kserve import lower_kserve
from compiler.lower.inference.model import Inference, read_inference
from compiler.shapes import K8sObject

Backend = Callable[[Ctx, Inference], list[K8sObject]]
BACKENDS: dict[str, Backend] = {"deployment": lower_deployment, "knative": lower_knative,
                                "kserve": lower_kserve}


def lower_inference(ctx: Ctx) -> list[K8sObject]:
    inf = read_inference(ctx)
    if inf is None or ctx.has_errors:
        return []
    backend = BACKENDS.get(ctx.target.inference)
    if backend is None:
        ctx.problem(("servingPort",), "lower.target",
                    f"target inference {ctx.target.inference!r} must be deployment, knative or kserve")
        return []
    return backend(ctx, inf)
