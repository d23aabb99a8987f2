"""Data-parallel builds for large repositories.

The workload files are split round-robin into partitions; each partition runs the very same
pipeline (``pipeline.run``: every stage, in order) over all shared documents (projects,
assets, policies, overlays) plus its own workloads. The parent first builds a small warm-up
partition itself, so that the forked workers inherit compiled validators, then merges what the
workers return: problems (deduplicated), sealed bundles (text, not objects) and the workload
identities, to find a workload name defined twice across partitions. The output is the same
bytes as a sequential build (a test holds this).
"""
from __future__ import annotations

import multiprocessing
import os
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import TYPE_CHECKING

from .emit import WorkloadBundle, duplicate_objects
from .problems import Problem
from .repo import WorkloadId, duplicate_workloads

if TYPE_CHECKING:
    from .pipeline import Result

#: below this many workload files a sequential build is faster than starting workers
PARALLEL_MIN = 3000
WARMUP = 16


def default_jobs() -> int:
    env = os.environ.get("WLC_JOBS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    return min(os.cpu_count() or 1, 8)


def partitions(files: list[str], jobs: int) -> list[list[str]]:
    """Deterministic round-robin split of the (sorted) workload files."""
    return [files[i::jobs] for i in range(jobs)]


@dataclass
class Part:
    """What one partition sends back: text, not objects."""

    problems: list[Problem]
    bundles: list[WorkloadBundle]
    ids: list[WorkloadId]
    excluded: list[dict[str, str]]


def _part(res: Result, drop_objects: bool) -> Part:
    from .pipeline import workload_ids
    for b in res.bundles:
        b.seal(drop_objects=drop_objects)
    return Part(res.problems, res.bundles, workload_ids(res), res.excluded)


def _worker(args: tuple[FsPath, str | None, list[str]]) -> Part:
    from . import pipeline
    root, overlay, part = args
    return _part(pipeline.run(root, overlay=overlay, workload_files=set(part)), drop_objects=True)


def run_parallel(root: FsPath, overlay: str | None, workload_files: list[str], jobs: int) -> Result:
    """The Result of building ``root`` with ``jobs`` processes."""
    from . import pipeline
    files = sorted(workload_files)
    warm, rest = files[:WARMUP], files[WARMUP:]
    first = pipeline.run(root, overlay=overlay, workload_files=set(warm))
    parts = [_part(first, drop_objects=False)]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(jobs) as pool:
        parts += pool.map(_worker, [(root, overlay, part) for part in partitions(rest, jobs)])
    first.bundles = [b for r in parts for b in r.bundles]
    ids = [i for r in parts for i in r.ids]
    first.problems = ([p for r in parts for p in r.problems] + duplicate_workloads(ids)
                      + duplicate_objects(first.bundles))
    first.excluded = [e for r in parts for e in r.excluded]
    first.workloads = []
    first.counted = len(ids)
    first.workload_files = None
    return pipeline._done(first)
