"""Item labels across documents: Run:ai merges itemized fields by label, wlc by key member.

Run:ai removes an inherited item by its label alone (``admin-port-b: {deleted: true}``); the
item's key member (a port's ``container``) is written where the item is defined: in the
policy, the template or a base workload, usually another document. ``item_labels`` reads, from
every Run:ai document of a repository, the key each label stands for, so that a deletion by
label becomes the native ``exclude: true`` of that key. Only the kinds whose key does not
default to the label need it (ports and exposed URLs, keyed by container port).
"""
from __future__ import annotations

from collections.abc import Iterable

from ..model import Doc
from .fields import ITEM_KINDS
from .values import unwrap_leaf

#: (Run:ai field, item label) → the key values items of that label have in the repository
LabelKeys = dict[tuple[str, str], tuple[object, ...]]


def item_labels(docs: Iterable[Doc]) -> LabelKeys:
    """The keys of every labelled item whose kind is not keyed by its label."""
    found: dict[tuple[str, str], list[object]] = {}
    for doc in docs:
        data = doc.data if isinstance(doc.data, dict) else {}
        spec = data.get("spec")
        if not isinstance(spec, dict) or not str(data.get("apiVersion", "")).startswith("run.ai/"):
            continue
        for name, kind in ITEM_KINDS.items():
            node = spec.get(name)
            items = node.get("items") if isinstance(node, dict) else None
            if kind.label_is_key or not isinstance(items, dict):
                continue
            for label, item in items.items():
                key = _key_of(item, kind.key)
                keys = found.setdefault((name, str(label)), [])
                if key is not None and key not in keys:
                    keys.append(key)
    return {k: tuple(v) for k, v in found.items() if v}


def _key_of(item: object, key: str) -> object:
    value, _ = unwrap_leaf(item.get("value") if isinstance(item, dict) else None, ())
    member, _ = unwrap_leaf(value.get(key) if isinstance(value, dict) else None, ())
    if isinstance(member, bool) or member is None:
        return None
    try:
        return int(str(member))
    except ValueError:
        return None
