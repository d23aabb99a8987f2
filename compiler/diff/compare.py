"""Compare two builds of one overlay: workloads added, removed, changed (objects, unified diff
of the bundle file, the input files that changed the resolved spec, what it does in the
cluster) and unchanged. Pure: values in, a value out."""
from __future__ import annotations

import difflib
from typing import Any

import yaml

from ..emit import WorkloadBundle
from ..model import Path, Source
from . import cluster
from .model import ObjectChange, OverlayDiff, Reason, Side, WorkloadChange
from .snapshot import Build, SpecView

Key = tuple[str, str]
ObjKey = tuple[str, str, str, str]
_MISSING = object()
#: the reason of a changed bundle whose resolved spec and metadata did not change
UNCHANGED_SPEC = "unchanged-spec"


def compare(overlay: str, base: Side, head: Side, before: Build | None, after: Build | None) -> OverlayDiff:
    """The diff of ``overlay`` from ``before`` (base) to ``after`` (head); None: no build."""
    old = before.bundles if before is not None else {}
    new = after.bundles if after is not None else {}
    old_specs = before.specs if before is not None else {}
    new_specs = after.specs if after is not None else {}
    changes: list[WorkloadChange] = []
    unchanged = 0
    for key in sorted(old.keys() | new.keys()):
        b, h = old.get(key), new.get(key)
        if b is not None and h is not None and b.docs == h.docs:
            unchanged += 1
            continue
        changes.append(_change(overlay, b, h, old_specs.get(key), new_specs.get(key)))
    gpus = cluster.gpu_rows(before.gpus if before else {}, after.gpus if after else {})
    return OverlayDiff(overlay, base, head, tuple(changes), unchanged, gpus)


def _change(overlay: str, b: WorkloadBundle | None, h: WorkloadBundle | None,
            before: SpecView | None, after: SpecView | None) -> WorkloadChange:
    either = h if h is not None else b
    assert either is not None
    change = "added" if b is None else "removed" if h is None else "changed"
    old, new = _objects(b), _objects(h)
    objects = tuple(_object_change(k, old.get(k), new.get(k)) for k in sorted(old.keys() | new.keys())
                    if old.get(k, (None, ""))[1] != new.get(k, (None, ""))[1])
    effects = cluster.effects(change, b, h, old, new)
    reasons = why(before, after) if change == "changed" else ()
    return WorkloadChange(either.namespace, either.name, either.kind, change, either.source, objects,
                          reasons, effects, unified(overlay, b, h))


def _objects(b: WorkloadBundle | None) -> dict[ObjKey, tuple[dict[str, Any], str]]:
    """Each object of ``b`` by (group, kind, namespace, name): the object and its YAML text."""
    if b is None:
        return {}
    out: dict[ObjKey, tuple[dict[str, Any], str]] = {}
    for entry, text in zip(b.entries, b.docs):
        key = (str(entry["group"]), str(entry["kind"]), str(entry["namespace"]), str(entry["name"]))
        out[key] = (yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}, text)
    return out


def _object_change(key: ObjKey, old: object, new: object) -> ObjectChange:
    change = "added" if old is None else "removed" if new is None else "changed"
    return ObjectChange(change, *key)


def unified(overlay: str, b: WorkloadBundle | None, h: WorkloadBundle | None) -> str:
    """The unified diff of the workload's bundle file, ``a/<overlay>/<ns>/<name>.yaml`` → ``b/...``."""
    either = h if h is not None else b
    assert either is not None
    path = f"{overlay}/{either.relpath}"
    old = "".join(b.docs).splitlines(keepends=True) if b is not None else []
    new = "".join(h.docs).splitlines(keepends=True) if h is not None else []
    lines = difflib.unified_diff(old, new, f"a/{path}" if b else "/dev/null", f"b/{path}" if h else "/dev/null")
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def why(before: SpecView | None, after: SpecView | None) -> tuple[Reason, ...]:
    """The input files that changed the resolved spec: every leaf whose value differs, grouped by
    the file of the source that sets it now (and of the one that set it before, if another)."""
    if before is None or after is None:
        return ()
    fields: dict[tuple[str, str], list[str]] = {}
    for path in sorted(before.prov.keys() | after.prov.keys(), key=_sort_key):
        if _leaf(before.spec, path) == _leaf(after.spec, path):
            continue
        for src in _sources(before.prov.get(path), after.prov.get(path), after.file, before.file):
            fields.setdefault((src.file, src.kind), []).append(_dotted(path))
    reasons = [Reason(file, kind, tuple(names)) for (file, kind), names in sorted(fields.items())]
    if before.file != after.file:
        reasons.append(Reason(after.file, "moved", (f"from {before.file}",)))
    if not reasons and before.spec != after.spec:
        top = sorted(k for k in before.spec.keys() | after.spec.keys() if before.spec.get(k) != after.spec.get(k))
        reasons.append(Reason(after.file, "submission", tuple(top)))
    meta = [f"metadata.{name}" for name, old, new in (("labels", before.labels, after.labels),
                                                      ("annotations", before.annotations, after.annotations))
            if old != new]
    if meta:
        reasons.append(Reason(after.file, "submission", tuple(meta)))
    if not reasons:
        reasons.append(Reason("", UNCHANGED_SPEC, ()))
    return tuple(reasons)


def _sources(old: Source | None, new: Source | None, new_file: str, old_file: str) -> list[Source]:
    """The sources to blame for a changed leaf: the one that sets it now (or, when it is gone,
    the one that set it), and the old one too when it was another file."""
    out = [new] if new is not None else [old] if old is not None else [Source("submission", file=new_file)]
    if old is not None and new is not None and (old.file, old.kind) != (new.file, new.kind):
        out.append(old)
    return [s if s.file else Source(s.kind, s.name, new_file if s is new else old_file) for s in out]


def _leaf(spec: object, path: Path) -> object:
    node = spec
    for key in path:
        node = _child(node, key)
        if node is _MISSING:
            break
    return node


def _child(node: object, key: str | int) -> object:
    if isinstance(node, dict) and isinstance(key, str):
        return node.get(key, _MISSING)
    if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
        return node[key]
    return _MISSING


def _sort_key(path: Path) -> tuple[tuple[int, str], ...]:
    return tuple((0, f"{k:09d}") if isinstance(k, int) else (1, k) for k in path)


def _dotted(path: Path) -> str:
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else key)
    return out
