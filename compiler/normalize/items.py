"""Itemized fields: ``{items: {<label>: {value: {...}} | {deleted: true}}}`` become keyed lists.

Items keep the written label order. An item's key member comes from its value or, failing that,
from its label (``port-8080`` gives container port 8080); a deleted item becomes the key alone
with ``exclude: true``. Which Run:ai fields are itemized, and their members, is ``ITEM_KINDS``
in ``fields``; the kinds themselves are declared beside their concept (``storage``, ``network``).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..model import Path
from ..shapes import YamlMap
from .builder import Out
from .values import Bad, Conv, shape, unwrap_leaf

_NO_LABEL = ("; it is deleted by label, but no Run:ai document read with it defines an item "
             "{label}: import or build it with the policy or template that does, or label the "
             "deleted item port-<{key}>")

#: One converted member of an item: (native member path, native value, Run:ai value path).
Member = tuple[Path, object, Path]


@dataclass(frozen=True)
class Item:
    """One Run:ai item on its way to a native list."""

    label: str
    ipath: Path
    value: object
    vpath: Path
    deleted: bool


#: Puts one converted item into the native document (the default appends it to ``kind.target``).
Place = Callable[[Out, "ItemKind", Item, list[Member]], None]


@dataclass(frozen=True)
class ItemKind:
    """How one Run:ai ``items:`` field becomes a native keyed list."""

    target: Path  # native list path under spec
    key: str  # the native key member
    members: dict[str, tuple[Path, Conv]]  # Run:ai member → (native member path, converter)
    scalar: str = ""  # native member that holds a bare (non-mapping) item value
    label_is_key: bool = True  # an item without its key member takes the label
    nested: str = ""  # a Run:ai member whose mapping holds more members (pvcs claimInfo)
    #: members that must never be imported: git history would keep the secret for ever
    secrets: tuple[str, ...] = ()
    place: Place | None = None  # where an item goes, when not simply appended to target


def convert_items(out: Out, name: str, kind: ItemKind, node: object, spath: Path) -> None:
    """Append every item of the Run:ai field ``name`` to its native list."""
    for item in iter_items(out, node, spath):
        members = item_members(out, name, kind, item)
        if members is None:
            continue
        if kind.place is None:
            append_item(out, kind.target, item, members)
        else:
            kind.place(out, kind, item, members)


def iter_items(out: Out, node: object, spath: Path) -> Iterator[Item]:
    """The items of an ``{items: {<label>: {value: ...} | {deleted: true}}}`` field, in order."""
    if not isinstance(node, dict) or not isinstance(node.get("items"), dict):
        out.problem(spath, "runai.bad-value", f"{spath[-1]}: expected items: {{<label>: {{value: ...}}}}")
        return
    for extra in node:
        if extra != "items":
            out.unknown(spath + (extra,), ("items",), what="key")
    for label, item in node["items"].items():
        ipath = spath + ("items", label)
        if not isinstance(item, dict) or not ({"value", "deleted"} & set(item)):
            yield Item(str(label), ipath, item, ipath, False)
            continue
        for extra in item:
            if extra not in ("value", "deleted"):
                out.unknown(ipath + (extra,), ("value", "deleted"), what="item key")
        deleted = item.get("deleted") is True or str(item.get("deleted")).lower() == "true"
        yield Item(str(label), ipath, item.get("value"), ipath + ("value",), deleted)


def append_item(out: Out, target: Path, item: Item, members: list[Member]) -> None:
    """Add the item at the end of the native list ``spec.<target>``."""
    lpath = ("spec",) + target
    cur: object = out.data
    for key in lpath:
        cur = cur.get(key, {}) if isinstance(cur, dict) else {}
    index = len(cur) if isinstance(cur, list) else 0
    out.put(lpath + (index,), {}, item.ipath, at_key=True)
    for mpath, value, vpath in members:
        out.put(lpath + (index,) + mpath, value, vpath, at_key=vpath == item.ipath)


def item_members(out: Out, name: str, kind: ItemKind, item: Item) -> list[Member] | None:
    """The item's native members, key first; None when the item cannot be read."""
    value, vpath = unwrap_leaf(item.value, item.vpath)
    members: list[Member] = []
    if isinstance(value, dict):
        members = mapping_members(out, name, kind, value, vpath)
    elif kind.scalar and not (value is None and item.deleted):
        try:
            members = [((kind.scalar,), kind.members[kind.scalar][1](value), vpath)]
        except Bad as bad:
            out.problem(vpath, "runai.bad-value", f"{name}.{item.label}: {bad}")
            return None
    elif value is not None or not item.deleted:
        out.problem(vpath, "runai.bad-value", f"{name}.{item.label}: expected a mapping of "
                    f"{', '.join(sorted(kind.members))}, got {shape(value) if value is None else repr(value)}")
        return None
    return _keyed(out, name, kind, item, members)


def mapping_members(out: Out, name: str, kind: ItemKind, value: YamlMap, vpath: Path) -> list[Member]:
    """The members of an item value written as a mapping, converted (bad ones are problems)."""
    members: list[Member] = []
    for member, raw in value.items():
        mpath = vpath + (member,)
        if member in kind.secrets:
            out.problem(mpath, "runai.secret-in-git", f"{name}.{member} would put a credential in git; "
                        "store it in a Secret and name that Secret instead", key=True)
        elif kind.nested and member == kind.nested and isinstance(raw, dict):
            members += mapping_members(out, name, kind, raw, mpath)
        elif member not in kind.members:
            out.unknown(mpath, kind.members, what=f"{name} item field")
        elif raw is None:
            continue
        else:
            inner, ipath = unwrap_leaf(raw, mpath)
            try:
                members.append((kind.members[member][0], kind.members[member][1](inner), ipath))
            except Bad as bad:
                out.problem(ipath, "runai.bad-value", f"{name}.{member}: {bad}")
    return members


def _keyed(out: Out, name: str, kind: ItemKind, item: Item, members: list[Member]) -> list[Member] | None:
    """Put the key member first (from the value, else the label) and add exclude for deletions."""
    keys = [m for m in members if m[0] == (kind.key,)]
    rest = [m for m in members if m[0] != (kind.key,)]
    if keys:
        key = keys[-1]
    elif kind.label_is_key:
        key = ((kind.key,), item.label, item.ipath)
    else:
        number = re.fullmatch(r"(?:port-)?([1-9][0-9]*)", item.label)
        inherited = out.labels.get((name, item.label), ()) if item.deleted else ()
        if number:
            key = ((kind.key,), int(number.group(1)), item.ipath)
        elif inherited:  # deleted by label: the key of the item of that label elsewhere
            key = ((kind.key,), inherited[0], item.ipath)
        else:
            out.problem(item.ipath, "runai.bad-value", f'{name}.{item.label}: the item has no "{kind.key}"'
                        + (_NO_LABEL.format(label=item.label, key=kind.key) if item.deleted else ""))
            return None
    if item.deleted:
        return [key, (("exclude",), True, item.ipath)]
    rank = {target: i for i, (target, _) in enumerate(kind.members.values())}
    return [key] + sorted(rest, key=lambda m: rank.get(m[0], len(rank)))
