"""`wlc explain`: every final field of a workload with the layer it came from."""
from __future__ import annotations

import json
from typing import NamedTuple, TypedDict

from .merge import dotted, get_path
from .model import WORKLOAD_KINDS, Path, ResolvedWorkload
from .pipeline import Result
from .repo import suggest


class Row(TypedDict):
    """One line of ``wlc explain``: a final leaf value and where it came from."""

    field: str
    value: object
    source: str
    name: str
    file: str
    line: int


def rows(rw: ResolvedWorkload) -> list[Row]:
    """One row per leaf value: field path, value, source kind/name, file and line."""
    out = []
    for path in sorted(rw.prov, key=_order_key):
        src = rw.prov[path]
        out.append(Row(field=dotted(("spec",) + path), value=get_path(rw.spec, path), source=src.kind,
                       name=src.name, file=src.file, line=src.line))
    return out


def _order_key(path: Path) -> tuple[tuple[int, str], ...]:
    return tuple((0, f"{p:08d}") if isinstance(p, int) else (1, p) for p in path)


def render_text(rw: ResolvedWorkload) -> str:
    head = (f"{rw.kind} {rw.name}  project {rw.project.name}  namespace {rw.namespace}  "
            f"department {rw.project.department or '-'}\nsource {rw.file}\n\n")
    table = [("FIELD", "VALUE", "SOURCE")]
    for r in rows(rw):
        where = f"{r['file']}:{r['line']}" if r["line"] else r["file"]
        label = r["source"] + (f" {r['name']}" if r["name"] else "")
        table.append((r["field"], json.dumps(r["value"], ensure_ascii=False), f"{label} ({where})"))
    widths = [min(max(len(row[i]) for row in table), 60) for i in range(2)]
    lines = [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c}" for a, b, c in table]
    return head + "\n".join(line.rstrip() for line in lines) + "\n"


def render_json(rw: ResolvedWorkload) -> str:
    body = {"kind": rw.kind, "name": rw.name, "project": rw.project.name, "namespace": rw.namespace,
            "department": rw.project.department, "source": rw.file, "spec": rw.spec, "fields": rows(rw)}
    return json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class Missing(NamedTuple):
    """Why ``wlc explain NAME`` has nothing to show; ``shows_problems``: the run's problems say more."""

    message: str
    shows_problems: bool


def why_missing(name: str, res: Result) -> Missing:
    """The overlay excludes it (which entry), it has problems, or no workload has that name (the
    closest other name)."""
    for entry in res.excluded:
        if entry["name"] == name:
            return Missing(f'overlay {res.overlay} excludes workload "{name}" ({entry["source"]}): '
                           f'excludeWorkloads entry at {entry["excludedBy"]}', False)
    repo = res.repo
    names = sorted({d.name for d, _ in repo.workloads}) if repo is not None else []
    broken = {n for kind, n in repo.broken if kind in WORKLOAD_KINDS} if repo is not None else set()
    if name in names or name in broken:
        return Missing(f'workload "{name}" has problems (above) that stop it from resolving', True)
    others = [n for n in names if n != name]
    return Missing(f'no workload named "{name}"' + suggest(name, others), True)
