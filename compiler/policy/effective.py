"""The effective policy of a (project, workload type): the chain cluster → department → project.

Defaults may be set at several levels: the most specific wins; two policies of one level that
default the same field (or the same instance) are an error. A field may have rules in only
one policy of a chain: a second is an error naming both files and lines, and the first (the
least specific, then the first by file) keeps the field. Policies are taken in a fixed order
(level, file, document index), so the result never depends on the order files were read.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..assets import data_source_items
from ..merge import ITEM_KEYS, SECTIONS, dotted, items_of, leaf_at, merge_items
from ..model import WORKLOAD_KINDS, TaggedSpec
from ..problems import Problem
from ..repo import Repo
from .body import LEVELS, Origin, PolicyBody, Setting, info_of
from .check import read_policy
from .fields import FPath


@dataclass
class Effective:
    """The merged policy that judges one workload type in one project."""

    project: str
    kind: str
    defaults: dict[FPath, Setting] = field(default_factory=dict)
    instances: dict[FPath, list[TaggedSpec]] = field(default_factory=dict)
    rules: dict[FPath, dict[str, Setting]] = field(default_factory=dict)
    imposed: list[Setting] = field(default_factory=list)
    policies: list[PolicyBody] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.defaults or self.instances or self.rules or self.imposed)


def chain(bodies: list[PolicyBody], repo: Repo, project: str, kind: str) -> list[PolicyBody]:
    """The policies that apply to a workload type in a project, least specific first."""
    proj = repo.projects.get(project)
    department = proj.department if proj else ""
    wanted = {0: "", 1: department, 2: project}
    found = [b for b in bodies if kind in b.types and wanted[b.level] == b.scope
             and (b.level != 1 or department)]
    return sorted(found, key=lambda b: b.order)


def build(bodies: list[PolicyBody], project: str, kind: str) -> tuple[Effective, list[Problem]]:
    """Merge a chain (already ordered) into one effective policy."""
    eff = Effective(project, kind, policies=list(bodies))
    problems: list[Problem] = []
    instance_level: dict[tuple[FPath, object], Origin] = {}
    for body in bodies:
        for path, setting in body.defaults.items():
            if _applies(path, kind):
                _default(eff, path, setting, problems)
        for path, items in body.instances.items():
            if _applies(path, kind):
                _instances(eff, body, path, items, instance_level, problems)
        for path, kinds in body.rules.items():
            if _applies(path, kind):
                _rules(eff, path, kinds, problems)
        for setting in body.imposed:
            if setting.value not in [s.value for s in eff.imposed]:
                eff.imposed.append(setting)
    return eff, problems


def _applies(path: FPath, kind: str) -> bool:
    info = info_of(path)
    return info is not None and kind in info.types


def _problem(origin: Origin, code: str, message: str, path: FPath) -> Problem:
    return Problem(origin.file, origin.line, origin.col, code, message, field=dotted(path))


def _default(eff: Effective, path: FPath, setting: Setting, problems: list[Problem]) -> None:
    prev = eff.defaults.get(path)
    if prev is not None and prev.origin.level == setting.origin.level and prev.origin.policy != setting.origin.policy:
        problems.append(_problem(setting.origin, "policy.conflict-default",
                                 f"default {dotted(path)} is set by two {LEVELS[prev.origin.level]} policies: "
                                 f"{prev.origin.policy} ({prev.origin.where()}) and "
                                 f"{setting.origin.policy} ({setting.origin.where()})", path))
        return
    eff.defaults[path] = setting


def _instances(eff: Effective, body: PolicyBody, path: FPath, items: list[TaggedSpec],
               seen: dict[tuple[FPath, object], Origin], problems: list[Problem]) -> None:
    key = ITEM_KEYS[path[1:] if path[0] in SECTIONS else path]
    keep = []
    for item in items:
        leaf = leaf_at(item, key)
        origin = Origin(body.name, body.doc.file, leaf.source.line, 1, body.level)
        prev = seen.get((path, leaf.value))
        if prev is not None and prev.level == origin.level and prev.policy != origin.policy:
            problems.append(_problem(origin, "policy.conflict-default",
                                     f'default instance "{leaf.value}" of {dotted(path)} is set by two '
                                     f"{LEVELS[origin.level]} policies: {prev.policy} ({prev.where()}) and "
                                     f"{origin.policy} ({origin.where()})", path))
            continue
        seen[(path, leaf.value)] = origin
        keep.append(item)
    eff.instances[path] = items_of(merge_items(list(eff.instances.get(path, [])), list(keep), key, path))


def _rules(eff: Effective, path: FPath, kinds: dict[str, Setting], problems: list[Problem]) -> None:
    prev = eff.rules.get(path)
    if prev is None:
        eff.rules[path] = dict(kinds)
        return
    first = next(iter(prev.values())).origin
    for setting in kinds.values():
        o = setting.origin
        problems.append(_problem(o, "policy.conflict-rule",
                                 f"{dotted(path)} already has rules in policy {first.policy} ({first.where()}); "
                                 f"policy {o.policy} ({o.where()}) may not add more: a field has rules in "
                                 "only one policy of a chain", path))
        break


#: per storage list, the instance keys that imposed assets add → the imposing setting
Imposed = dict[FPath, dict[object, Setting]]


def imposed_keys(eff: Effective, repo: Repo) -> Imposed:
    """Per storage list, the instance keys that the effective policy's imposed assets add."""
    out: Imposed = {}
    for setting in eff.imposed:
        doc = repo.get("DataSource", str(setting.value))
        if doc is None:
            continue
        for listname, item in data_source_items(doc).items():
            fpath = ("storage", listname)
            out.setdefault(fpath, {})[item.get(ITEM_KEYS[fpath])] = setting
    return out


class Cache:
    """Effective policies per (project, type), built once; conflicts collected once."""

    def __init__(self, bodies: list[PolicyBody], repo: Repo) -> None:
        self.bodies = sorted(bodies, key=lambda b: b.order)
        self.repo = repo
        self.table: dict[tuple[str, str], Effective] = {}
        self.problems: set[Problem] = set()
        self._imposed: dict[tuple[str, str], Imposed] = {}

    def imposed(self, eff: Effective) -> Imposed:
        """``imposed_keys`` of ``eff``, computed once per (project, type)."""
        key = (eff.project, eff.kind)
        if key not in self._imposed:
            self._imposed[key] = imposed_keys(eff, self.repo)
        return self._imposed[key]

    def get(self, project: str, kind: str) -> Effective:
        key = (project, kind)
        if key not in self.table:
            eff, problems = build(chain(self.bodies, self.repo, project, kind), project, kind)
            self.table[key] = eff
            self.problems.update(problems)
        return self.table[key]


def read_all(repo: Repo) -> tuple[list[PolicyBody], list[Problem]]:
    """Every Policy document of the repo, read and checked."""
    bodies: list[PolicyBody] = []
    problems: list[Problem] = []
    for _, doc in sorted(repo.by_kind.get("Policy", {}).items()):
        body, found = read_policy(doc, repo)
        problems.extend(found)
        if body is not None:
            bodies.append(body)
    return bodies, problems


def cache_for(repo: Repo) -> tuple[Cache, list[Problem]]:
    """The effective-policy cache with every chain of the repo built (conflicts found once)."""
    bodies, problems = read_all(repo)
    cache = Cache(bodies, repo)
    for project in sorted(repo.projects):
        for kind in WORKLOAD_KINDS:
            cache.get(project, kind)
    return cache, problems + sorted(cache.problems)
