"""Policy defaults filled into a resolved workload, with provenance.

Defaults are the lowest layer: they fill only what the submission (after template and assets)
left unset, through the same ``merge`` as resolution, so itemized default instances merge by
key under submitted ones. Then ``attributes`` fill the missing members of every instance, then
``defaultFrom`` rules compute what is still unset. Instances the submission (or its template)
excluded are not added. Imposed DataSource assets are merged in like a referenced data source.
Distributed workloads: a default for ``master.X``/``worker.X`` is not used when the workload
sets the pod-level ``X`` (the section inherits it); likewise a default instance of
``master.X``/``worker.X`` whose key the workload's pod-level ``X`` has.
"""
from __future__ import annotations

from .. import quantity
from ..assets import data_source_spec
from ..merge import ITEM_KEYS, SECTIONS, get_path, is_excluded, leaf_at, merge, retag, tag, untag
from ..model import Data, Leaf, Path, Provenance, ResolvedWorkload, TaggedSpec, Tree
from ..repo import Repo
from ..shapes import SpecTree
from .body import Setting, split_attr
from .effective import Effective
from .fields import FPath, field_tree


def assoc(node: Tree | None, path: Path, value: Tree) -> Tree:
    """A copy of ``node`` with ``value`` at ``path`` (maps created as needed; nothing shared is changed)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(node, list) and isinstance(head, int):
        out = list(node)
        out[head] = assoc(out[head], rest, value)
        return out
    table: TaggedSpec = dict(node) if isinstance(node, dict) else {}
    table[str(head)] = assoc(table.get(str(head)), rest, value)
    return table


def _assoc_spec(spec: TaggedSpec, path: Path, value: Tree) -> TaggedSpec:
    out = assoc(spec, path, value)
    return out if isinstance(out, dict) else spec  # a non-empty path into a map gives a map


def fill(rw: ResolvedWorkload, eff: Effective, repo: Repo) -> tuple[SpecTree, Provenance]:
    """The workload's spec and provenance with the effective policy's defaults filled in.

    Only the top-level fields a default, an attribute or a ``defaultFrom`` touches are re-tagged
    and merged; the rest of the spec and its provenance are kept as they are.
    """
    base = _base(rw, eff, repo)
    touched = set(base) | _touched(eff)
    tree: TaggedSpec = {k: retag(rw.spec[k], rw.prov, (k,)) for k in rw.spec if k in touched}
    tree = _default_from(_attributes(merge(base, tree), eff), eff)
    data, prov = untag(tree)
    spec = {k: data.get(k, v) for k, v in rw.spec.items()}
    spec.update({k: v for k, v in data.items() if k not in spec})
    kept = {p: s for p, s in rw.prov.items() if p[0] not in touched}
    kept.update(prov)
    return spec, kept


def default_from(setting: Setting) -> tuple[FPath, float]:
    """A ``defaultFrom`` rule's source field and factor (the policy reader checked their types)."""
    arg = setting.value if isinstance(setting.value, dict) else {}
    factor = arg.get("factor", 1)
    return tuple(str(arg.get("field", "")).split(".")), float(factor) if isinstance(factor, (int, float)) else 1.0


def _touched(eff: Effective) -> set[str]:
    out = {path[0] for path in eff.defaults}
    for path, rules in eff.rules.items():
        if "defaultFrom" in rules:
            out.add(path[0])
            out.add(default_from(rules["defaultFrom"])[0][0])
    return out


def _base(rw: ResolvedWorkload, eff: Effective, repo: Repo) -> TaggedSpec:
    base: TaggedSpec = {}
    distributed = rw.kind == "DistributedWorkload"
    for path, setting in eff.defaults.items():
        if split_attr(path)[1] is not None:
            continue
        if distributed and path[0] in SECTIONS and get_path(rw.spec, path[1:]) is not None:
            continue
        base = _assoc_spec(base, path, Leaf(setting.value, setting.origin.source()))
    for path, items in eff.instances.items():
        key = ITEM_KEYS[path[1:] if path[0] in SECTIONS else path]
        gone = set(rw.excluded.get(path, {}))
        if distributed and path[0] in SECTIONS:  # the section inherits the pod-level instances
            gone |= _keys(get_path(rw.spec, path[1:]), key)
        kept: list[Tree] = [item for item in items if leaf_at(item, key).value not in gone]
        if kept:
            base = _assoc_spec(base, path, kept)
    for setting in eff.imposed:
        doc = repo.get("DataSource", str(setting.value))
        if doc is not None:
            base = merge(base, tag(data_source_spec(doc), setting.origin.source()))
    return base


def _keys(items: object, key: str) -> set[object]:
    """The keys of the instances of a plain itemized list."""
    return {i.get(key) for i in items if isinstance(i, dict)} if isinstance(items, list) else set()


def _attributes(tree: TaggedSpec, eff: Effective) -> TaggedSpec:
    for path, setting in eff.defaults.items():
        field, member = split_attr(path)
        if member is None:
            continue
        items = get_path(tree, field)
        if not isinstance(items, list):
            continue
        leaf = Leaf(setting.value, setting.origin.source())
        for i, item in enumerate(items):
            if isinstance(item, dict) and not is_excluded(item) and get_path(item, member) is None:
                tree = _assoc_spec(tree, field + (i,) + member, leaf)
    return tree


def _default_from(tree: TaggedSpec, eff: Effective) -> TaggedSpec:
    tree_info = field_tree()
    for path, rules in eff.rules.items():
        setting = rules.get("defaultFrom")
        if setting is None or split_attr(path)[1] is not None or get_path(tree, path) is not None:
            continue
        field, factor = default_from(setting)
        source = get_path(tree, field)
        if not isinstance(source, Leaf):
            continue
        value: Data = quantity.scale(source.value, factor)
        info = tree_info.get(path)
        if value is None:
            continue
        if info is not None and info.kind == "integer":
            value = int(quantity.parse(value) or 0)
        elif info is not None and info.kind == "quantity" and not isinstance(value, str):
            value = str(value)
        tree = _assoc_spec(tree, path, Leaf(value, setting.origin.source()))
    return tree
