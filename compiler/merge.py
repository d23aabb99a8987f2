"""Field-tree merging with provenance, shared by resolution, policy defaults and overlays.

A *tagged tree* is the spec with every leaf wrapped in a ``Leaf(value, source)``. Layers
merge from the lowest (assets) to the highest (the submission): maps merge field by field,
itemized lists merge by their key (an item with ``exclude: true`` removes the inherited one),
anything else is replaced as a whole. ``untag`` gives back plain data and a path → Source map.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import overload

from .model import Doc, Exclusions, Leaf, Path, Provenance, Source, TaggedSpec, Tree

#: Itemized lists (docs/spec.md): field path (without list indexes) → the member that keys them.
ITEM_KEYS: dict[tuple[str, ...], str] = {
    ("environmentVariables",): "name",
    ("compute", "extendedResources"): "resource",
    ("storage", "pvc"): "claimName",
    ("storage", "nfs"): "name",
    ("storage", "hostPath"): "name",
    ("storage", "git"): "name",
    ("storage", "s3"): "name",
    ("storage", "configMapVolumes"): "name",
    ("storage", "secretVolume"): "name",
    ("storage", "dataVolume"): "name",
    ("ports",): "container",
    ("exposedUrls",): "container",
    ("tolerations",): "name",
    ("labels",): "name",
    ("annotations",): "name",
}
#: top-level spec field → the itemized lists under it, with their keys
_ITEMS_UNDER: dict[str, list[tuple[tuple[str, ...], str]]] = {}
for _fpath, _key in ITEM_KEYS.items():
    _ITEMS_UNDER.setdefault(_fpath[0], []).append((_fpath, _key))
#: Distributed workloads repeat the pod-level tree under these sections.
SECTIONS = ("master", "worker")


def item_key(path: tuple[str | int, ...]) -> str | None:
    """The key member of the itemized list at ``path`` (indexes ignored), or None."""
    names = tuple(p for p in path if isinstance(p, str))
    if names and names[0] in SECTIONS:
        names = names[1:]
    return ITEM_KEYS.get(names)


@overload
def tag(data: Mapping[str, object], source: Source, path: Path = (), doc: Doc | None = None,
        base: Path = ("spec",), strip: int = 0) -> TaggedSpec: ...
@overload
def tag(data: object, source: Source, path: Path = (), doc: Doc | None = None,
        base: Path = ("spec",), strip: int = 0) -> Tree: ...
def tag(data: object, source: Source, path: Path = (), doc: Doc | None = None,
        base: Path = ("spec",), strip: int = 0) -> Tree:
    """Wrap every leaf of ``data`` in a Leaf; itemized list items stay maps of leaves.

    With ``doc``, each leaf's Source carries the line of the value in that document
    (``base`` + path without its first ``strip`` elements), so provenance points at the
    exact line a value was written on.
    """
    if isinstance(data, dict):
        return {k: tag(v, source, path + (k,), doc, base, strip) for k, v in data.items()}
    if isinstance(data, list) and item_key(path) is not None:
        return [tag(v, source, path + (i,), doc, base, strip) for i, v in enumerate(data)]
    if doc is not None:
        source = Source(source.kind, source.name, source.file, doc.loc(base + path[strip:])[0])
    return Leaf(data, source)


@overload
def merge(low: TaggedSpec, high: TaggedSpec, path: Path = ()) -> TaggedSpec: ...
@overload
def merge(low: Tree, high: Tree, path: Path = ()) -> Tree: ...
def merge(low: Tree, high: Tree, path: Path = ()) -> Tree:
    """``high`` over ``low`` (both tagged)."""
    if isinstance(low, dict) and isinstance(high, dict):
        out = dict(low)
        for k, v in high.items():
            out[k] = merge(low[k], v, path + (k,)) if k in low else v
        return out
    key = item_key(path)
    if key is not None and isinstance(low, list) and isinstance(high, list):
        return merge_items(low, high, key, path)
    return high


def merge_items(low: list[Tree], high: list[Tree], key: str, path: Path) -> list[Tree]:
    """Items of ``high`` override or extend those of ``low`` by ``key``; order: low first."""
    out: list[Tree] = list(low)
    index = {_key_of(item, key): i for i, item in enumerate(out)}
    for item in high:
        k = _key_of(item, key)
        if k is not None and k in index:
            pos = index[k]
            out[pos] = merge(out[pos], item, path + (pos,))
        else:
            index[k] = len(out)
            out.append(item)
    return out


def _key_of(item: Tree, key: str) -> object:
    if isinstance(item, dict):
        leaf = item.get(key)
        return leaf.value if isinstance(leaf, Leaf) else None
    return None


def leaf_at(item: TaggedSpec, key: str) -> Leaf:
    """The leaf of an item's key member (an itemized item always has one: the schema and the
    policy reader require it)."""
    leaf = item.get(key)
    if not isinstance(leaf, Leaf):
        raise TypeError(f"item without a {key!r} value: {item!r}")
    return leaf


def items_of(trees: list[Tree]) -> list[TaggedSpec]:
    """The map items of an itemized list (every item of one is a map)."""
    return [t for t in trees if isinstance(t, dict)]


def is_excluded(item: Tree) -> bool:
    leaf = item.get("exclude") if isinstance(item, dict) else None
    return isinstance(leaf, Leaf) and leaf.value is True


@overload
def untag(tree: TaggedSpec, path: Path = ()) -> tuple[dict[str, object], Provenance]: ...
@overload
def untag(tree: Tree, path: Path = ()) -> tuple[object, Provenance]: ...
def untag(tree: Tree, path: Path = ()) -> tuple[object, Provenance]:
    """Plain data and provenance; excluded items are dropped here."""
    prov: Provenance = {}
    return _untag(tree, path, prov), prov


def _untag(tree: Tree, path: Path, prov: Provenance) -> object:
    if isinstance(tree, Leaf):
        prov[path] = tree.source
        return tree.value
    if isinstance(tree, dict):
        return {k: _untag(v, path + (k,), prov) for k, v in tree.items()}
    kept = [item for item in tree if not is_excluded(item)]
    return [_untag(item, path + (i,), prov) for i, item in enumerate(kept)]


def get_path(data: object, path: Path) -> object:
    """The value at ``path`` or None (of plain data or of a tagged tree)."""
    for p in path:
        if isinstance(data, dict) and isinstance(p, str):
            data = data.get(p)
        elif isinstance(data, list) and isinstance(p, int) and 0 <= p < len(data):
            data = data[p]
        else:
            return None
    return data


def find_exclusions(sources: list[tuple[Doc, object, Path]], into: Exclusions | None = None) -> Exclusions:
    """The items that each source removes with ``exclude: true``: (document, its spec data, the
    path of that data in the document), in order; the first source that removes a key is kept."""
    out: Exclusions = {f: dict(keys) for f, keys in (into or {}).items()}
    for doc, data, base in sources:
        if not isinstance(data, dict):
            continue
        nodes: list[tuple[Path, dict[str, object]]] = [((), data)]
        nodes += [((s,), node) for s in SECTIONS if isinstance(node := data.get(s), dict)]
        for prefix, node in nodes:
            for head in node:
                for fpath, key in _ITEMS_UNDER.get(head, ()):
                    items = get_path(node, fpath)
                    if isinstance(items, list):
                        _excluded_items(out, doc, base + prefix + fpath, prefix + fpath, items, key)
    return out


def _excluded_items(out: Exclusions, doc: Doc, where: Path, field: Path, items: list[object], key: str) -> None:
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("exclude") is True:
            fpath = tuple(str(p) for p in field)
            out.setdefault(fpath, {}).setdefault(item.get(key), (doc, where + (i, "exclude")))


def dotted(path: Path) -> str:
    """("spec", "storage", "pvc", 0, "claimName") → "spec.storage.pvc[0].claimName"."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


@overload
def retag(data: Mapping[str, object], prov: Provenance, path: Path = ()) -> TaggedSpec: ...
@overload
def retag(data: object, prov: Provenance, path: Path = ()) -> Tree: ...
def retag(data: object, prov: Provenance, path: Path = ()) -> Tree:
    """The inverse of ``untag``: a tagged tree from plain data and its provenance."""
    if isinstance(data, dict):
        return {k: retag(v, prov, path + (k,)) for k, v in data.items()}
    if isinstance(data, list) and item_key(path) is not None:
        return [retag(v, prov, path + (i,)) for i, v in enumerate(data)]
    return Leaf(data, prov.get(path, Source("unknown")))
