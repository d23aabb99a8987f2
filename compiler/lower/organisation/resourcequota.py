"""Scheduler ``default``: a ResourceQuota per project namespace from the deserved quota.

A ResourceQuota is a hard ceiling per namespace, not a guarantee, and knows no node pools: the
GPUs, CPU cores and memory of every pool are added up, and over-quota does not exist
(docs/organisation.md says what else is lost). CPU and memory are limited only when every pool
entry sets them (a missing value means "no quota" in Run:ai). Kubernetes has no quota across
namespaces, so a department's quota caps each of its projects alone: every value is the
smaller of the project's and its department's (a project never gets more than its department).
"""
from __future__ import annotations

from decimal import Decimal

from compiler import quantity
from compiler.lower.organisation import shares
from compiler.model import Department, PoolQuota, Project, Target
from compiler.shapes import K8sObject

NAME = "wlc-quota"


def resource_quota(project: Project, ns: str, target: Target,
                   department: Department | None = None) -> K8sObject | None:
    """The namespace's ResourceQuota; None when neither the project nor its department has a quota."""
    theirs = _hard(department.quota, target) if department is not None else {}
    hard = _hard(project.quota, target)
    for key, value in theirs.items():
        mine = hard.get(key)
        if mine is None or (quantity.parse(value) or 0) < (quantity.parse(mine) or 0):
            hard[key] = value
    if not hard:
        return None
    order = [f"requests.{target.gpu_resource}", "requests.cpu", "requests.memory"]
    return {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": NAME, "namespace": ns},
            "spec": {"hard": {k: hard[k] for k in order if k in hard}}}


def gpu_ceiling(project: Project, department: Department | None) -> int:
    """The GPUs the ResourceQuota lets the project's namespace request (the quota check's ceiling)."""
    values = [sum(q.gpu_devices for q in quota) for quota in (project.quota, department.quota if department else [])
              if quota]
    return min(values) if values else 0


def _hard(quota: list[PoolQuota], target: Target) -> dict[str, str]:
    """The summed quota of every pool: the GPUs, and CPU and memory when every entry sets them."""
    if not quota:
        return {}
    hard: dict[str, str] = {f"requests.{target.gpu_resource}": str(sum(q.gpu_devices for q in quota))}
    cores = [q.cpu_cores for q in quota]
    if all(c is not None for c in cores):
        hard["requests.cpu"] = _number(sum((Decimal(str(c)) for c in cores if c is not None), Decimal(0)))
    memory = _memory([q.memory for q in quota])
    if memory is not None:
        hard["requests.memory"] = memory
    return hard


def _number(value: Decimal) -> str:
    """A quantity in base units: whole numbers plain, else in milli-units."""
    if value == value.to_integral_value():
        return str(int(value))
    return f"{int(value * 1000)}m"


def _memory(values: list[str | None]) -> str | None:
    """The sum of the memory quotas, in their own unit when they share one (``64Gi + 768Gi`` is
    ``832Gi``), else in the largest binary unit that divides it (``1Ti + 512Gi`` is ``1536Gi``)
    or in bytes; None when a pool has no memory quota."""
    parsed = [quantity.parse(v) for v in values]
    if any(v is None for v in values) or any(p is None for p in parsed):
        return None
    suffixes = {quantity.suffix_of(v) for v in values}
    if len(suffixes) == 1:
        suffix = suffixes.pop()
        numbers = [Decimal(str(v)[: len(str(v)) - len(suffix)]) for v in values]
        if all(n == n.to_integral_value() for n in numbers):
            return f"{int(sum(numbers, Decimal(0)))}{suffix}"
    total = sum((p for p in parsed if p is not None), Decimal(0))
    return str(shares.memory_text(total)) if total == total.to_integral_value() else _number(total)
