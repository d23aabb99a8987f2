"""Scheduler ``default``: a ResourceQuota per project namespace from the deserved quota.

A ResourceQuota is a hard ceiling per namespace, not a guarantee, and knows no node pools: the
GPUs, CPU cores and memory of every pool are added up, and over-quota does not exist
(docs/organisation.md says what else is lost). CPU and memory are limited only when every pool
entry of the project sets them (a missing value means "no quota" in Run:ai).
"""
from __future__ import annotations

from decimal import Decimal

from compiler import quantity
from compiler.model import Project, Target
from compiler.shapes import K8sObject

NAME = "wlc-quota"


def resource_quota(project: Project, ns: str, target: Target) -> K8sObject | None:
    """The namespace's ResourceQuota; None when the project has no quota."""
    if not project.quota:
        return None
    hard: dict[str, str] = {f"requests.{target.gpu_resource}": str(sum(q.gpu_devices for q in project.quota))}
    cores = [q.cpu_cores for q in project.quota]
    if all(c is not None for c in cores):
        hard["requests.cpu"] = _number(sum((Decimal(str(c)) for c in cores if c is not None), Decimal(0)))
    memory = _memory([q.memory for q in project.quota])
    if memory is not None:
        hard["requests.memory"] = memory
    return {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": NAME, "namespace": ns},
            "spec": {"hard": hard}}


def _number(value: Decimal) -> str:
    """A quantity in base units: whole numbers plain, else in milli-units."""
    if value == value.to_integral_value():
        return str(int(value))
    return f"{int(value * 1000)}m"


def _memory(values: list[str | None]) -> str | None:
    """The sum of the memory quotas, in their own unit when they share one (``64Gi + 768Gi`` is
    ``832Gi``), else in bytes; None when a pool has no memory quota."""
    parsed = [quantity.parse(v) for v in values]
    if any(v is None for v in values) or any(p is None for p in parsed):
        return None
    suffixes = {quantity.suffix_of(v) for v in values}
    if len(suffixes) == 1:
        suffix = suffixes.pop()
        numbers = [Decimal(str(v)[: len(str(v)) - len(suffix)]) for v in values]
        if all(n == n.to_integral_value() for n in numbers):
            return f"{int(sum(numbers, Decimal(0)))}{suffix}"
    return _number(sum((p for p in parsed if p is not None), Decimal(0)))
