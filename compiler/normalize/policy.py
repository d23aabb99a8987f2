"""Run:ai v1 per-kind policies (``TrainingPolicy`` … ``InferencePolicy``) become native ``Policy``
documents for one workload type (docs/runai-import.md, "v1 policies").

The namespace gives the scope (``runai``: the cluster, ``runai-<project>``: that project). Each
field holds ``value`` (a default), ``rules``, and for itemized fields ``items`` and ``itemRules``.
Values are converted like a workload's (``workload.convert_spec``) and moved under
``spec.defaults``, itemized lists as ``{instances: [...]}`` and the ``DEFAULTS`` item as their
``attributes``; rules go to ``spec.rules`` (``policy_rules``).
"""
from __future__ import annotations

from ..model import Path
from ..shapes import YamlMap
from .builder import Out
from .fields import ITEM_KINDS, TOP_KEYS, allowed_fields, item_targets
from .items import mapping_members
from .metadata import project_of_namespace
from .order import order_spec
from .policy_rules import policy_rules
from .storage import NFS
from .values import unwrap_leaf
from .workload import convert_spec, not_allowed

#: v1 policy kind → the workload kind it governs (a native Policy's workloadTypes entry)
POLICY_KINDS = {"TrainingPolicy": "TrainingWorkload", "InteractivePolicy": "InteractiveWorkload",
                "DistributedPolicy": "DistributedWorkload", "InferencePolicy": "InferenceWorkload"}
#: the note the importer writes above an imported policy (v1 and wlc scope semantics differ)
POLICY_NOTE = (
    "Imported from a Run:ai v1 {kind}. In Run:ai v1 a project's policy of a kind REPLACES the\n"
    "cluster (namespace runai) one; in wlc policies of a scope chain MERGE: defaults, most specific\n"
    "wins; a field may have rules in only one policy of the chain. Review overlapping rules."
)
_POLICY_FIELD_KEYS = ("rules", "value", "itemRules", "items")


def convert_policy(out: Out, data: YamlMap, kind: str) -> None:
    """A v1 per-kind policy becomes a native Policy for that one workload type."""
    for key in data:
        if key not in TOP_KEYS:
            out.unknown((key,), TOP_KEYS)
    out.data["kind"] = "Policy"
    out.mark(("kind",), ("kind",))
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    assert isinstance(meta, dict)
    out.mark(("metadata",), ("metadata",))
    if isinstance(meta.get("name"), str) and meta["name"]:
        out.put(("metadata", "name"), meta["name"], ("metadata", "name"))
    else:
        out.problem(("metadata",), "runai.bad-value", "the policy has no metadata.name")
    spec = data.get("spec")
    if not isinstance(spec, dict):
        out.problem(("spec",), "runai.bad-value", "a Run:ai policy needs a spec mapping")
        spec = {}
    out.mark(("spec",), ("spec",))
    if not _policy_scope(out, meta):
        out.data.clear()
        return
    workload_kind = POLICY_KINDS[kind]
    out.put(("spec", "workloadTypes"), [workload_kind], ("kind",))
    fields = _policy_fields(out, spec, workload_kind)
    _policy_defaults(out, fields, workload_kind)
    policy_rules(out, fields)
    for part in ("defaults", "rules"):
        if part in out.data["spec"]:
            out.data["spec"][part] = order_spec(out.data["spec"][part])


def _policy_scope(out: Out, meta: YamlMap) -> bool:
    namespace = meta.get("namespace")
    path = ("metadata", "namespace")
    if namespace == "runai":
        out.put(("spec", "scope", "cluster"), True, path)
        return True
    project = project_of_namespace(namespace) if isinstance(namespace, str) else None
    if project is None:
        out.problem(path if namespace else ("metadata",), "runai.policy-scope",
                    "a Run:ai policy applies to the cluster (namespace runai) or to a project "
                    f"(namespace runai-<project>); cannot tell the scope of namespace {namespace!r}")
        return False
    out.put(("spec", "scope", "project"), project, path)
    return True


def _policy_fields(out: Out, spec: YamlMap, workload_kind: str) -> dict[str, YamlMap]:
    """The policy's fields that are mappings of rules/value/itemRules/items (others are problems)."""
    allowed = allowed_fields(workload_kind)
    fields: dict[str, YamlMap] = {}
    for name, node in spec.items():
        spath = ("spec", name)
        if name not in allowed:
            not_allowed(out, spath, workload_kind, allowed)
        elif not isinstance(node, dict):
            out.problem(spath, "runai.bad-value", f"{name}: expected rules, value, itemRules or items")
        else:
            for key in node:
                if key not in _POLICY_FIELD_KEYS:
                    out.unknown(spath + (key,), _POLICY_FIELD_KEYS, what="policy key")
            fields[name] = node
    return fields


# -- defaults: the policy's values converted like a workload's, then itemized lists become instances


def _policy_defaults(out: Out, fields: dict[str, YamlMap], workload_kind: str) -> None:
    synthetic: YamlMap = {}
    for name, node in fields.items():
        given = node.get("items")
        if isinstance(given, dict):
            items = {label: {"value": item["value"]} for label, item in given.items()
                     if label != "DEFAULTS" and isinstance(item, dict) and "value" in item}
            if items:
                synthetic[name] = {"items": items}
        elif "value" in node:
            synthetic[name] = {"value": node["value"]}
    tmp = Out(out.src, {"spec": {}})
    convert_spec(tmp, synthetic, workload_kind)
    out.problems.extend(tmp.problems)
    _move_defaults(out, tmp)
    for name, node in fields.items():
        given = node.get("items")
        defaults = given.get("DEFAULTS") if isinstance(given, dict) else None
        if isinstance(defaults, dict) and name in ITEM_KINDS:
            _item_attribute_defaults(out, name, defaults.get("value"), ("spec", name, "items", "DEFAULTS", "value"))


def _move_defaults(out: Out, tmp: Out) -> None:
    """spec.X → spec.defaults.X, with every itemized list wrapped as ``{instances: [...]}``."""
    lists = {("spec",) + kind.target for kind in ITEM_KINDS.values()} | {("spec",) + NFS}
    for path in sorted(tmp.locs, key=lambda p: (len(p), [str(x) for x in p])):
        if path[:1] != ("spec",) or len(path) < 2:
            continue
        new = _instances_path(("spec", "defaults") + path[1:], lists)
        out.locs.setdefault(new, tmp.locs[path])
        if path in tmp.key_locs:
            out.key_locs.setdefault(new, tmp.key_locs[path])
    spec = tmp.data["spec"]
    if not spec:
        return
    out.locs.setdefault(("spec", "defaults"), out.src.loc(("spec",)))
    out.data["spec"]["defaults"] = _wrap_instances(spec, ("spec",), lists)


def _instances_path(path: Path, lists: set[Path]) -> Path:
    for depth in range(2, len(path) + 1):
        if ("spec",) + path[2:depth] in lists:
            return path[:depth] + ("instances",) + path[depth:]
    return path


def _wrap_instances(node: object, path: Path, lists: set[Path]) -> object:
    if path in lists and isinstance(node, list):
        return {"instances": node}
    if isinstance(node, dict):
        return {k: _wrap_instances(v, path + (k,), lists) for k, v in node.items()}
    return node


def _item_attribute_defaults(out: Out, name: str, value: object, vpath: Path) -> None:
    """The DEFAULTS item: defaults for the members of every item (``attributes``)."""
    value, vpath = unwrap_leaf(value, vpath)
    if not isinstance(value, dict):
        out.problem(vpath, "runai.bad-value", f"{name}.DEFAULTS: expected a mapping of item fields")
        return
    kind = ITEM_KINDS[name]
    members = mapping_members(out, name, kind, value, vpath)
    for target in item_targets(name, value):
        base = ("spec", "defaults") + target + ("attributes",)
        for mpath, member, mvpath in members:
            if mpath != ("server",) or target[-1] == "nfs":
                out.put(base + mpath, member, mvpath)
