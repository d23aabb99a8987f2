"""Lowering: a resolved workload becomes Kubernetes objects for the target.

``lower_workload(rw, target)`` returns ``(objects, problems)``. Objects are plain dicts in
any order (the bundle stage sorts them into apply order and stamps the bundle labels).

Every workload type builds its pods with ``compiler.lower.pod.pod_template``; Services and
Ingress come from ``compiler.lower.network``.
"""
from __future__ import annotations

from typing import Any

from compiler.lower.common import Ctx, check_metadata
from compiler.lower.distributed import lower_distributed
from compiler.lower.inference import lower_inference
from compiler.lower.interactive import lower_interactive
from compiler.lower.training import lower_training
from compiler.model import ResolvedWorkload, Target
from compiler.problems import Problem

LOWERERS = {
    "TrainingWorkload": lower_training,
    "InteractiveWorkload": lower_interactive,
    "DistributedWorkload": lower_distributed,
    "InferenceWorkload": lower_inference,
}


def lower_workload(rw: ResolvedWorkload, target: Target) -> tuple[list[dict[str, Any]], list[Problem]]:
    lower = LOWERERS.get(rw.kind)
    if lower is None:
        ctx = Ctx(rw, target, rw.spec)
        ctx.doc_problem(("kind",), "lower.unsupported-kind",
                    f"{rw.kind} workloads cannot be lowered yet (supported: "
                    f"{', '.join(sorted(LOWERERS))})")
        return [], ctx.problems
    objects, problems = lower(rw, target)
    ctx = Ctx(rw, target, rw.spec)
    check_metadata(ctx)
    return objects, problems + ctx.problems
