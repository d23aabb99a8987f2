"""Lowering: a resolved workload becomes Kubernetes objects for the target.

``lower_workload(rw, target)`` returns ``(objects, problems)``. Objects are plain dicts in
any order (the bundle stage sorts them into apply order and stamps the bundle labels). One
``Ctx`` per workload collects every problem; each workload type's function takes it and
returns the objects.

Every workload type builds its pods with ``compiler.lower.pod.build_pod``; Services and
Ingress come from ``compiler.lower.network``. Distributed and inference workloads have a
package each: the shared model, one module per backend, a dispatch table in ``__init__``.
"""
from __future__ import annotations

from collections.abc import Callable

from compiler.lower.common import Ctx, check_metadata
from compiler.lower.distributed import lower_distributed
from compiler.lower.inference import lower_inference
from compiler.lower.interactive import lower_interactive
from compiler.lower.training import lower_training
from compiler.model import ResolvedWorkload, Target
from compiler.problems import Problem
from compiler.shapes import K8sObject

Lowerer = Callable[[Ctx], list[K8sObject]]
LOWERERS: dict[str, Lowerer] = {
    "TrainingWorkload": lower_training,
    "InteractiveWorkload": lower_interactive,
    "DistributedWorkload": lower_distributed,
    "InferenceWorkload": lower_inference,
}


def lower_workload(rw: ResolvedWorkload, target: Target) -> tuple[list[K8sObject], list[Problem]]:
    ctx = Ctx(rw, target, rw.spec)
    lower = LOWERERS.get(rw.kind)
    if lower is None:
        ctx.doc_problem(("kind",), "lower.unsupported-kind",
                        f"{rw.kind} workloads cannot be lowered yet (supported: "
                        f"{', '.join(sorted(LOWERERS))})")
        return [], ctx.problems
    objects = lower(ctx)
    check_metadata(ctx)
    return objects, ctx.problems
