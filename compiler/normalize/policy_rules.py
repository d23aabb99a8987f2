"""The rules of a v1 policy become ``spec.rules`` of the native ``Policy``.

A field's ``rules`` (``required``, ``canEdit``, ``min``, ``max``, ``step``, ``options``) go to the
native path of the field, their bounds converted like the field's values; ``gpu`` bounds below 1
are about a GPU portion, others about devices. Itemized fields: ``rules.canAdd`` becomes
``instances.canAdd``, ``itemRules.<member>`` the rules of ``attributes.<member>``, and items that
may not be removed (``rules.canRemove: false``) ``instances.locked`` keys. A rule that cannot be
kept is a problem.
"""
from __future__ import annotations

from ..model import Path
from ..shapes import YamlMap
from .builder import Out
from .fields import ITEM_KINDS, SIMPLE, item_targets
from .items import Item, ItemKind, item_members
from .storage import HOST_PATH
from .values import Bad, Conv, as_bool, as_int, as_number, as_quantity, as_str, unwrap_leaf

_RULE_NAMES = ("required", "canEdit", "min", "max", "step", "options")
_ITEM_RULE_NAMES = ("canAdd", "required")
#: rules of fields that are not one-to-one: Run:ai field → (native path, converter for min/max)
_RULE_TARGETS: dict[str, tuple[Path, Conv]] = {
    "gpuDevices": (("compute", "gpuDevicesRequest"), as_int),
    "gpuMemory": (("compute", "gpuMemoryRequest"), as_quantity),
    "migProfile": (("compute", "migProfile"), as_str),
    "gpuLimit": (("compute", "gpuPortionLimit"), as_number),
    "runAsUser": (("security", "uidGidSource"), as_str),
    "runAsUid": (("security", "runAsUid"), as_int),
    "runAsGid": (("security", "runAsGid"), as_int),
}


def policy_rules(out: Out, fields: dict[str, YamlMap]) -> None:
    """The rules of every policy field (fields are mappings, checked by the caller)."""
    for name, node in fields.items():
        spath = ("spec", name)
        if name in ITEM_KINDS:
            _item_rules(out, name, node, spath)
        elif "rules" in node or "itemRules" in node:
            _field_rules(out, name, node, spath)


def _field_rules(out: Out, name: str, node: YamlMap, spath: Path) -> None:
    rules = node.get("rules")
    if "itemRules" in node:
        out.unmappable(spath + ("itemRules",), f"{name} is not an itemized field")
    if not isinstance(rules, dict):
        if rules is not None:
            out.problem(spath + ("rules",), "runai.bad-value", f"{name}.rules: expected a mapping")
        return
    target = _rule_target(out, name, rules, spath + ("rules",))
    if target is None:
        return
    path, conv = target
    for rule, raw in rules.items():
        rpath = spath + ("rules", rule)
        if rule not in _RULE_NAMES:
            out.unknown(rpath, _RULE_NAMES, what="rule")
            continue
        try:
            value = as_bool(raw) if rule in ("required", "canEdit") else conv(raw) if rule != "options" \
                else [{"value": conv(unwrap_leaf(o, ())[0])} for o in (raw if isinstance(raw, list) else [raw])]
        except Bad as bad:
            out.problem(rpath, "runai.bad-value", f"{name}.rules.{rule}: {bad}")
            continue
        out.put(("spec", "rules") + path + (rule,), value, rpath)


def _rule_target(out: Out, name: str, rules: YamlMap, rpath: Path) -> tuple[Path, Conv] | None:
    if name == "gpu":
        bounds = [rules[b] for b in ("min", "max") if b in rules]
        try:
            fraction = any(0 < as_number(b) < 1 for b in bounds)
        except Bad as bad:
            out.problem(rpath, "runai.bad-value", f"gpu.rules: {bad}")
            return None
        return (("compute", "gpuPortionRequest"), as_number) if fraction else \
            (("compute", "gpuDevicesRequest"), as_int)
    if name in _RULE_TARGETS:
        return _RULE_TARGETS[name]
    if name in SIMPLE:
        return SIMPLE[name]
    out.unmappable(rpath, f"wlc has no field that {name} maps to one-to-one, so its rules cannot be kept")
    return None


def _item_rules(out: Out, name: str, node: YamlMap, spath: Path) -> None:
    kind = ITEM_KINDS[name]
    rules = node.get("rules")
    if isinstance(rules, dict):
        for rule, raw in rules.items():
            rpath = spath + ("rules", rule)
            if rule == "canAdd":
                for target in item_targets(name):
                    _put_rule(out, target + ("instances", "canAdd"), raw, rpath, name)
            elif rule in _ITEM_RULE_NAMES:
                out.dropped(rpath, "wlc policies have no 'required' rule for a whole itemized field")
            else:
                out.unknown(rpath, _ITEM_RULE_NAMES, what="rule")
    item_rules, items = node.get("itemRules"), node.get("items")
    if isinstance(item_rules, dict):
        for member, mrules in item_rules.items():
            _member_rules(out, name, kind, member, mrules, spath + ("itemRules", member))
    if isinstance(items, dict):
        _locked_items(out, name, kind, items, spath)


def _put_rule(out: Out, target: Path, raw: object, rpath: Path, name: str) -> None:
    try:
        out.put(("spec", "rules") + target, as_bool(raw), rpath)
    except Bad as bad:
        out.problem(rpath, "runai.bad-value", f"{name}: {bad}")


def _member_rules(out: Out, name: str, kind: ItemKind, member: str, mrules: object, mpath: Path) -> None:
    if name == "volumes" and member == "nfsServer" and isinstance(mrules, dict) and mrules.get("required"):
        # Run:ai's documented idiom for "no host paths": every volume must name an NFS server
        out.put(("spec", "rules") + HOST_PATH + ("instances", "canAdd"), False, mpath + ("required",))
        return
    if member not in kind.members or not isinstance(mrules, dict):
        out.unknown(mpath, kind.members, what=f"{name} item field")
        return
    target, conv = kind.members[member]
    for rule, raw in mrules.items():
        rpath = mpath + (rule,)
        if rule not in _RULE_NAMES:
            out.unknown(rpath, _RULE_NAMES, what="rule")
            continue
        try:
            value = as_bool(raw) if rule in ("required", "canEdit") else conv(raw)
        except Bad as bad:
            out.problem(rpath, "runai.bad-value", f"{name}.itemRules.{member}.{rule}: {bad}")
            continue
        for lpath in item_targets(name, {member: 1} if member in ("nfsServer", "server") else None):
            out.put(("spec", "rules") + lpath + ("attributes",) + target + (rule,), value, rpath)


def _locked_items(out: Out, name: str, kind: ItemKind, items: YamlMap, spath: Path) -> None:
    """Items whose rules forbid removing them become ``instances.locked`` keys."""
    for label, item in items.items():
        ipath = spath + ("items", label)
        if not isinstance(item, dict) or label == "DEFAULTS" or not isinstance(item.get("rules"), dict):
            continue
        rules = item["rules"]
        for rule in rules:
            if rule not in ("canRemove", "canEdit"):
                out.unknown(ipath + ("rules", rule), ("canRemove", "canEdit"), what="item rule")
        for rule, native in (("canRemove", "locked"), ("canEdit", "fixed")):
            if rules.get(rule) is False:
                value = item.get("value")
                members = item_members(out, name, kind, Item(str(label), ipath, value, ipath + ("value",), False))
                if members:
                    key = members[0][1]
                    for target in item_targets(name, unwrap_leaf(value, ())[0]):
                        _append_locked(out, target, key, ipath + ("rules", rule), native)


def _append_locked(out: Out, target: Path, key: object, rpath: Path, native: str = "locked") -> None:
    """Add ``key`` to ``instances.<native>`` (locked: not removable; fixed: not editable)."""
    path = ("spec", "rules") + target + ("instances", native)
    rules: object = out.data["spec"].get("rules", {})
    for part in path[2:]:
        rules = rules.get(part, {}) if isinstance(rules, dict) else {}
    out.put(path + (len(rules) if isinstance(rules, list) else 0,), key, rpath)
