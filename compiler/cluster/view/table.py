"""Rows and columns of Run:ai's Workloads table, filters, sort and the output formats."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ... import yamlout
from .. import status as st
from ..fetch import Workload
from . import syncstate

POOL_LABEL = "run.ai/node-pool"

#: column key -> header, in Run:ai's order; the first ones are the default table
COLUMNS: dict[str, str] = {
    "workload": "WORKLOAD", "type": "TYPE", "status": "STATUS", "project": "PROJECT",
    "pods": "RUNNING/REQUESTED PODS", "gpu-request": "GPU REQUEST", "gpu-allocation": "GPU ALLOCATION",
    "created": "CREATION TIME", "namespace": "NAMESPACE", "node-pools": "NODE POOL(S)", "image": "IMAGE",
    "architecture": "ARCHITECTURE", "message": "MESSAGE", "sync": "SYNC", "revision": "REVISION",
    "sync-message": "SYNC MESSAGE", "gpu-util": "GPU UTILIZATION",
}
DEFAULT = ("workload", "type", "status", "project", "pods", "gpu-request", "gpu-allocation", "created", "sync")
WIDE = (*DEFAULT, "namespace", "node-pools", "image", "architecture", "message", "revision", "sync-message")
REVISION_CHARS = 12
DISTRIBUTED = {"PyTorchJob", "TFJob", "MPIJob", "XGBoostJob"}


@dataclass(frozen=True)
class Row:
    values: dict[str, str]
    status: st.Status


def _number(value: float) -> str:
    return f"{value:g}"


def _images(w: Workload) -> str:
    main = st.main_object(w.objects)
    found: list[str] = []
    for template, _n in st.templates(main) if main else []:
        for c in (template.get("spec") or {}).get("containers") or []:
            if c.get("image") and c["image"] not in found:
                found.append(str(c["image"]))
    return ", ".join(found)


def _pools(w: Workload, node_pools: Mapping[str, str]) -> str:
    names = sorted({node_pools.get(str((p.get("spec") or {}).get("nodeName")), "")
                    for p in st.live(w.pods) if (p.get("spec") or {}).get("nodeName")} - {""})
    return ", ".join(names)


def row(w: Workload, node_pools: Mapping[str, str], sync: syncstate.SyncState | None = None,
        gpu_util: str = "") -> Row:
    """One table row; ``sync`` from a bundle comparison, else from the agent's records;
    ``gpu_util`` from Prometheus (gpumetrics.utilization_of), when read."""
    s = w.status()
    main = st.main_object(w.objects)
    kind = st.kind_key(main) if main else ""
    sync = sync or syncstate.from_records(w)
    values = {
        "workload": w.name, "type": w.type, "status": s.status if w.objects else "", "project": w.project,
        "pods": f"{s.running_pods}/{s.requested_pods}", "gpu-request": _number(s.gpus_requested),
        "gpu-allocation": _number(s.gpus_allocated), "created": w.created(), "namespace": w.namespace,
        "node-pools": _pools(w, node_pools), "image": _images(w),
        "architecture": "distributed" if kind in DISTRIBUTED else "standard",
        "message": s.message if w.objects else "", "sync": sync.state, "revision": syncstate.short_revision(sync.revision, REVISION_CHARS),
        "sync-message": sync.message, "gpu-util": gpu_util,
    }
    return Row(values, s)


def node_pools(nodes: Sequence[Mapping[str, object]]) -> dict[str, str]:
    """Node name → its node pool (the pool label; "" without one)."""
    out: dict[str, str] = {}
    for n in nodes:
        meta = _map(n["metadata"])
        out[str(meta["name"])] = str(_map(meta.get("labels")).get(POOL_LABEL, ""))
    return out


def _map(value: object) -> Mapping[str, object]:
    """A map of a Node as the API server returns it (an absent one is empty)."""
    return value if isinstance(value, dict) else {}


def select(rows: Sequence[Row], type_: str | None = None, status: str | None = None,
           search: str | None = None, sync: str | None = None) -> list[Row]:
    """Rows of that type, status and sync state (case-insensitive) containing ``search`` in any column."""
    out = []
    for r in rows:
        if type_ and r.values["type"].lower() != type_.lower():
            continue
        if status and r.values["status"].lower() != status.lower():
            continue
        if sync and r.values["sync"].lower() != sync.lower():
            continue
        if search and not any(search.lower() in v.lower() for v in r.values.values()):
            continue
        out.append(r)
    return out


def sort(rows: Sequence[Row], column: str) -> list[Row]:
    def key(r: Row) -> tuple[int, float, str]:
        value = r.values[column]
        head = value.split("/")[0]
        try:
            return (0, float(head), value)
        except ValueError:
            return (1, 0.0, value.lower())
    return sorted(rows, key=key)


def render(rows: Sequence[Row], columns: Sequence[str], fmt: str) -> str:
    data = [{c: r.values[c] for c in columns} for r in rows]
    if fmt == "json":
        return json.dumps(data, indent=2) + "\n"
    if fmt == "yaml":
        return yamlout.dump_document({"workloads": data})
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow([COLUMNS[c] for c in columns])
        writer.writerows([[d[c] for c in columns] for d in data])
        return buf.getvalue()
    return text_table([COLUMNS[c] for c in columns], [[d[c] for c in columns] for d in data])


def text_table(headers: Sequence[str], lines: Sequence[Sequence[str]]) -> str:
    widths = [max([len(h), *(len(line[i]) for line in lines)]) for i, h in enumerate(headers)]
    out = ["   ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in [headers, *lines]]
    return "\n".join(out) + "\n"
