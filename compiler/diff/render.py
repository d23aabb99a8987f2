"""A ``Diff`` as text (a terminal), markdown (a pull-request comment or job summary: one table,
then a collapsible section per workload, at most ``limit`` characters) or JSON.

Everything taken from the input (names, file names, diff lines) is printed through
``report.one_line`` in text, HTML-escaped in markdown, and is a JSON string in JSON."""
from __future__ import annotations

import dataclasses
import html
import json
import re

from ..report import one_line, text_line
from .compare import UNCHANGED_SPEC
from .model import Diff, GpuRow, OverlayDiff, Reason, Side, WorkloadChange

FORMATS = ("text", "markdown", "json")
#: the markdown comment's bound (GitHub comments take 65,536 characters)
MARKDOWN_LIMIT = 60_000
MARK = {"added": "+", "removed": "-", "changed": "~"}
WARN = ("recreate", "deleted", "pvc-deleted")


def render(diff: Diff, fmt: str, limit: int = MARKDOWN_LIMIT) -> str:
    if fmt == "json":
        return _json(diff)
    if fmt == "markdown":
        return markdown(diff, limit)
    return text(diff)


def _json(diff: Diff) -> str:
    body = dataclasses.asdict(diff)
    body["differs"] = diff.differs
    for o, raw in zip(diff.overlays, body["overlays"]):
        for side in ("base", "head"):
            raw[side]["errors"] = [p.as_dict() for p in getattr(o, side).errors]
        raw["counts"] = _counts(o)
    return json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _counts(o: OverlayDiff) -> dict[str, int]:
    return {"added": o.count("added"), "removed": o.count("removed"), "changed": o.count("changed"),
            "unchanged": o.unchanged}


def _summary(o: OverlayDiff) -> str:
    c = _counts(o)
    return f"{c['added']} added, {c['removed']} removed, {c['changed']} changed, {c['unchanged']} unchanged"


def _side_note(name: str, side: Side) -> str:
    if not side.present:
        return f"the overlay does not exist at {name} ({side.ref})"
    if side.failure:
        return f"{name} ({side.ref}) cannot be built: {side.failure}"
    if not side.ok:
        return f"{name} ({side.ref}) does not build: {len(side.errors)} error(s)"
    return ""


def _reason(r: Reason) -> str:
    if r.source == UNCHANGED_SPEC:
        return "the resolved spec is unchanged: target settings or overlay object patches changed the objects"
    if r.source == "moved":
        return f"{r.file} (moved {', '.join(r.fields)})"
    return f"{r.file} ({r.source}): {', '.join(r.fields)}"


def _gpu(r: GpuRow) -> str:
    delta = r.after - r.before
    return f"{r.project} / {r.pool}: {_num(r.before)} → {_num(r.after)} ({'+' if delta >= 0 else ''}{_num(delta)})"


def _num(x: float) -> str:
    return str(int(x)) if x == int(x) else f"{x:g}"


# -- text ------------------------------------------------------------------------------------

def text(diff: Diff) -> str:
    out = [f"wlc diff {one_line(diff.base)} → {one_line(diff.head)}"]
    for o in diff.overlays:
        out.append(f"overlay {one_line(o.overlay)}: {_summary(o)}")
        for name, side in (("base", o.base), ("head", o.head)):
            note = _side_note(name, side)
            if note:
                out.append(f"  ! {one_line(note)}")
                out.extend(f"    {text_line(p)}" for p in side.errors)
        for c in o.changes:
            out.extend(_text_change(c))
        changed = [r for r in o.gpus if r.before != r.after]
        if changed:
            out.append("  GPUs requested (project / first-choice node pool):")
            out.extend(f"    {one_line(_gpu(r))}" for r in changed)
    return "\n".join(out) + "\n"


def _text_change(c: WorkloadChange) -> list[str]:
    out = [f"  {MARK[c.change]} {one_line(c.key)} ({c.type}, {one_line(c.source)}): {c.change}"]
    out.extend(f"      why: {one_line(_reason(r))}" for r in c.reasons)
    if c.objects:
        out.append("      objects: " + ", ".join(f"{MARK[x.change]} {one_line(x.label())}" for x in c.objects))
    out.extend(f"      {'!' if e.kind in WARN else '*'} {one_line(e.message)}" for e in c.effects)
    out.extend(f"      {one_line(line)}" for line in c.diff.splitlines())
    return out


# -- markdown --------------------------------------------------------------------------------

def _h(value: str) -> str:
    """Safe in a table cell and in HTML: escaped, one line, no column separator."""
    return html.escape(one_line(value), quote=False).replace("|", "&#124;")


def markdown(diff: Diff, limit: int = MARKDOWN_LIMIT) -> str:
    head = [f"### wlc diff: <code>{_h(diff.base)}</code> → <code>{_h(diff.head)}</code>", ""]
    for o in diff.overlays:
        head.append(f"- **{_h(o.overlay)}**: {_summary(o)}")
        for name, side in (("base", o.base), ("head", o.head)):
            note = _side_note(name, side)
            if note:
                head.append(f"  - ⚠️ {_h(note)}")
                head.extend(f"    - <code>{_h(text_line(p))}</code>" for p in side.errors[:20])
    if not diff.differs:
        head.append("\nNo workload changes.")
    rows = [(o, c) for o in diff.overlays for c in o.changes]
    table = ["| overlay | workload | type | change | why | in the cluster |", "|---|---|---|---|---|---|"]
    table += [_row(o, c) for o, c in rows]
    gpus = _gpu_table(diff)
    details = [_details(o, c) for o, c in rows]
    return _bounded("\n".join(head) + "\n\n", table if rows else [], gpus, details, limit)


def _row(o: OverlayDiff, c: WorkloadChange) -> str:
    why = "<br>".join(f"<code>{_h(r.file)}</code>" if r.file else "target / object patches" for r in c.reasons)
    effects = "<br>".join(("⚠️ " if e.kind in WARN else "") + _h(e.kind) for e in c.effects)
    return (f"| {_h(o.overlay)} | <code>{_h(c.key)}</code> | {_h(c.type.removesuffix('Workload'))} | "
            f"{c.change} | {why} | {effects} |")


def _gpu_table(diff: Diff) -> list[str]:
    rows = [(o, r) for o in diff.overlays for r in o.gpus if r.before != r.after]
    if not rows:
        return []
    out = ["", "GPUs requested by running workloads (project, first-choice node pool):", "",
           "| overlay | project | node pool | before | after |", "|---|---|---|---|---|"]
    return out + [f"| {_h(o.overlay)} | {_h(r.project)} | {_h(r.pool)} | {_num(r.before)} | {_num(r.after)} |"
                  for o, r in rows]


def _details(o: OverlayDiff, c: WorkloadChange) -> str:
    lines = [f"<details><summary><code>{_h(o.overlay)}</code> <code>{_h(c.key)}</code>: {c.change}</summary>", ""]
    lines += [f"- why: {_h(_reason(r))}" for r in c.reasons]
    lines += [f"- {'⚠️ ' if e.kind in WARN else ''}{_h(e.message)}" for e in c.effects]
    if c.objects:
        lines.append("- objects: " + ", ".join(f"{MARK[x.change]} {_h(x.label())}" for x in c.objects))
    fence = "`" * max(3, 1 + max((len(m) for m in re.findall("`+", c.diff)), default=0))
    lines += ["", f"{fence}diff", c.diff.rstrip("\n"), fence, "", "</details>", "", ""]
    return "\n".join(lines)


def _bounded(head: str, table: list[str], gpus: list[str], details: list[str], limit: int) -> str:
    """Head, table rows, GPU table, then details, as many as fit in ``limit`` characters; a note
    says what was cut."""
    reserve = 300
    out, size = [head], len(head)
    shown = 0
    for i, row in enumerate(table):
        if size + len(row) + 1 > limit // 2 and i >= 2:
            break
        out.append(row + "\n")
        size += len(row) + 1
        shown = i + 1
    cut_rows = len(table) - shown
    tail = "\n".join(gpus) + "\n" if gpus else ""
    if cut_rows:
        tail = f"\n_… {cut_rows} more row(s) not shown: the comment is bounded to {limit} characters._\n" + tail
    out.append(tail)
    size += len(tail)
    if details:
        out.append("\n")
    kept = 0
    for d in details:
        if size + len(d) + reserve > limit:
            break
        out.append(d)
        size += len(d)
        kept += 1
    if kept < len(details):
        out.append(f"\n_… details of {len(details) - kept} workload(s) cut: the comment is bounded to {limit} "
                   "characters; run `wlc diff` locally or read the job's full output._\n")
    return "".join(out)
