"""Drift: an owned object changed by hand, found while planning. Pure functions, no client.

The server-side dry run of wlc's apply (with force) says what the sync would change; the field
paths where it differs from the live object are drift when someone else changed them:

- another field manager (``kubectl-edit``, ``kubectl-patch``, ``kubectl``, ...) owns the path in
  the live object's managedFields (an update moves a field's ownership to who changed it), or
- nobody owns it any more (a hand edit removed it) while the object still carries the spec hash
  of the desired one: the spec did not change, the cluster did.

A path wlc still owns changed because the bundle did: that is an update, not drift. Fields that
controllers own are left out of what wlc applies (``fields.desired_body``: an HPA's replicas,
Kueue's suspend), so they never differ; defaulted fields are the same on both sides.
"""
from __future__ import annotations

import json
from typing import Any

from .. import labels as L
from .runs import spec_hash_of

PREFIX = "drift: "
#: parts of an object a sync never compares (the server's bookkeeping)
SKIPPED = {("metadata", "managedFields"), ("metadata", "generation"), ("metadata", "resourceVersion"),
           ("metadata", "creationTimestamp"), ("metadata", "uid"), ("status",)}
OURS = frozenset({L.FIELD_MANAGER, "wlc-status"})

#: one step of a path: a map key, or an item of a list of named maps (the live item, to match keys)
Step = str | dict[str, Any]


def _named(items: Any) -> bool:
    return isinstance(items, list) and all(isinstance(i, dict) and "name" in i for i in items)


def changed(before: Any, after: Any, path: tuple[Step, ...] = ()) -> list[tuple[Step, ...]]:
    """The leaf paths where ``after`` differs from ``before`` (lists of named maps by name)."""
    if before == after or tuple(s for s in path if isinstance(s, str)) in SKIPPED:
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        return [p for k in sorted(set(before) | set(after)) for p in changed(before.get(k), after.get(k), (*path, k))]
    if _named(before) and _named(after) and before and after:
        old = {str(i["name"]): i for i in before}
        new = {str(i["name"]): i for i in after}
        out = []
        for name in sorted(set(old) | set(new)):
            item = old.get(name) or new[name]
            out += changed(old.get(name), new.get(name), (*path, item))
        return out
    return [path]


def text(path: tuple[Step, ...]) -> str:
    out = ""
    for step in path:
        out += f"[{step['name']}]" if isinstance(step, dict) else (f".{step}" if out else step)
    return out


def _child(node: dict[str, Any], step: Step) -> Any:
    if isinstance(step, str):
        return node.get(f"f:{step}")
    for key, value in node.items():  # k:{"containerPort":80,"protocol":"TCP"} or k:{"name":"x"}
        if key.startswith("k:"):
            try:
                want = json.loads(key[2:])
            except ValueError:
                continue
            if isinstance(want, dict) and want and all(step.get(k) == v for k, v in want.items()):
                return value
    return None


def holds(fields: Any, path: tuple[Step, ...]) -> bool:
    """Whether a managedFields entry's fieldsV1 holds ``path`` (or an atomic value around it)."""
    node = fields
    for step in path:
        if not isinstance(node, dict):
            return False
        if not node and node is not fields:
            return True  # an atomic value (a list or map owned as a whole)
        node = _child(node, step)
        if node is None:
            return False
    return True


def owners(live: dict[str, Any], path: tuple[Step, ...]) -> set[str]:
    return {str(e.get("manager")) for e in (live.get("metadata") or {}).get("managedFields") or []
            if isinstance(e, dict) and holds(e.get("fieldsV1") or {}, path)}


def paths(live: dict[str, Any], after: dict[str, Any], desired: dict[str, Any]) -> list[str]:
    """The drifted field paths of an owned object (``after``: the dry run of wlc's apply)."""
    same_spec = bool(spec_hash_of(live)) and spec_hash_of(live) == spec_hash_of(desired)
    out = []
    for path in changed(live, after):
        who = owners(live, path)
        if who - OURS or (not who & OURS and same_spec):
            out.append(text(path))
    return out


def message(live: dict[str, Any], after: dict[str, Any], desired: dict[str, Any]) -> str:
    """``drift: <paths>`` for the plan, or "" when nothing drifted."""
    found = paths(live, after, desired)
    return PREFIX + ", ".join(found) if found else ""


def drifted(message_text: str) -> bool:
    return message_text.startswith(PREFIX)
