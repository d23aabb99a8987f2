"""What the pipeline's entry points return (``Result``) and what its stages pass on inside a run:
``Specs`` (stages 1-7) and ``Part`` (what a worker of a parallel check sends back)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path as FsPath

from . import quota
from .emit import WorkloadBundle
from .model import ResolvedWorkload, Target
from .orgbundle import OrgFile
from .overlay import Chain, Excluded
from .problems import Problem
from .repo import Repo, WorkloadId


@dataclass(frozen=True)
class Result:
    """What one run produced; ``problems`` sorted by file and position, duplicates dropped."""

    root: FsPath
    overlay: str = "base"
    target: Target = field(default_factory=Target)
    problems: list[Problem] = field(default_factory=list)
    repo: Repo | None = None
    #: the final specs (empty after a parallel check: they stay in the workers)
    workloads: list[ResolvedWorkload] = field(default_factory=list)
    bundles: list[WorkloadBundle] = field(default_factory=list)
    #: how many workload documents the repository has (valid or not; compiler.inputs.count_workloads)
    counted: int = 0
    #: workloads the overlay's excludeWorkloads left out (listed in index.json)
    excluded: list[Excluded] = field(default_factory=list)
    #: the overlay folder's files (relative path → text); filled by ``build``
    files: dict[str, str] = field(default_factory=dict)
    #: the overlay chain of an overlay build (None for the base build or a broken chain)
    chain: Chain | None = None
    #: the organisation's files (projects, departments: namespaces, access, queues)
    organisation: list[OrgFile] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)


@dataclass(frozen=True)
class Specs:
    """Stages 1-7 of one run (or of one partition of a parallel run)."""

    repo: Repo | None
    overlay: str
    target: Target
    chain: Chain | None
    #: identities of every resolved workload (duplicates are found across partitions too)
    ids: list[WorkloadId]
    workloads: list[ResolvedWorkload]
    excluded: list[Excluded]
    problems: list[Problem]
    #: workload documents in the workload files read, and in the other files
    counted: int = 0
    strays: int = 0


@dataclass(frozen=True)
class Part:
    """What a worker of a parallel check sends back: sealed bundles (text), not objects."""

    problems: list[Problem]
    bundles: list[WorkloadBundle]
    ids: list[WorkloadId]
    excluded: list[Excluded]
    counted: int = 0
    #: what the partition's workloads ask of their projects' quota (the check spans partitions)
    demands: list[quota.Demand] = field(default_factory=list)


__all__ = ["Part", "Result", "Specs"]
