"""Placement: node pools and types, tolerations, pod affinity, priority and the scheduler target.

- ``nodePools`` (ordered; default: the project's node pools) → a required nodeAffinity ``In`` on
  ``target.node_pool_label`` plus one preferred term per pool, weights descending in the given
  order (first = 100). Pools or a node type the project does not list are problems.
- ``nodeType`` → the same required term also requires ``run.ai/type In [nodeType]``.
- scheduler ``runai``: ``schedulerName: runai-scheduler``, label ``runai/queue: <project>`` on the
  pod template and the workload object, default priority class by workload type.
- scheduler ``kueue``: label ``kueue.x-k8s.io/queue-name`` on the workload object (callers put it
  there; Jobs are created suspended and Kueue unsuspends them).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from compiler.labels import pod_labels
from compiler.lower.common import Ctx, int_or_none
from compiler.model import Path
from compiler.shapes import K8sObject, SpecTree
from compiler.templates import fill, name_error

RUNAI_SCHEDULER = "runai-scheduler"
RUNAI_QUEUE = "runai/queue"
KUEUE_QUEUE = "kueue.x-k8s.io/queue-name"
NODE_TYPE_LABEL = "run.ai/type"
OPERATORS = ("Equal", "Exists")
EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


@dataclass
class Scheduling:
    """Pod spec fields and the labels the scheduler target needs."""

    pod_spec: K8sObject = field(default_factory=dict)
    pod_labels: dict[str, str] = field(default_factory=dict)


def scheduler_labels(ctx: Ctx) -> dict[str, str]:
    """Labels the scheduler target wants on the workload object itself (Job, StatefulSet...)."""
    project = ctx.rw.project.name
    if ctx.target.scheduler == "runai":
        return {RUNAI_QUEUE: project}
    if ctx.target.scheduler == "kueue":
        queue = fill(ctx.target.kueue_queue, {"project": project, "namespace": ctx.rw.namespace,
                                              "workload": ctx.rw.name})
        error = name_error("kueueQueue", queue)
        if error is not None:
            ctx.doc_problem(("metadata", "name"), "lower.kueue-queue", f"target kueueQueue {error}")
        return {KUEUE_QUEUE: queue}
    return {}


def lower_scheduling(ctx: Ctx) -> Scheduling:
    out = Scheduling()
    affinity: K8sObject = {}
    node = _node_affinity(ctx)
    if node:
        affinity["nodeAffinity"] = node
    pod = _pod_affinity(ctx)
    if pod:
        affinity["podAffinity"] = pod
    if affinity:
        out.pod_spec["affinity"] = affinity
    tolerations = _tolerations(ctx)
    if tolerations:
        out.pod_spec["tolerations"] = tolerations
    _scheduler(ctx, out)
    return out


def _node_affinity(ctx: Ctx) -> K8sObject:
    expressions: list[K8sObject] = []
    preferred: list[K8sObject] = []
    pools = _node_pools(ctx)
    key = ctx.target.node_pool_label
    if pools:
        expressions.append({"key": key, "operator": "In", "values": pools})
        if len(pools) > 1:
            for i, pool in enumerate(pools):
                weight = max(1, round(100 * (len(pools) - i) / len(pools)))
                preferred.append({"weight": weight, "preference": {"matchExpressions": [
                    {"key": key, "operator": "In", "values": [pool]}]}})
    node_type = ctx.get("nodeType")
    allowed_types = ctx.rw.project.node_types
    if node_type and allowed_types and node_type not in allowed_types:
        ctx.problem(("nodeType",), "lower.node-type",
                    f"node type {node_type!r} is not one of project {ctx.rw.project.name}'s node "
                    f"types ({', '.join(allowed_types)})")
    if node_type:
        expressions.append({"key": NODE_TYPE_LABEL, "operator": "In", "values": [str(node_type)]})
    out: K8sObject = {}
    if expressions:
        out["requiredDuringSchedulingIgnoredDuringExecution"] = {
            "nodeSelectorTerms": [{"matchExpressions": expressions}]}
    if preferred:
        out["preferredDuringSchedulingIgnoredDuringExecution"] = preferred
    return out


def _node_pools(ctx: Ctx) -> list[str]:
    """The spec's node pools in preference order, else the project's default order.

    A pool the project does not list (when it lists any) is a problem and left out.
    """
    raw = ctx.get("nodePools", default=[])
    if isinstance(raw, str):
        raw = raw.split()
    pools = [str(p) for p in raw if p not in (None, "")] if isinstance(raw, list) else []
    allowed = ctx.rw.project.node_pools
    if not pools:
        return list(allowed)
    if allowed:
        for i, pool in enumerate(pools):
            if pool not in allowed:
                ctx.problem(("nodePools", i), "lower.node-pool",
                            f"node pool {pool!r} is not one of project {ctx.rw.project.name}'s node "
                            f"pools ({', '.join(allowed)})")
        pools = [p for p in pools if p in allowed]
    return pools


def _pod_affinity(ctx: Ctx) -> K8sObject:
    rule = ctx.get("podAffinitySchedulingRule")
    topology = ctx.get("podAffinityTopology")
    if not rule and not topology:
        return {}
    if not rule or not topology:
        missing, present = (("podAffinityTopology", "podAffinitySchedulingRule") if rule
                            else ("podAffinitySchedulingRule", "podAffinityTopology"))
        ctx.problem((present,), "lower.pod-affinity",
                    f"pod affinity needs both podAffinitySchedulingRule and podAffinityTopology; "
                    f"{missing} is not set")
        return {}
    term = {"labelSelector": {"matchLabels": pod_labels(ctx.rw.name, ctx.rw.project.name)},
            "topologyKey": str(topology)}
    if rule == "required":
        return {"requiredDuringSchedulingIgnoredDuringExecution": [term]}
    if rule == "preferred":
        return {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 100, "podAffinityTerm": term}]}
    ctx.problem(("podAffinitySchedulingRule",), "lower.pod-affinity",
                f"podAffinitySchedulingRule {rule!r} must be required or preferred")
    return {}


def _tolerations(ctx: Ctx) -> list[K8sObject]:
    out = []
    for i, item in ctx.items("tolerations"):
        tol = _toleration(ctx, ("tolerations", i), item)
        if tol is not None:
            out.append(tol)
    return out


def _toleration(ctx: Ctx, where: Path, item: SpecTree) -> K8sObject | None:
    operator = item.get("operator") or "Equal"
    effect = item.get("effect")
    key, value = item.get("key"), item.get("value")
    label = item.get("name", where[-1])
    problem = _toleration_problem(operator, effect, key, value)
    if problem is not None:
        ctx.problem(where + (problem[0],), "lower.toleration", f"toleration {label}: {problem[1]}")
        return None
    tol: K8sObject = {"operator": operator}
    if key:
        tol["key"] = str(key)
    if operator == "Equal" and value is not None:
        tol["value"] = str(value)
    if effect:
        tol["effect"] = effect
    seconds = item.get("seconds")
    if seconds is not None:
        if effect != "NoExecute":
            ctx.problem(where + ("seconds",), "lower.toleration",
                        f"toleration {label}: seconds only applies to effect NoExecute "
                        f"(effect is {effect or 'unset'})")
            return None
        if int_or_none(seconds) is None:
            ctx.problem(where + ("seconds",), "lower.toleration",
                        f"toleration {label}: seconds {seconds!r} must be an integer")
            return None
        tol["tolerationSeconds"] = int_or_none(seconds)
    return tol


def _toleration_problem(operator: object, effect: object, key: object, value: object) -> tuple[str, str] | None:
    """(field, what is wrong) of a toleration's operator, effect, key and value; None if they fit."""
    if operator not in OPERATORS:
        return "operator", f"operator {operator!r} must be Equal or Exists"
    if effect and effect not in EFFECTS:
        return "effect", f"effect {effect!r} must be one of {', '.join(EFFECTS)}"
    if operator == "Exists" and value not in (None, ""):
        return "value", f"operator Exists matches any value; remove value {value!r}"
    if operator == "Equal" and not key:
        return "key", "operator Equal needs a key (use Exists to tolerate every taint)"
    return None


def default_priority(ctx: Ctx) -> str | None:
    """Run:ai's priority class for the workload type (runai scheduler only)."""
    kind = ctx.rw.kind
    if kind == "InteractiveWorkload":
        return "interactive-preemptible" if ctx.get("preemptible") is True else "build"
    if kind == "InferenceWorkload":
        return "inference"
    return "train"


def _scheduler(ctx: Ctx, out: Scheduling) -> None:
    priority = ctx.get("priorityClass")
    preemptible = ctx.get("preemptible")
    if ctx.target.scheduler == "runai":
        out.pod_spec["schedulerName"] = RUNAI_SCHEDULER
        out.pod_labels[RUNAI_QUEUE] = ctx.rw.project.name
        if not priority:
            priority = default_priority(ctx)
        elif preemptible is not None and ctx.rw.kind == "InteractiveWorkload":
            ctx.problem(("preemptible",), "lower.preemptible",
                        f"preemptible is ignored because priorityClass {priority!r} is set; Run:ai "
                        "expresses preemptibility through the priority class", "warning")
    elif preemptible is True:
        ctx.problem(("preemptible",), "lower.preemptible",
                    f"preemptible has no meaning on target scheduler {ctx.target.scheduler!r}: "
                    "preemption follows the priority class; set priorityClass to a preemptible "
                    "PriorityClass of the cluster, or use scheduler: runai", "warning")
    if priority:
        out.pod_spec["priorityClassName"] = str(priority)
