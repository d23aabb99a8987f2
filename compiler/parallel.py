"""Data-parallel runs for large repositories: a helper that the pipeline calls.

``partitioned(first, rest, files, jobs)`` splits the sorted files into a small warm-up slice,
which the calling process runs itself with ``first`` (so that the forked workers inherit
compiled validators), and ``jobs`` round-robin partitions of the others, which worker processes
run with ``rest``. It knows nothing of the stages: compiler.pipeline gives it the work and
merges what comes back (a test holds the output to the same bytes as a sequential build).
"""
from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from typing import TypeVar

#: below this many workload files a sequential build is faster than starting workers
PARALLEL_MIN = 3000
WARMUP = 16

First = TypeVar("First")
Rest = TypeVar("Rest")


def default_jobs() -> int:
    env = os.environ.get("WLC_JOBS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    return min(os.cpu_count() or 1, 8)


def partitions(files: list[str], jobs: int) -> list[list[str]]:
    """Deterministic round-robin split of the (sorted) files."""
    return [files[i::jobs] for i in range(jobs)]


def partitioned(first: Callable[[list[str]], First], rest: Callable[[list[str]], Rest],
                files: list[str], jobs: int) -> tuple[First, list[Rest]]:
    """``first`` of the warm-up slice (here), and ``rest`` of each partition (in ``jobs``
    forked processes; ``rest`` and its results must pickle)."""
    ordered = sorted(files)
    warm, others = ordered[:WARMUP], ordered[WARMUP:]
    head = first(warm)
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(jobs) as pool:
        tail = pool.map(rest, partitions(others, jobs))
    return head, tail
