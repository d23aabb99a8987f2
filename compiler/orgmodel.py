"""The organisation as data: Run:ai's quota, over-quota and members read from the ``Project``
and ``Department`` documents (already valid against their schemas, so values are narrowed
here, not judged)."""
from __future__ import annotations

from collections.abc import Mapping

from .model import Department, Member, OverQuota, Path, PoolQuota


def _items(value: object) -> list[object]:
    """A list field's items (an unset one has none)."""
    return value if isinstance(value, list) else []


def pool_quotas(spec: Mapping[str, object]) -> list[PoolQuota]:
    """``spec.quota`` in document order; a repeated node pool is kept (the lowering reports it)."""
    out: list[PoolQuota] = []
    for i, entry in enumerate(_items(spec.get("quota"))):
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


def over_quota(spec: Mapping[str, object]) -> OverQuota:
    raw = spec.get("overQuota")
    if not isinstance(raw, dict):
        raw = {}
    return OverQuota(bool(raw.get("allowed", True)), str(raw.get("priority", "medium")))


def members(spec: Mapping[str, object]) -> list[Member]:
    out: list[Member] = []
    for entry in _items(spec.get("members")):
        if isinstance(entry, dict):
            kind = "User" if "user" in entry else "Group"
            out.append(Member(kind, str(entry.get("user", entry.get("group", ""))), str(entry.get("role", ""))))
    return out


def department(name: str, file: str, spec: Mapping[str, object]) -> Department:
    return Department(name, pool_quotas(spec), over_quota(spec), file, members(spec))
