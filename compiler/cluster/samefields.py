"""Whether a server-side apply by wlc would change a live object, decided from the live object
alone (no request): the planner's fast path for "unchanged".

A server-side apply of body B by field manager ``wlc`` (forced) sets every field of B and makes
wlc's managed set exactly the fields of B; fields wlc owned before and B no longer has are
removed. So the apply changes nothing when

1. wlc's ``Apply`` entry in ``managedFields`` (fieldsV1, same apiVersion) holds exactly the
   fields of B: no field added to or dropped from B since the last apply, and no field of B
   taken over by another manager (a ``kubectl edit``, ``kubectl scale``, a controller's update
   or a forced apply moves the field out of wlc's entry: that is how drift shows), and
2. every value of B equals the live value at the same place.

Only B's own fields are compared, so what a controller or defaulting adds outside them (status,
a Job's selector, a container's terminationMessagePath, an HPA's replicas once the HPA owns
them and the body leaves them out) never counts as a change. Values the API server rewrites
(a quantity ``0.5`` stored as ``500m``), a list entry that cannot be matched to exactly one
entry of wlc's set, or any shape this module does not know answer "maybe changed": the
planner then asks the server with a dry run, as before. This module only ever errs that way.
"""
from __future__ import annotations

import functools
import json
from typing import Any

from .. import labels as L
from .. import quantity

#: maps whose values are resource quantities, which the API server stores in canonical form
_QUANTITIES = frozenset({"requests", "limits", "hard", "overhead", "capacity"})
#: fields the API server sets inside an atomic struct wlc applied without them: (struct, field) -> value
_DEFAULTED = {("fieldRef", "apiVersion"): "v1"}
#: fields the API server never records in managedFields
_TOP_STRIPPED = frozenset({"apiVersion", "kind"})
_META_STRIPPED = frozenset({"name", "namespace", "creationTimestamp", "selfLink", "uid", "generation",
                            "managedFields", "resourceVersion"})


def wlc_fields(live: dict[str, Any], api_version: str) -> dict[str, Any] | None:
    """The fieldsV1 of wlc's one Apply entry for ``api_version``; None when there is not exactly one."""
    entries = [e for e in (live.get("metadata") or {}).get("managedFields") or []
               if isinstance(e, dict) and e.get("manager") == L.FIELD_MANAGER and e.get("operation") == "Apply"
               and not e.get("subresource")]
    if len(entries) != 1 or entries[0].get("apiVersion") != api_version:
        return None
    fields = entries[0].get("fieldsV1")
    return fields if isinstance(fields, dict) else None


def unchanged(body: dict[str, Any], live: dict[str, Any]) -> bool:
    """True only when applying ``body`` (field manager wlc) would leave ``live`` as it is."""
    fields = wlc_fields(live, str(body.get("apiVersion", "")))
    if fields is None:
        return False
    want = {k: v for k, v in body.items() if k not in _TOP_STRIPPED}
    meta = {k: v for k, v in (body.get("metadata") or {}).items() if k not in _META_STRIPPED}
    if meta:
        want["metadata"] = meta
    else:
        want.pop("metadata", None)
    return _same_map(want, fields, live)


# The walk below runs over every field of every listed object in a no-op sync, so it is written
# as plain loops with early exits; a fieldsV1 node is a map of ``f:<field>`` (``k:{...}`` /
# ``v:...`` for list entries) to its children, ``.`` marking the node itself.
_MISSING = object()


def _leaf(node: Any) -> bool:
    """A node without children: a leaf, or an atomic map or list (compared as a whole)."""
    return not isinstance(node, dict) or not node or (len(node) == 1 and "." in node)


def _same(want: Any, node: Any, have: Any, key: str = "") -> bool:
    if _leaf(node):
        return _equal(want, have, key)
    if isinstance(want, dict):
        return isinstance(have, dict) and _same_map(want, node, have, key)
    if isinstance(want, list):
        return isinstance(have, list) and _same_list(want, node, have)
    return False


def _same_map(want: dict[str, Any], node: dict[str, Any], have: dict[str, Any], key: str = "") -> bool:
    """wlc's set holds exactly ``f:<k>`` for each key of ``want`` (and ``.``), and each value
    is the same: the count and a look-up per key decide the first, as the keys are distinct."""
    if len(node) - ("." in node) != len(want):
        return False
    quantities = key in _QUANTITIES
    for k, v in want.items():
        child = node.get(f"f:{k}", _MISSING) if isinstance(k, str) else _MISSING
        if child is _MISSING:
            return False
        found = have.get(k, _MISSING)
        if found is _MISSING:
            if not _omitted(v, child):
                return False
        elif not _same(v, child, found, key if quantities else k):
            return False
    return True


def _omitted(want: Any, node: Any) -> bool:
    """A field wlc owns and the live object does not show: the server left out its zero value
    (built-in types omit an empty false, 0, "" or {} when they serialize)."""
    return _leaf(node) and not isinstance(want, float) and want in (False, 0, "", {}, [])


def _same_list(want: list[Any], node: dict[str, Any], have: list[Any]) -> bool:
    """An associative list (entries ``k:{...}``) or a set (``v:...``): each item of ``want``
    matches exactly one entry, every entry one item, in the live list's order."""
    entries = [(e, _key(e) if e[:2] in ("k:", "v:") else None) for e in node if e != "."]
    if len(want) != len(entries):
        return False
    used: set[str] = set()
    last = -1
    for item in want:
        entry = _entry_for(item, entries)
        if entry is None or entry[0] in used:
            return False
        used.add(entry[0])
        index = _live_index(entry[0], entry[1], have)
        if index is None or index < last:
            return False
        last = index
        if entry[0].startswith("k:") and not _same(item, node[entry[0]], have[index]):
            return False
    return True


@functools.lru_cache(maxsize=65536)
def _key(entry: str) -> Any:
    """The key of a list entry ``k:{...}`` / ``v:...`` (cached: the same keys recur in every object;
    callers only read it)."""
    try:
        return json.loads(entry[2:])
    except ValueError:
        return None


def _entry_for(item: Any, entries: list[tuple[str, Any]]) -> tuple[str, Any] | None:
    """The one entry naming ``item``. A key field the item leaves out (a port's protocol) was
    defaulted by the server; the item's own fields must then equal the entry's (see _same_map),
    so the entry's key field cannot be one wlc set."""
    found = None
    if isinstance(item, dict):
        for entry, key in entries:
            if entry.startswith("k:") and _names(key, item):
                if found is not None:
                    return None
                found = (entry, key)
    elif item is None or isinstance(item, list):
        return None
    else:
        for entry, key in entries:
            if entry.startswith("v:") and _scalar_equal(key, item):
                if found is not None:
                    return None
                found = (entry, key)
    return found


def _names(key: Any, item: dict[str, Any]) -> bool:
    if not isinstance(key, dict) or not key:
        return False
    named = False
    for f, v in key.items():
        found = item.get(f, _MISSING)
        if found is not _MISSING:
            if not _scalar_equal(found, v):
                return False
            named = True
    return named


def _live_index(entry: str, key: Any, have: list[Any]) -> int | None:
    found = None
    if entry.startswith("k:") and isinstance(key, dict):
        for i, h in enumerate(have):
            if isinstance(h, dict) and all(_scalar_equal(h.get(f, _MISSING), v) for f, v in key.items()):
                if found is not None:
                    return None
                found = i
    else:
        for i, h in enumerate(have):
            if _scalar_equal(h, key):
                if found is not None:
                    return None
                found = i
    return found


def _scalar_equal(a: Any, b: Any) -> bool:
    kind = type(a)
    if kind is type(b):
        return a is b if kind is bool else bool(a == b)
    if kind is bool or type(b) is bool:
        return False
    return isinstance(a, (int, float)) and isinstance(b, (int, float)) and a == b


def _equal(want: Any, have: Any, key: str = "") -> bool:
    """``have`` is what the server stores for ``want`` (the field named ``key``)."""
    if type(want) is str and type(have) is str and want == have:
        return True  # most leaves: the same string
    if want is None:
        return False  # a null in an applied body removes a field: let the server say what it does
    if isinstance(want, dict):
        if not isinstance(have, dict) or len(want) > len(have):
            return False
        quantities = key in _QUANTITIES
        for k, v in want.items():
            found = have.get(k, _MISSING)
            if found is _MISSING or not _equal(v, found, key if quantities else k):
                return False
        return len(have) == len(want) or all(
            (key, k) in _DEFAULTED and have[k] == _DEFAULTED[(key, k)] for k in have if k not in want)
    if isinstance(want, list):
        if not isinstance(have, list) or len(want) != len(have):
            return False
        for w, h in zip(want, have):
            if not _equal(w, h, key):
                return False
        return True
    if key in _QUANTITIES or key == "sizeLimit":
        return _scalar_equal(want, have) or _same_quantity(want, have)
    return _scalar_equal(want, have)


def _same_quantity(want: Any, have: Any) -> bool:
    """A quantity the server stored in its canonical form (``1`` as ``"1"``, ``0.5`` as ``"500m"``)."""
    a, b = quantity.parse(want), quantity.parse(have)
    return a is not None and a == b and isinstance(have, str)
