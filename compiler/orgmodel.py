"""The organisation as data: Run:ai's quota, over-quota and members read from the ``Project``
and ``Department`` documents (already valid against their schemas, so values are narrowed
here, not judged)."""
from __future__ import annotations

from typing import Any

from .model import Department, Member, OverQuota, Path, PoolQuota


def pool_quotas(spec: dict[str, Any]) -> list[PoolQuota]:
    """``spec.quota`` in document order; a repeated node pool is kept (the lowering reports it)."""
    out: list[PoolQuota] = []
    for i, entry in enumerate(spec.get("quota") or []):
        if not isinstance(entry, dict):
            continue
        cpu = entry.get("cpuCores")
        memory = entry.get("memory")
        limit = entry.get("gpuLimit")
        path: Path = ("spec", "quota", i)
        out.append(PoolQuota(str(entry.get("nodePool", "")), int(entry.get("gpuDevices", 0)),
                             None if limit is None else int(limit),
                             None if cpu is None else float(cpu),
                             None if memory is None else str(memory), path))
    return out


def over_quota(spec: dict[str, Any]) -> OverQuota:
    raw = spec.get("overQuota") or {}
    return OverQuota(bool(raw.get("allowed", True)), str(raw.get("priority", "medium")))


def members(spec: dict[str, Any]) -> list[Member]:
    out: list[Member] = []
    for entry in spec.get("members") or []:
        if isinstance(entry, dict):
            kind = "User" if "user" in entry else "Group"
            out.append(Member(kind, str(entry.get("user", entry.get("group", ""))), str(entry.get("role", ""))))
    return out


def department(name: str, file: str, spec: dict[str, Any]) -> Department:
    return Department(name, pool_quotas(spec), over_quota(spec), file, members(spec))
