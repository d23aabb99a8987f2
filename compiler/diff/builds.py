"""Both builds of one overlay, for the comparison, computing each workload once when its inputs
are the same in both revisions (compiler/buildcache.py).

The head is built in full (``pipeline.check`` with a ``Shared``). The base runs the pipeline with
a ``Deferred`` instead: stages 1-7, the organisation and the quota check, and for each workload
only the key of its inputs and the inputs pickled; then ``finish`` takes each base workload's
stages 8-10 from the head's results when the key is known and builds it otherwise, and runs the
checks across bundles (``emit.duplicate_objects``). With ``concurrent`` the base's part runs in
a forked process while the head builds (it sends back problems, keys and pickled inputs only).
A diff then costs about one build: the base's stages 1-7 run beside it, and only the workloads
whose inputs changed are lowered twice. The revisions are folders here: compiler/gitrev.py
checks them out.
"""
from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path as FsPath

from .. import pipeline
from ..buildcache import Deferred, Record, Shared
from ..emit import WorkloadBundle, duplicate_objects
from ..model import Target
from ..overlay import Chain
from ..problems import ConfigError, Problem, sort_problems
from . import cluster
from .compare import compare
from .model import OverlayDiff, Side
from .snapshot import Build, SpecView, snapshot


@dataclass(frozen=True)
class Revision:
    """One side of a diff: its folder, its overlay names (None: not read, or no repository)
    and how it is named in the report."""

    root: FsPath
    overlays: set[str] | None
    ref: str


@dataclass(frozen=True)
class Pending:
    """A revision's build before stages 8-10: ``problems`` (none of stages 8-10 or of the
    checks across bundles), the target and chain, and each workload's ``Record``. ``build`` is
    False when there is nothing to finish (``side`` says why)."""

    side: Side
    build: bool = False
    problems: list[Problem] = field(default_factory=list)
    target: Target = field(default_factory=Target)
    chain: Chain | None = None
    records: list[Record] = field(default_factory=list)


def compare_builds(name: str | None, base: Revision, head: Revision, concurrent: bool = False,
                   shared: Shared | None = None) -> OverlayDiff:
    """The diff of overlay ``name`` (None: the base build) from ``base`` to ``head``."""
    shared = Shared() if shared is None else shared
    with _no_cycles():
        if concurrent and "fork" in multiprocessing.get_all_start_methods():
            with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
                future = pool.submit(pending, name, base)
                head_side, after = build(name, head, shared)
                waiting = future.result()
        else:
            head_side, after = build(name, head, shared)
            waiting = pending(name, base)
        base_side, before = finish(waiting, shared)
        return compare(name or "base", base_side, head_side, before, after)


@contextmanager
def _no_cycles() -> Iterator[None]:
    """The cyclic garbage collector is off between the builds too (as inside each: the head's
    results stay alive, and full collections over them cost about a second at 10,000 workloads)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def build(name: str | None, rev: Revision, shared: Shared) -> tuple[Side, Build | None]:
    """One revision's build in memory, up to stage 10 (the comparison reads the sealed bundles,
    not the overlay folder's files); a build that cannot start is reported, not raised."""
    if name is not None and rev.overlays is not None and name not in rev.overlays:
        return Side(rev.ref, present=False), None
    try:
        res = pipeline.check(rev.root, name, 1, shared=shared)
    except ConfigError as err:
        return Side(rev.ref, ok=False, failure=str(err)), None
    return _side(rev.ref, res.problems), snapshot(res)


def pending(name: str | None, rev: Revision) -> Pending:
    """``rev``'s build up to the workloads' stages 8-10 (small enough to send between processes)."""
    if name is not None and rev.overlays is not None and name not in rev.overlays:
        return Pending(Side(rev.ref, present=False))
    deferred = Deferred()
    try:
        res = pipeline.check(rev.root, name, 1, shared=deferred)
    except ConfigError as err:
        return Pending(Side(rev.ref, ok=False, failure=str(err)))
    return Pending(Side(rev.ref), True, res.problems, res.target, res.chain, deferred.records)


def finish(waiting: Pending, shared: Shared) -> tuple[Side, Build | None]:
    """The build ``waiting`` stands for: each workload's stages 8-10 from ``shared`` or built,
    then the checks across bundles; the same bundles and problems as ``pipeline.check``."""
    if not waiting.build:
        return waiting.side, None
    bundles: list[WorkloadBundle] = []
    specs: dict[tuple[str, str], SpecView] = {}
    problems = list(waiting.problems)
    for record in waiting.records:
        (built, found), rw = shared.take(record, waiting.target, waiting.chain, pipeline.bundle_workload)
        problems.extend(found)
        if built is not None:
            bundles.append(built)
        if rw is not None:  # built here: the comparison may ask why it changed
            specs[(rw.namespace, rw.name)] = SpecView(rw.file, rw.spec, rw.prov, rw.labels, rw.annotations)
    problems = sort_problems(problems + duplicate_objects(bundles))
    gpus = cluster.gpu_totals(bundles, waiting.target.node_pool_label)
    return _side(waiting.side.ref, problems), Build({(b.namespace, b.name): b for b in bundles}, specs, gpus)


def _side(ref: str, problems: list[Problem]) -> Side:
    errors = tuple(p for p in problems if p.severity == "error")
    return Side(ref, ok=not errors, errors=errors)
