"""Training workloads → a ``batch/v1`` Job (plus PVCs, Services and Ingress of the pod).

- ``backoffLimit``, ``completions``, ``parallelism`` (≤ completions), ``ttlSecondsAfterFinished``
  from ``autoDeletionTimeAfterCompletionSeconds``; ``suspend: true`` when stopped, and always
  under Kueue (Kueue unsuspends the Job when it admits it).
- ``terminateAfterPreemption`` becomes a ``podFailurePolicy`` on the ``DisruptionTarget`` pod
  condition (set when a pod is preempted or evicted): ``true`` → ``FailJob``, ``false`` →
  ``Ignore`` (the preempted pod is replaced without counting against ``backoffLimit``).
"""
from __future__ import annotations

from compiler.lower.common import Ctx, int_or_none, metadata
from compiler.lower.network import lower_network
from compiler.lower.pod import build_pod
from compiler.lower.scheduling import scheduler_labels
from compiler.shapes import K8sObject

MAX_JOB_NAME = 63  # the Job controller puts the name in the pods' job-name label


def lower_training(ctx: Ctx) -> list[K8sObject]:
    rw, target = ctx.rw, ctx.target
    pod = build_pod(ctx, restart_policy="Never")
    if len(rw.name) > MAX_JOB_NAME:
        ctx.doc_problem(("metadata", "name"), "lower.name-too-long",
                    f"workload name {rw.name!r} has {len(rw.name)} characters; a Job name must fit "
                    f"in the pods' job-name label ({MAX_JOB_NAME})")
    spec = job_counts(ctx)
    if not rw.active or target.scheduler == "kueue":
        spec["suspend"] = True
    if not rw.active and target.scheduler == "kueue":
        ctx.problem(("active",), "lower.kueue-stop",
                    "the Job is suspended, but Kueue would admit and unsuspend it again: wlc sync and "
                    "wlc agent also deactivate its Kueue Workload (spec.active: false); applied any "
                    "other way, deactivate it yourself", "warning")
    policy = preemption_policy(ctx)
    if policy:
        spec["podFailurePolicy"] = policy
    if ctx.get("preemptible") is not None:
        ctx.problem(("preemptible",), "lower.preemptible",
                    "preemptible applies to Interactive workloads only (Training is preemptible); "
                    "it is ignored", "warning")
    spec["template"] = pod.template
    job = {"apiVersion": "batch/v1", "kind": "Job",
           "metadata": metadata(rw, rw.name, labels=scheduler_labels(ctx)), "spec": spec}
    return [job, *pod.objects, *lower_network(ctx)]


def _count(ctx: Ctx, key: str, minimum: int) -> int | None:
    raw = ctx.get(key)
    if raw is None:
        return None
    value = int_or_none(raw)
    if value is None or value < minimum:
        ctx.problem((key,), "lower.count", f"{key} {raw!r} must be an integer of at least {minimum}")
        return None
    return value


def job_counts(ctx: Ctx) -> K8sObject:
    """backoffLimit, completions, parallelism and TTL of a Job spec, checked."""
    spec: K8sObject = {}
    backoff = _count(ctx, "backoffLimit", 0)
    completions = _count(ctx, "completions", 1)
    parallelism = _count(ctx, "parallelism", 1)
    ttl = _count(ctx, "autoDeletionTimeAfterCompletionSeconds", 0)
    if backoff is not None:
        spec["backoffLimit"] = backoff
    if completions is not None:
        spec["completions"] = completions
    if parallelism is not None:
        if parallelism > (completions or 1):
            ctx.problem(("parallelism",), "lower.parallelism",
                        f"parallelism {parallelism} is greater than completions {completions or 1}"
                        f"{'' if completions else ' (the default)'}")
        else:
            spec["parallelism"] = parallelism
    if ttl is not None:
        spec["ttlSecondsAfterFinished"] = ttl
    return spec


def preemption_policy(ctx: Ctx) -> K8sObject | None:
    value = ctx.get("terminateAfterPreemption")
    if value is None:
        return None
    action = "FailJob" if value is True else "Ignore"
    return {"rules": [{"action": action, "onPodConditions": [{"type": "DisruptionTarget"}]}]}
