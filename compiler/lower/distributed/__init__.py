"""Distributed workloads: the topology is read once, then the target's backend builds the job.

- ``kubeflow`` (default): ``kubeflow.py`` (PyTorchJob / TFJob / MPIJob);
- ``native``: ``native.py`` (an indexed ``batch/v1`` Job + headless Service).

The shared model (topology, role sections, lifecycle) is ``model.py``; every backend is a
function ``(ctx, topology) -> objects`` in ``BACKENDS`` and reports into the workload's ctx.
"""
from __future__ import annotations

from collections.abc import Callable

from compiler.lower.common import Ctx
from compiler.lower.distributed.kubeflow import lower_kubeflow
from compiler.lower.distributed.model import Topology, non_preemptible, topology
from compiler.lower.distributed.native import lower_native
from compiler.shapes import K8sObject

Backend = Callable[[Ctx, Topology], list[K8sObject]]
BACKENDS: dict[str, Backend] = {"kubeflow": lower_kubeflow, "native": lower_native}


def lower_distributed(ctx: Ctx) -> list[K8sObject]:
    topo = topology(ctx)
    non_preemptible(ctx)
    if topo is None or ctx.has_errors:
        return []
    backend = BACKENDS.get(ctx.target.distributed)
    if backend is None:
        ctx.problem(("framework",), "lower.target",
                    f"target distributed {ctx.target.distributed!r} must be kubeflow or native")
        return []
    return backend(ctx, topo)
