"""Run:ai v1 policies (``TrainingPolicy``, ``InteractivePolicy``, ``DistributedPolicy``,
``InferencePolicy``) converted into native ``Policy`` documents, for ``wlc import runai``.

A v1 field is ``{rules: {required, canEdit, min, max}, value: X}`` (v1alpha1: ``value: {value: X}``);
an itemized one is ``{rules: {canAdd, required}, itemRules: {<member>: {...}}, items: {<label>:
{value: {...}, rules: {canRemove, canEdit}}}}`` where the label ``DEFAULTS`` holds defaults for
every item. Field names are the Run:ai CR's (``gpu``, ``environment``, ``pvcs``...), mapped onto
the native tree with the same tables as the workload import (compiler/normalize.py).

Semantics differ and the output says so: a v1 policy in a project namespace *replaces* the one
in namespace ``runai`` for that kind, whereas native policies merge down the chain
cluster → department → project (and a field may have rules in only one of them).
"""
from __future__ import annotations

import re
from typing import Any

import yaml

from .. import normalize

KINDS = {"TrainingPolicy": "TrainingWorkload", "InteractivePolicy": "InteractiveWorkload",
         "DistributedPolicy": "DistributedWorkload", "InferencePolicy": "InferenceWorkload"}
#: Run:ai fields that the workload import handles together; their one-to-one policy paths.
EXTRA_PATHS = {"gpu": ("compute", "gpuDevicesRequest"), "gpuDevices": ("compute", "gpuDevicesRequest"),
               "gpuMemory": ("compute", "gpuMemoryRequest"), "migProfile": ("compute", "migProfile"),
               "runAsUid": ("security", "runAsUid"), "runAsGid": ("security", "runAsGid"),
               "runAsUser": ("security", "runAsNonRoot")}
LEAF_RULES = ("required", "canEdit", "min", "max")
SEMANTICS = ("Converted from a Run:ai v1 {kind} ({source}). In Run:ai v1 a policy in a project namespace\n"
             "REPLACES the one in namespace runai for that kind: nothing of the cluster policy applied to\n"
             "a project that had its own. Native policies merge down the chain cluster -> department ->\n"
             "project instead (defaults: most specific wins; a field may have rules in only one policy).\n"
             "To keep v1 behaviour, give a converted project policy every rule it needs and remove the\n"
             "same fields from the cluster policy, or scope the cluster policy's rules more narrowly.\n")


def convert(data: dict[str, Any], name: str = "") -> tuple[dict[str, Any], list[str]]:
    """The native Policy and notes on what could not be carried over exactly."""
    notes: list[str] = []
    kind = str(data.get("kind", ""))
    meta = data.get("metadata") or {}
    spec: dict[str, Any] = {"scope": _scope(str(meta.get("namespace", "runai")), notes)}
    if kind in KINDS:
        spec["workloadTypes"] = [KINDS[kind]]
    else:
        notes.append(f'unknown v1 policy kind "{kind}": converted for every workload type')
    defaults: dict[str, Any] = {}
    rules: dict[str, Any] = {}
    for field, entry in (data.get("spec") or {}).items():
        if not isinstance(entry, dict):
            notes.append(f"{field}: expected {{rules, value}}; skipped")
            continue
        if field in _item_kinds():
            _itemized(field, entry, defaults, rules, notes)
        else:
            _leaf(field, entry, defaults, rules, notes)
    if defaults:
        spec["defaults"] = defaults
    if rules:
        spec["rules"] = rules
    policy_name = name or str(meta.get("name") or kind.lower())
    return {"apiVersion": "wlc.dev/v1alpha1", "kind": "Policy", "metadata": {"name": policy_name},
            "spec": spec}, notes


def to_yaml(data: dict[str, Any], source: str = "") -> tuple[str, list[str]]:
    """The converted document as YAML text, headed by the replacement-semantics comment."""
    native, notes = convert(data)
    head = SEMANTICS.format(kind=data.get("kind", "policy"), source=source or "unknown file")
    head += "".join(f"NOTE: {n}\n" for n in notes)
    comment = "".join(f"# {line}\n" if line else "#\n" for line in head.rstrip("\n").split("\n"))
    return comment + yaml.safe_dump(native, sort_keys=False, default_flow_style=False), notes


def _scope(namespace: str, notes: list[str]) -> dict[str, Any]:
    if namespace == "runai":
        return {"cluster": True}
    match = re.fullmatch(r"runai-([a-z][-a-z0-9]*)", namespace)
    if not match:
        notes.append(f'namespace "{namespace}" is not runai-<project>: taken as the project name')
    return {"project": match.group(1) if match else namespace}


def _unwrap(value: Any) -> Any:
    while isinstance(value, dict) and set(value) == {"value"}:
        value = value["value"]
    return value


def _path(field: str) -> tuple[str, ...] | None:
    if field in EXTRA_PATHS:
        return EXTRA_PATHS[field]
    entry = normalize.SIMPLE.get(field)
    return tuple(str(p) for p in entry[0]) if entry else None


def _convert_value(field: str, value: Any, notes: list[str]) -> Any:
    entry = normalize.SIMPLE.get(field)
    if field in ("gpu", "gpuDevices"):
        try:
            number = float(value)
        except (TypeError, ValueError):
            return value
        if number != int(number):
            notes.append(f"{field}: fraction {value} kept as gpuDevicesRequest; use compute.gpuPortionRequest")
            return number
        return int(number)
    if field == "runAsUser":
        return bool(value)
    if entry is None:
        return value
    try:
        return entry[1](value)
    except Exception as err:  # noqa: BLE001 - normalize's converters raise their own Bad
        notes.append(f"{field}: value {value!r} kept as written ({err})")
        return value


def _put(tree: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for part in path[:-1]:
        tree = tree.setdefault(part, {})
    tree[path[-1]] = value


def _leaf(field: str, entry: dict[str, Any], defaults: dict[str, Any], rules: dict[str, Any],
          notes: list[str]) -> None:
    path = _path(field)
    if path is None:
        notes.append(f'{field}: no native field; skipped')
        return
    if "value" in entry:
        _put(defaults, path, _convert_value(field, _unwrap(entry["value"]), notes))
    got = {k: _unwrap(v) for k, v in (entry.get("rules") or {}).items() if k in LEAF_RULES}
    for k in ("min", "max"):
        if k in got:
            got[k] = _convert_value(field, got[k], notes)
    dropped = set(entry.get("rules") or {}) - set(LEAF_RULES)
    if dropped:
        notes.append(f"{field}: rules {', '.join(sorted(dropped))} have no native form; dropped")
    if got:
        _put(rules, path, got)


def _item_kinds() -> dict[str, Any]:
    return dict(getattr(normalize, "ITEM_KINDS", {}))


def _itemized(field: str, entry: dict[str, Any], defaults: dict[str, Any], rules: dict[str, Any],
              notes: list[str]) -> None:
    kind = _item_kinds()[field]
    path = tuple(str(p) for p in kind.target)
    body: dict[str, Any] = {}
    instances, locked, attributes = [], [], {}
    for label, item in (entry.get("items") or {}).items():
        value = _unwrap((item or {}).get("value")) if isinstance(item, dict) else item
        members = _members(kind, value, notes, field)
        if label == "DEFAULTS":
            attributes.update({k: v for k, v in members.items() if k != kind.key})
            continue
        if kind.label_is_key:
            members.setdefault(kind.key, label)
        instances.append(members)
        item_rules = (item or {}).get("rules") or {} if isinstance(item, dict) else {}
        if _unwrap(item_rules.get("canRemove")) is False:
            locked.append(members.get(kind.key, label))
        if _unwrap(item_rules.get("canEdit")) is False:
            notes.append(f'{field}: item "{label}" canEdit: false has no per-instance native form; dropped')
    if instances:
        body["instances"] = instances
    if attributes:
        body["attributes"] = attributes
    if body:
        _put(defaults, path, body)
    _item_rules(field, entry, kind, path, rules, locked, notes)


def _members(kind: Any, value: Any, notes: list[str], field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        return {kind.scalar: value} if kind.scalar else {}
    out: dict[str, Any] = {}
    for member, raw in value.items():
        target = kind.members.get(member)
        if target is None:
            notes.append(f"{field}: member {member} has no native form; dropped")
            continue
        try:
            converted = target[1](_unwrap(raw))
        except Exception:  # noqa: BLE001 - keep what was written, the policy check reports it
            converted = _unwrap(raw)
        sub = out
        for part in target[0][:-1]:
            sub = sub.setdefault(str(part), {})
        sub[str(target[0][-1])] = converted
    return out


def _item_rules(field: str, entry: dict[str, Any], kind: Any, path: tuple[str, ...], rules: dict[str, Any],
                locked: list[Any], notes: list[str]) -> None:
    body: dict[str, Any] = {}
    top = {k: _unwrap(v) for k, v in (entry.get("rules") or {}).items()}
    instances: dict[str, Any] = {}
    if top.get("canAdd") is False:
        instances["canAdd"] = False
    if locked:
        instances["locked"] = locked
    if instances:
        body["instances"] = instances
    if top.get("required") is True:
        body["required"] = True
    attributes: dict[str, Any] = {}
    for member, member_rules in (entry.get("itemRules") or {}).items():
        if field == "volumes" and member == "nfsServer" and _unwrap((member_rules or {}).get("required")) is True:
            notes.append("volumes: itemRules.nfsServer.required (Run:ai v1's \"no host paths\") became "
                         "storage.hostPath instances.canAdd: false")
            body.setdefault("instances", {})["canAdd"] = False
            continue
        target = kind.members.get(member)
        if target is None or not isinstance(member_rules, dict):
            notes.append(f"{field}: itemRules for {member} have no native member; dropped")
            continue
        got = {k: _unwrap(v) for k, v in member_rules.items() if k in LEAF_RULES}
        sub = attributes
        for part in target[0][:-1]:
            sub = sub.setdefault(str(part), {})
        sub[str(target[0][-1])] = got
    if attributes:
        body["attributes"] = attributes
    if body:
        _put(rules, path, body)
