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

from .problems import Problem

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


def _identities(res: Any) -> list[tuple[str, str, str, int]]:
    return [(rw.namespace, rw.name, rw.file, rw.doc.loc(("metadata", "name"))[0]) for rw in res.workloads]


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
    first.problems = [p for r in results for p in r["problems"]] + _cross_duplicates(results)
    first.bundles = [b for r in results for b in r["bundles"]]
    first.workloads = []
    return pipeline._done(first)


def _cross_duplicates(results: list[dict[str, Any]]) -> list[Problem]:
    """Workloads with one name in one namespace, seen by different partitions."""
    ids = sorted((i for r in results for i in r["ids"]), key=lambda x: (x[2], x[3]))
    seen: dict[tuple[str, str], tuple[str, str, str, int]] = {}
    out: list[Problem] = []
    for ident in ids:
        key = (ident[0], ident[1])
        if key in seen:
            first = seen[key]
            out.append(Problem(ident[2], ident[3], 9, "repo.duplicate-name",
                               f'workload "{ident[1]}" in namespace {ident[0]} is defined twice '
                               f"(also in {first[2]}:{first[3]})", field="metadata.name"))
        else:
            seen[key] = ident
    return out
