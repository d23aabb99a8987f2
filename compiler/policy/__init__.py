"""Stage 5, policy: administrator policies fill defaults and judge every workload.

``apply(repo, workloads)`` reads every ``Policy`` document (problems located in the policy
file), builds the effective policy per (project, workload type) once, fills each workload's
defaults (provenance ``Source("policy", name, file, line)``), then judges it against the
rules. A workload with a violation is not kept (it is not lowered); all violations of all
workloads are reported at once. Semantics: docs/policies.md.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..merge import ITEM_KEYS, SECTIONS
from ..model import WORKLOAD_KINDS, Doc, Path, ResolvedWorkload
from ..problems import Problem
from ..repo import Repo
from ..resolve import _data_source
from .body import PolicyBody, Setting
from .check import read_policy
from .defaults import exclusions, fill
from .effective import Cache, Effective
from .enforce import judge
from .fields import FPath


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


#: the overlay's spec patches, run on the defaulted specs before the rules judge them
Between = Callable[[list[ResolvedWorkload]], list[Problem]]
#: per workload, further documents whose ``exclude: true`` items count as exclusions:
#: (document, its patch data, the path of that data in the document)
ExtraSources = Callable[[ResolvedWorkload], list[tuple[Doc, Any, Path]]]


def apply(repo: Repo, workloads: list[ResolvedWorkload], between: Between | None = None,
          extra: ExtraSources | None = None) -> tuple[list[ResolvedWorkload], list[Problem]]:
    """Defaults filled, then ``between`` (overlay spec patches), then rules judged on the final
    specs; the workloads without violations, and every problem (DESIGN.md: policy defaults,
    overlay spec patches, policy rules)."""
    cache, problems = cache_for(repo) if repo.by_kind.get("Policy") else (None, [])
    imposed: dict[tuple[str, str], dict[FPath, dict[Any, Setting]]] = {}
    filled: list[tuple[ResolvedWorkload, Effective | None]] = []
    for rw in workloads:
        eff = cache.get(rw.project.name, rw.kind) if cache is not None else None
        if eff is None or eff.empty:
            filled.append((rw, None))
            continue
        key = (rw.project.name, rw.kind)
        if key not in imposed:
            imposed[key] = imposed_keys(eff, repo)
        spec, prov = fill(rw, eff, _exclusions(rw, eff, repo, imposed[key]), repo)
        filled.append((replace(rw, spec=spec, prov=prov), eff))
    alive = [rw for rw, _ in filled]
    if between is not None:
        problems.extend(between(alive))
    ids = {id(rw) for rw in alive}
    kept: list[ResolvedWorkload] = []
    for rw, eff in filled:
        if id(rw) not in ids:
            continue
        found: list[Problem] = []
        if eff is not None:
            imp = imposed[(rw.project.name, rw.kind)]
            found = judge(rw, eff, _exclusions(rw, eff, repo, imp, extra(rw) if extra else ()), imp)
        problems.extend(found)
        if not any(p.severity == "error" for p in found):
            kept.append(rw)
    return kept, problems


def _exclusions(rw: ResolvedWorkload, eff: Effective, repo: Repo, imposed: dict[FPath, dict[Any, Setting]],
                extra: Any = ()) -> Any:
    fields = set(eff.instances) | {p for p, r in eff.rules.items() if "locked" in r} | set(imposed)
    return exclusions(rw, repo, {f[1:] if f[0] in SECTIONS else f for f in fields}, extra) if fields else {}


def apply_one(rw: ResolvedWorkload, eff: Effective, repo: Repo,
              imposed: dict[FPath, dict[Any, Setting]] | None = None) -> tuple[ResolvedWorkload, list[Problem]]:
    """One workload with its effective policy applied, and its violations."""
    imp = imposed if imposed is not None else imposed_keys(eff, repo)
    excluded = _exclusions(rw, eff, repo, imp)
    spec, prov = fill(rw, eff, excluded, repo)
    done = replace(rw, spec=spec, prov=prov)
    return done, judge(done, eff, excluded, imp)


def imposed_keys(eff: Effective, repo: Repo) -> dict[FPath, dict[Any, Setting]]:
    """Per storage list, the instance keys that the effective policy's imposed assets add."""
    out: dict[FPath, dict[Any, Setting]] = {}
    for setting in eff.imposed:
        doc = repo.get("DataSource", setting.value)
        if doc is None:
            continue
        for listname, items in _data_source(doc)["storage"].items():
            field = ("storage", listname)
            for item in items:
                out.setdefault(field, {})[item.get(ITEM_KEYS[field])] = setting
    return out


__all__ = ["apply", "apply_one", "cache_for", "read_all"]
