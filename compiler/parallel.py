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
from pathlib import Path as FsPath
from typing import Any

from .emit import duplicate_objects
from .repo import WorkloadId, duplicate_workloads

#: below this many workload files a sequential build is faster than starting workers
PARALLEL_MIN = 1000
WARMUP = 16


def default_jobs() -> int:
    env = os.environ.get("WLC_JOBS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    return min(os.cpu_count() or 1, 8)


def partitions(files: list[str], jobs: int) -> list[list[str]]:
    """Deterministic round-robin split of the (sorted) workload files."""
    return [files[i::jobs] for i in range(jobs)]


def _worker(args: tuple[FsPath, str | None, list[str]]) -> dict[str, Any]:
    from . import pipeline
    root, overlay, part = args
    res = pipeline.run(root, overlay=overlay, workload_files=set(part))
    for b in res.bundles:
        b.seal(drop_objects=True)
    return {"problems": res.problems, "bundles": res.bundles, "ids": _identities(res)}


def _identities(res: Any) -> list[WorkloadId]:
    from .pipeline import workload_ids
    return workload_ids(res)


def run_parallel(root: FsPath, overlay: str | None, workload_files: list[str], jobs: int) -> Any:
    """The Result of building ``root`` with ``jobs`` processes."""
    from . import pipeline
    files = sorted(workload_files)
    warm, rest = files[:WARMUP], files[WARMUP:]
    first = pipeline.run(root, overlay=overlay, workload_files=set(warm))
    for b in first.bundles:
        b.seal()
    results = [{"problems": first.problems, "bundles": first.bundles, "ids": _identities(first)}]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(jobs) as pool:
        results += pool.map(_worker, [(root, overlay, part) for part in partitions(rest, jobs)])
    first.bundles = [b for r in results for b in r["bundles"]]
    ids = [i for r in results for i in r["ids"]]
    first.problems = ([p for r in results for p in r["problems"]] + duplicate_workloads(ids)
                      + duplicate_objects(first.bundles))
    first.workloads = []
    first.counted = len(ids)
    return pipeline._done(first)
