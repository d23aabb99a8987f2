"""Stages 5 and 7, policy: administrator policies fill defaults, then judge the final specs.

``read(repo)`` reads every ``Policy`` document (problems located in the policy file) and builds
the effective policy of every (project, workload type) once. ``fill_defaults`` is stage 5: each
workload's spec with the defaults and imposed assets filled in (provenance
``Source("policy", name, file, line)``). The overlay's spec patches run between the two
(compiler.overlay). ``apply_rules`` is stage 7: the rules judge each final spec; a workload with
a violation is not kept (it is not lowered), and all violations are reported at once.
Semantics: docs/policies.md.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from ..model import ResolvedWorkload
from ..problems import Problem
from ..repo import Repo
from .defaults import fill
from .effective import Cache, Effective, cache_for, read_all
from .enforce import judge


@dataclass(frozen=True)
class Policies:
    """The effective policies of a repo (None: it has no Policy document)."""

    cache: Cache | None

    def of(self, rw: ResolvedWorkload) -> Effective | None:
        """The effective policy that applies to ``rw``; None when it says nothing."""
        if self.cache is None:
            return None
        eff = self.cache.get(rw.project.name, rw.kind)
        return None if eff.empty else eff


def read(repo: Repo) -> tuple[Policies, list[Problem]]:
    """The repo's policies, and the problems of its Policy documents."""
    if not repo.by_kind.get("Policy"):
        return Policies(None), []
    cache, problems = cache_for(repo)
    return Policies(cache), problems


def fill_defaults(policies: Policies, repo: Repo, workloads: list[ResolvedWorkload]) -> list[ResolvedWorkload]:
    """Stage 5: every workload with its effective policy's defaults and imposed assets filled in."""
    out: list[ResolvedWorkload] = []
    for rw in workloads:
        eff = policies.of(rw)
        if eff is not None:
            spec, prov = fill(rw, eff, repo)
            rw = replace(rw, spec=spec, prov=prov)
        out.append(rw)
    return out


def apply_rules(policies: Policies, workloads: list[ResolvedWorkload]) -> tuple[list[ResolvedWorkload], list[Problem]]:
    """Stage 7: the workloads whose final spec breaks no rule, and every violation."""
    kept: list[ResolvedWorkload] = []
    problems: list[Problem] = []
    for rw in workloads:
        eff = policies.of(rw)
        found = judge(rw, eff, policies.cache.imposed(eff)) if eff is not None and policies.cache else []
        problems.extend(found)
        if not any(p.severity == "error" for p in found):
            kept.append(rw)
    return kept, problems


__all__ = ["Policies", "apply_rules", "cache_for", "fill_defaults", "read", "read_all"]
