"""Both builds of one overlay, for the comparison, computing each workload once when its inputs
are the same in both revisions (compiler/buildcache.py), and reading each file once when its
bytes are the same at the same path (``inputs.sharing``).

The head's files are parsed and validated first (``_preload``). Then the base runs the pipeline
with a ``Deferred``: stages 1-7 (taking the head's parses of every file it has unchanged), the
organisation and the quota check, and for each workload only the key of its inputs and the
inputs pickled. The head runs stages 1-7 the same way, keeping its resolved workloads, and
stages 8-10 of those in ``jobs`` forked workers (``_bundle_all``), which send back the sealed
bundles, their keys and their GPU terms. Then ``finish`` takes each base workload's stages 8-10
from the head's results when the key is known and builds it otherwise, and runs the checks
across bundles (``emit.duplicate_objects``). With ``jobs`` ≥ 2 the base's part runs in a forked
process beside the head (it sends back problems, keys and pickled inputs only). A diff then
costs about one build: the base's stages 1-7 run beside it on the head's parses, and only the
workloads whose inputs changed are lowered twice. ``WLC_DIFF_SHARE=0`` turns every sharing off
(the tests hold the output to the same bytes either way). The revisions are folders here:
compiler/gitrev.py checks them out.
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path as FsPath

from .. import gcpause, inputs, pipeline
from ..buildcache import Built, Bundler, Deferred, Record, Shared
from ..emit import WorkloadBundle, duplicate_objects
from ..model import ResolvedWorkload, Target
from ..overlay import Chain
from ..problems import ConfigError, Problem, sort_problems
from . import cluster
from .compare import compare
from .model import OverlayDiff, Side
from .snapshot import Build, SpecView

#: below this many workloads the head's stages 8-10 run in this process (forking costs more)
PARALLEL_MIN = 500


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


@dataclass
class Results(Shared):
    """The head's stage 8-10 results, and the GPU terms of each bundle whose objects were
    dropped (by id: the bundle is kept alive by ``results``)."""

    terms: dict[int, cluster.Terms] = field(default_factory=dict)


@dataclass
class Skipped(Shared):
    """Stands in for ``Shared`` in the head's ``pipeline.check``: no workload is bundled there
    (``_bundle_all`` bundles the resolved workloads the result keeps)."""

    def bundle(self, rw: ResolvedWorkload, target: Target, chain: Chain | None, build: Bundler) -> Built:
        return None, []


def sharing() -> bool:
    """Whether the builds share parses and results (``WLC_DIFF_SHARE=0``: not at all)."""
    return os.environ.get("WLC_DIFF_SHARE", "1") != "0"


def compare_builds(name: str | None, base: Revision, head: Revision, jobs: int = 1,
                   documents: inputs.Documents | None = None) -> OverlayDiff:
    """The diff of overlay ``name`` (None: the base build) from ``base`` to ``head``;
    ``documents``: the parses to share, the head's files already in them (the CLI reads them
    while git checks the base out, and shares them between overlays); made here when None."""
    share = sharing()
    preload = documents is None
    documents = (documents or inputs.Documents()) if share else None
    results = Results()
    with no_cycles(), inputs.sharing(documents):
        if documents is not None and preload:
            _preload(name, head)
        if jobs > 1 and "fork" in multiprocessing.get_all_start_methods():
            with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
                future = pool.submit(pending, name, base)
                head_side, after = build(name, head, results, jobs)
                waiting = future.result()
        else:
            head_side, after = build(name, head, results, 1)
            waiting = pending(name, base)
        base_side, before = finish(waiting, results if share else Results())
        return compare(name or "base", base_side, head_side, before, after)


def _preload(name: str | None, rev: Revision) -> None:
    """The head's files parsed and validated into the shared documents, before the base is
    forked (so that it inherits them)."""
    if rev.root.is_dir() and not (name is not None and rev.overlays is not None and name not in rev.overlays):
        pipeline.repository(rev.root)


#: the cyclic garbage collector is off between the builds too (as inside each: the head's results
#: stay alive, and full collections over them cost about a second at 10,000 workloads)
no_cycles = gcpause.paused


def build(name: str | None, rev: Revision, results: Results, jobs: int = 1) -> tuple[Side, Build | None]:
    """One revision's build in memory, up to stage 10, its stages 8-10 in ``jobs`` processes and
    kept in ``results`` (the comparison reads the sealed bundles, not the overlay folder's
    files); a build that cannot start is reported, not raised."""
    if name is not None and rev.overlays is not None and name not in rev.overlays:
        return Side(rev.ref, present=False), None
    try:
        res = pipeline.check(rev.root, name, 1, shared=Skipped())
    except ConfigError as err:
        return Side(rev.ref, ok=False, failure=str(err)), None
    bundles: list[WorkloadBundle] = []
    problems = list(res.problems)
    for key, (built, found), terms in _bundle_all(res.workloads, res.target, res.chain, jobs):
        if key in results.results:
            built, found = results.results[key]
            results.hits += 1
        else:
            results.results[key] = (built, found)
            results.misses += 1
            if built is not None:
                results.terms[id(built)] = terms
        problems.extend(found)
        if built is not None:
            bundles.append(built)
    specs = {(rw.namespace, rw.name): SpecView(rw.file, rw.spec, rw.prov, rw.labels, rw.annotations)
             for rw in res.workloads}
    return _built(rev.ref, problems, bundles, specs, res.target, results)


Bundled = tuple[bytes, Built, cluster.Terms]
#: the workloads, target and chain the forked workers of ``_bundle_all`` share (set before forking)
_WORK: list[tuple[list[ResolvedWorkload], Target, Chain | None]] = []


def _bundle_all(workloads: list[ResolvedWorkload], target: Target, chain: Chain | None,
                jobs: int) -> list[Bundled]:
    """Stages 8-10 of each workload, in order: its key, its result (the bundle sealed, its
    objects dropped) and its GPU terms; for many workloads in ``jobs`` processes, this one and
    ``jobs`` - 1 forked ones."""
    if jobs < 2 or len(workloads) < PARALLEL_MIN:
        return _bundle_part(workloads, target, chain)
    _WORK[:] = [(workloads, target, chain)]
    try:
        with multiprocessing.get_context("fork").Pool(jobs - 1) as pool:
            others = pool.map_async(_bundle_slice, [(i, jobs) for i in range(1, jobs)])
            parts = [_bundle_slice((0, jobs)), *others.get()]  # this process takes the first share
    finally:
        _WORK.clear()
    out: list[Bundled | None] = [None] * len(workloads)
    for i, part in enumerate(parts):
        out[i::jobs] = part
    return [b for b in out if b is not None]


def _bundle_slice(where: tuple[int, int]) -> list[Bundled]:
    """A worker's share: every ``step``-th workload from ``start``."""
    start, step = where
    workloads, target, chain = _WORK[0]
    return _bundle_part(workloads[start::step], target, chain)


def _bundle_part(workloads: list[ResolvedWorkload], target: Target, chain: Chain | None) -> list[Bundled]:
    keys, out = Shared(), []
    for rw in workloads:
        built, found = pipeline.bundle_workload(rw, target, chain)
        terms: cluster.Terms = []
        if built is not None:
            built.seal()
            terms = cluster.gpu_terms(built, target.node_pool_label)
            built.seal(drop_objects=True)
        out.append((keys.record(rw, target, chain)[0], (built, found), terms))
    return out


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


def finish(waiting: Pending, results: Results) -> tuple[Side, Build | None]:
    """The build ``waiting`` stands for: each workload's stages 8-10 from ``results`` or built,
    then the checks across bundles; the same bundles and problems as ``pipeline.check``."""
    if not waiting.build:
        return waiting.side, None
    bundles: list[WorkloadBundle] = []
    specs: dict[tuple[str, str], SpecView] = {}
    problems = list(waiting.problems)
    for record in waiting.records:
        (built, found), rw = results.take(record, waiting.target, waiting.chain, pipeline.bundle_workload)
        problems.extend(found)
        if built is not None:
            bundles.append(built)
        if rw is not None:  # built here: the comparison may ask why it changed
            specs[(rw.namespace, rw.name)] = SpecView(rw.file, rw.spec, rw.prov, rw.labels, rw.annotations)
    return _built(waiting.side.ref, problems, bundles, specs, waiting.target, results)


def _built(ref: str, problems: list[Problem], bundles: list[WorkloadBundle], specs: dict[tuple[str, str], SpecView],
           target: Target, results: Results) -> tuple[Side, Build]:
    """The side and the build of one revision: the checks across its bundles added."""
    problems = sort_problems(problems + duplicate_objects(bundles))
    gpus = cluster.gpu_totals(bundles, target.node_pool_label, results.terms)
    return _side(ref, problems), Build({(b.namespace, b.name): b for b in bundles}, specs, gpus)


def _side(ref: str, problems: list[Problem]) -> Side:
    errors = tuple(p for p in problems if p.severity == "error")
    return Side(ref, ok=not errors, errors=errors)
