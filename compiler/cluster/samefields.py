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
    return _same_map(want, _children(fields), live)


def _children(node: Any) -> dict[str, Any]:
    return {k: v for k, v in node.items() if k != "."} if isinstance(node, dict) else {}


def _same(want: Any, node: Any, have: Any, key: str = "") -> bool:
    children = _children(node)
    if not children:  # a leaf, or an atomic map or list: the whole value
        return _equal(want, have, key)
    if isinstance(want, dict):
        return isinstance(have, dict) and _same_map(want, children, have, key)
    if isinstance(want, list):
        return isinstance(have, list) and _same_list(want, children, have)
    return False


def _same_map(want: dict[str, Any], children: dict[str, Any], have: dict[str, Any], key: str = "") -> bool:
    if {f"f:{k}" for k in want} != set(children):
        return False
    return all(_same(v, children[f"f:{k}"], have[k], key if key in _QUANTITIES else k) if k in have
               else _omitted(v, children[f"f:{k}"]) for k, v in want.items())


def _omitted(want: Any, node: Any) -> bool:
    """A field wlc owns and the live object does not show: the server left out its zero value
    (built-in types omit an empty false, 0, "" or {} when they serialize)."""
    return not _children(node) and not isinstance(want, float) and want in (False, 0, "", {}, [])


def _same_list(want: list[Any], children: dict[str, Any], have: list[Any]) -> bool:
    """An associative list (entries ``k:{...}``) or a set (``v:...``): each item of ``want``
    matches exactly one entry, every entry one item, in the live list's order."""
    if len(want) != len(children):
        return False
    used: set[str] = set()
    positions: list[int] = []
    for item in want:
        key = _entry_for(item, children)
        if key is None or key in used:
            return False
        used.add(key)
        index = _live_index(key, have)
        if index is None:
            return False
        positions.append(index)
        if key.startswith("k:") and not _same(item, children[key], have[index]):
            return False
    return positions == sorted(positions)


@functools.lru_cache(maxsize=65536)
def _key(entry: str) -> Any:
    """The key of a list entry ``k:{...}`` / ``v:...`` (cached: the same keys recur in every object;
    callers only read it)."""
    try:
        return json.loads(entry[2:])
    except ValueError:
        return None


def _entry_for(item: Any, children: dict[str, Any]) -> str | None:
    """The one entry naming ``item``. A key field the item leaves out (a port's protocol) was
    defaulted by the server; the item's own fields must then equal the entry's (see _same_map),
    so the entry's key field cannot be one wlc set."""
    if isinstance(item, dict):
        found = [k for k in children if k.startswith("k:") and _names(_key(k), item)]
    elif item is None or isinstance(item, (dict, list)):
        return None
    else:
        found = [k for k in children if k.startswith("v:") and _scalar_equal(_key(k), item)]
    return found[0] if len(found) == 1 else None


def _names(key: Any, item: dict[str, Any]) -> bool:
    if not isinstance(key, dict) or not key or not any(f in item for f in key):
        return False
    return all(_scalar_equal(item[f], v) for f, v in key.items() if f in item)


def _live_index(entry: str, have: list[Any]) -> int | None:
    key = _key(entry)
    if entry.startswith("k:") and isinstance(key, dict):
        found = [i for i, h in enumerate(have) if isinstance(h, dict)
                 and all(f in h and _scalar_equal(h[f], v) for f, v in key.items())]
    else:
        found = [i for i, h in enumerate(have) if _scalar_equal(h, key)]
    return found[0] if len(found) == 1 else None


def _scalar_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return type(a) is type(b) and a == b or (isinstance(a, (int, float)) and isinstance(b, (int, float)) and a == b)


def _equal(want: Any, have: Any, key: str = "") -> bool:
    """``have`` is what the server stores for ``want`` (the field named ``key``)."""
    if want is None:
        return False  # a null in an applied body removes a field: let the server say what it does
    if isinstance(want, dict):
        if not isinstance(have, dict) or not set(want) <= set(have):
            return False
        extra = set(have) - set(want)
        return (all((key, k) in _DEFAULTED and have[k] == _DEFAULTED[(key, k)] for k in extra)
                and all(_equal(v, have[k], k if key not in _QUANTITIES else key) for k, v in want.items()))
    if isinstance(want, list):
        return isinstance(have, list) and len(want) == len(have) and all(_equal(w, h, key) for w, h in zip(want, have))
    if key in _QUANTITIES or key == "sizeLimit":
        return _scalar_equal(want, have) or _same_quantity(want, have)
    return _scalar_equal(want, have)


def _same_quantity(want: Any, have: Any) -> bool:
    """A quantity the server stored in its canonical form (``1`` as ``"1"``, ``0.5`` as ``"500m"``)."""
    a, b = quantity.parse(want), quantity.parse(have)
    return a is not None and a == b and isinstance(have, str)
