"""Policy documents read and checked against the workload field tree.

Errors, each located in the policy file: an unknown field, a field that does not exist for
the policy's workload types, a rule that does not fit the field's type (``min`` on a
boolean), a bad rule argument, a default of the wrong type, a default that breaks its own
policy's rule, an unknown scope or imposed asset.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .. import quantity
from ..merge import ITEM_KEYS, SECTIONS, dotted, tag
from ..model import WORKLOAD_KINDS, Data, Doc, Leaf, TaggedSpec
from ..problems import Problem
from ..repo import Repo, suggest
from .body import ATTR, LEVELS, PolicyBody, Setting
from .fields import FieldInfo, FPath, field_tree, keyed_instance
from .rules import INSTANCE_RULES, ORDER, RULES, Subject, check_arg

DocPath = tuple[str | int, ...]
_TYPE_OK = {
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "quantity": lambda v: quantity.parse(v) is not None,
    "array": lambda v: isinstance(v, list),
}


class _Reader:
    """Reads one Policy document into a PolicyBody, collecting problems."""

    def __init__(self, body: PolicyBody, explicit: bool) -> None:
        self.body, self.explicit = body, explicit
        self.problems: list[Problem] = []
        self.tree = field_tree()

    def problem(self, docpath: DocPath, code: str, message: str, key: bool = False) -> None:
        line, col = self.body.doc.loc(docpath, key=key)
        self.problems.append(Problem(self.body.doc.file, line, col, code, message,
                                     field=".".join(str(p) for p in docpath)))

    def child(self, parent: FPath, name: str, docpath: DocPath) -> FieldInfo | None:
        """The field ``parent.name``, or None after reporting why it cannot be used."""
        info = self.tree.get(parent + (name,))
        if info is None:
            choices = list(self.tree[parent].children) if parent in self.tree else []
            where = f" in {dotted(parent)}" if parent else ""
            self.problem(docpath, "policy.unknown-field",
                         f'unknown field "{name}"{where}' + suggest(name, choices), key=True)
            return None
        types = self.body.types
        missing = sorted(types - info.types)
        if (self.explicit and missing) or not (types & info.types):
            self.problem(docpath, "policy.field-type",
                         f"{dotted(parent + (name,))} does not exist for {', '.join(missing or sorted(types))}",
                         key=True)
            return None
        return info

    # ------------------------------------------------------------------ the field tree

    def walk(self, tree: _Section, node: Data, fpath: FPath, docpath: DocPath, attr: FPath | None = None) -> None:
        """Down ``node`` (the ``defaults`` or ``rules`` tree at ``fpath``) to its leaves and itemized
        fields; a member of an itemized field (under ``attr``) is stored under its ``attributes``."""
        if not isinstance(node, dict):
            self.problem(docpath, tree.code, f"{dotted(fpath) or tree.name} must be a map")
            return
        for name, value in node.items():
            info = self.child(fpath, name, docpath + (name,))
            if info is None:
                continue
            path, dpath = fpath + (name,), docpath + (name,)
            if info.kind == "object":
                self.walk(tree, value, path, dpath, attr)
            elif info.kind == "itemized" and attr is None:
                tree.itemized(self, value, path, dpath)
            else:
                store = (attr + (ATTR,) + path[len(attr):]) if attr is not None else path
                tree.leaf(self, value, info, path, store, dpath)

    # ------------------------------------------------------------------ defaults

    def leaf_default(self, value: Data, info: FieldInfo, path: FPath, store: FPath, dpath: DocPath) -> None:
        if self.value_ok(value, info, path, dpath):
            self.body.defaults[store] = Setting(value, self.body.origin(dpath))

    def value_ok(self, value: Data, info: FieldInfo, path: FPath, dpath: DocPath) -> bool:
        test = _TYPE_OK.get(info.kind)
        if test is not None and not test(value):
            self.problem(dpath, "policy.bad-default", f"default {dotted(path)}: {value!r} is not a {info.kind}")
            return False
        if info.enum and value not in info.enum:
            self.problem(dpath, "policy.bad-default",
                         f"default {dotted(path)}: {value!r} is not one of {', '.join(map(str, info.enum))}")
            return False
        return True

    def itemized_default(self, node: Data, path: FPath, dpath: DocPath) -> None:
        if not isinstance(node, dict) or set(node) - {"instances", ATTR}:
            self.problem(dpath, "policy.bad-default",
                         f"default {dotted(path)} is itemized: write {{instances: [...], attributes: {{...}}}}")
            return
        if ATTR in node:
            self.walk(_DEFAULTS, node[ATTR], path, dpath + (ATTR,), attr=path)
        items = node.get("instances", [])
        if not isinstance(items, list):
            self.problem(dpath + ("instances",), "policy.bad-default", "instances must be a list")
            return
        key = ITEM_KEYS[path[1:] if path[0] in SECTIONS else path]
        tagged = []
        for i, item in enumerate(items):
            ipath = dpath + ("instances", i)
            item = keyed_instance(path, item)
            if not isinstance(item, dict) or key not in item:
                self.problem(ipath, "policy.bad-default", f"each instance of {dotted(path)} needs its key {key!r}")
                continue
            b = self.body
            probe = _Reader(PolicyBody(b.name, b.doc, b.level, b.scope, b.types), self.explicit)
            probe.walk(_DEFAULTS, item, path, ipath, attr=path)  # checks member names and types
            self.problems.extend(probe.problems)
            if not probe.problems:
                tagged.append(tag(item, self.body.origin(ipath).source(), (), self.body.doc, ipath))
        self.body.instances[path] = tagged

    # ------------------------------------------------------------------ rules

    def leaf_rule(self, value: Data, info: FieldInfo, path: FPath, store: FPath, dpath: DocPath) -> None:
        """The rules of one field, named where they are stored (``path`` is for defaults' messages)."""
        self.leaf_rules(value, info, store, dpath)

    def leaf_rules(self, node: Data, info: FieldInfo, store: FPath, dpath: DocPath,
                   allowed: tuple[str, ...] = ORDER) -> None:
        if not isinstance(node, dict):
            self.problem(dpath, "policy.bad-rule", f"rules of {dotted(store)} must be a map of rule: value")
            return
        for kind, arg in node.items():
            rule = RULES.get(kind) if kind in allowed else None
            if rule is None:
                self.problem(dpath + (kind,), "policy.unknown-rule",
                             f'unknown rule "{kind}" on {dotted(store)}' + suggest(kind, list(allowed)), key=True)
                continue
            if info.kind not in rule.kinds:
                fits = ", ".join(r for r in ORDER if info.kind in RULES[r].kinds)
                self.problem(dpath + (kind,), "policy.rule-type",
                             f"{kind} does not apply to {info.kind} field {dotted(store)} (it allows: {fits})",
                             key=True)
                continue
            why = check_arg(rule, arg, info.kind) or self.default_from_ok(kind, arg)
            if why:
                self.problem(dpath + (kind,), "policy.bad-rule", f"{kind} on {dotted(store)} {why}")
                continue
            self.body.rules.setdefault(store, {})[kind] = Setting(arg, self.body.origin(dpath + (kind,)))

    def default_from_ok(self, kind: str, arg: Data) -> str | None:
        if kind != "defaultFrom":
            return None
        name = arg.get("field") if isinstance(arg, dict) else None
        source = self.tree.get(tuple(str(name).split(".")))
        if source is None or source.kind not in ("integer", "number", "quantity"):
            return f'field "{name}" is not a numeric field of the workload'
        return None

    def itemized_rules(self, node: Data, path: FPath, dpath: DocPath) -> None:
        if not isinstance(node, dict):
            self.problem(dpath, "policy.bad-rule", f"rules of {dotted(path)} must be a map")
            return
        info = self.tree[path]
        for part, value in node.items():
            if part == "instances":
                self.leaf_rules(value, info, path, dpath + (part,), INSTANCE_RULES)
            elif part == ATTR:
                self.walk(_RULES, value, path, dpath + (ATTR,), attr=path)
            else:
                self.leaf_rules({part: value}, info, path, dpath, ("required",))


@dataclass(frozen=True)
class _Section:
    """A tree ``_Reader.walk`` reads: its name and problem code, what it does at a leaf and at an itemized field."""

    name: str
    code: str
    leaf: Callable[[_Reader, Data, FieldInfo, FPath, FPath, DocPath], None]
    itemized: Callable[[_Reader, Data, FPath, DocPath], None]


_DEFAULTS = _Section("defaults", "policy.bad-default", _Reader.leaf_default, _Reader.itemized_default)
_RULES = _Section("rules", "policy.bad-rule", _Reader.leaf_rule, _Reader.itemized_rules)


def read_policy(doc: Doc, repo: Repo) -> tuple[PolicyBody | None, list[Problem]]:
    """The checked body of one Policy document (None when its scope is unusable)."""
    spec = doc.data.get("spec") or {}
    scope = spec.get("scope") or {}
    level = next((i for i, k in enumerate(LEVELS) if k in scope), 0)
    name = "" if level == 0 else str(scope.get(LEVELS[level]))
    explicit = bool(spec.get("workloadTypes"))
    types = frozenset(spec.get("workloadTypes") or WORKLOAD_KINDS)
    body = PolicyBody(doc.name, doc, level, name, types)
    reader = _Reader(body, explicit)
    if not _scope_ok(reader, level, name, repo):
        return None, reader.problems
    reader.walk(_DEFAULTS, spec.get("defaults") or {}, (), ("spec", "defaults"))
    reader.walk(_RULES, spec.get("rules") or {}, (), ("spec", "rules"))
    _imposed(reader, spec.get("imposedAssets") or [], repo)
    _own_rules(reader)
    return body, reader.problems


def _scope_ok(reader: _Reader, level: int, name: str, repo: Repo) -> bool:
    if level == 0:
        return True
    known = sorted(repo.by_kind.get("Department", {})) if level == 1 else sorted(repo.projects)
    if name in known:
        return True
    what = LEVELS[level]
    reader.problem(("spec", "scope", what), "policy.unknown-scope",
                   f'{what} "{name}" does not exist' + suggest(name, known))
    return False


def _imposed(reader: _Reader, names: list[Data], repo: Repo) -> None:
    for i, name in enumerate(names):
        doc = repo.get("DataSource", str(name))
        dpath = ("spec", "imposedAssets", i)
        if doc is None:
            reader.problem(dpath, "policy.unknown-asset",
                           f'imposed DataSource "{name}" not found' + suggest(str(name), repo.names("DataSource")))
            continue
        spec = doc.data.get("spec") or {}
        if any(isinstance(v, dict) and (v.get("secretName") or v.get("accessKeySecret")) for v in spec.values()):
            reader.problem(dpath, "policy.imposed-credential",
                           f'DataSource "{name}" uses a credential; imposed assets may not')
            continue
        reader.body.imposed.append(Setting(str(name), reader.body.origin(dpath)))


def _own_rules(reader: _Reader) -> None:
    """A default must pass the rules of its own policy; one that does not is reported and dropped."""
    body = reader.body
    for path, setting in sorted(body.defaults.items()):
        if not _judge_default(reader, path, setting.value, ("spec", "defaults", *path)):
            del body.defaults[path]
    for path, items in body.instances.items():
        good = []
        for i, item in enumerate(items):
            ok = True
            for member, leaf in _leaves(item):
                dpath: DocPath = ("spec", "defaults", *path, "instances", i, *member)
                ok = _judge_default(reader, path + (ATTR,) + member, leaf, dpath) and ok
            if ok:
                good.append(item)
        body.instances[path] = good


def _judge_default(reader: _Reader, path: FPath, value: object, dpath: DocPath) -> bool:
    rules = reader.body.rules.get(path)
    if not rules:
        return True
    ok = True
    info = reader.tree.get(path) or _member_info(reader, path)
    args = {k: s.value for k, s in rules.items()}
    subject = Subject(kind=info.kind if info else "any", path=dotted(path), rules=args)
    for kind in ("min", "max", "step", "options"):
        judge = RULES[kind].judge
        why = judge(value, args[kind], subject) if kind in args and judge else None
        if why:
            where = rules[kind].origin.where()
            reader.problem(dpath, "policy.default-breaks-rule",
                           f"default {dotted(path)}: {why} ({kind} in {where})")
            ok = False
    return ok


def _member_info(reader: _Reader, path: FPath) -> FieldInfo | None:
    i = path.index(ATTR)
    return reader.tree.get(path[:i] + path[i + 1:])


def _leaves(item: TaggedSpec, prefix: FPath = ()) -> list[tuple[FPath, object]]:
    out: list[tuple[FPath, object]] = []
    for k, v in item.items():
        if isinstance(v, Leaf):
            out.append((prefix + (k,), v.value))
        elif isinstance(v, dict):
            out.extend(_leaves(v, prefix + (k,)))
    return out
