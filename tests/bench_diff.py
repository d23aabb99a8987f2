"""Benchmark: ``wlc diff`` on N synthetic workloads with one workload file changed, beside one
build of the same repository in the same run (not a timed test).

    python tests/bench_diff.py                 # N = 1000 and 10000
    python tests/bench_diff.py --sizes 500 --stages

The repository is tests/bench_build.py's (the examples' organisation, assets and workloads
cycled), committed with the real git; the head is the working tree with one image changed.
``--repeat K`` times the build and the diff K times, one after the other, and reports each
pair's ratio (the machine's load changes between runs); ``--stages`` adds one more diff, in one
process (``--jobs 1``), timed by stage: the base's checkout (``git archive``, ``gitrev.checkout``),
the head's parse and schema check, the base's stages 1-7 (``pending``, on the head's parses), the head's build, the base's
stages 8-10 from shared results (``finish``), compare, render. ``WLC_DIFF_SHARE=0`` times the
diff without any sharing.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from compiler import diff as diffs
from compiler import gitrev, inputs, pipeline
from compiler.cli import main
from compiler.diff import builds
from tests.bench_build import make_repo


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), "-c", "user.name=b", "-c", "user.email=b@example.com", *args],
                   check=True, capture_output=True)


def bench(n: int, jobs: int, repeat: int, stages: bool) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="wlc-bench-diff-") as tmp:
        root = Path(tmp) / "repo"
        root.mkdir()
        make_repo(root, n)
        git(root, "init", "-q", "-b", "main")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "base")
        changed = min((root / "examples" / "workloads").glob("*/w00003.yaml"))
        changed.write_text(changed.read_text().replace("image: ", "image: example.com/changed-", 1))
        rows = [_pair(root, n, jobs) for _ in range(repeat)]
        if stages:
            rows.append(_stages(root))
    return rows


def _cpu() -> float:
    """CPU seconds of this process and of its ended children (the workers of a parallel build,
    the diff's forked process): on a loaded machine their ratio varies less than wall time."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def _pair(root: Path, n: int, jobs: int) -> dict[str, Any]:
    start, cpu = time.perf_counter(), _cpu()
    pipeline.build(root, None, jobs)
    build, build_cpu = time.perf_counter() - start, _cpu() - cpu
    start, cpu = time.perf_counter(), _cpu()
    result = CliRunner().invoke(main, ["diff", "--repo", str(root), "--base", "HEAD", "--format", "json"])
    diff, diff_cpu = time.perf_counter() - start, _cpu() - cpu
    assert result.exit_code == 0, result.output
    assert '"changed": 1' in result.stdout, result.stdout[:2000]
    return {"workloads": n, "build_s": round(build, 2), "diff_s": round(diff, 2), "ratio": round(diff / build, 2),
            "build_cpu_s": round(build_cpu, 2), "diff_cpu_s": round(diff_cpu, 2),
            "cpu_ratio": round(diff_cpu / build_cpu, 2), "load": round(os.getloadavg()[0], 1)}


def _stages(root: Path) -> dict[str, Any]:
    """One diff in this process, one stage after the other (what ``--jobs 1`` does), timed."""
    times: dict[str, float] = {}

    cpu: dict[str, float] = {}

    def timed(name: str, call: Callable[[], Any]) -> Any:
        start, used = time.perf_counter(), _cpu()
        value = call()
        times[name], cpu[name] = round(time.perf_counter() - start, 2), round(_cpu() - used, 2)
        return value
    results, documents = builds.Results(), inputs.Documents()
    start, used = time.perf_counter(), _cpu()
    with gitrev.checkout(root, "HEAD") as base_root, inputs.sharing(documents):
        times["checkout (git archive)"], cpu["checkout (git archive)"] = (round(time.perf_counter() - start, 2),
                                                                          round(_cpu() - used, 2))
        base, head = builds.Revision(base_root, None, "base"), builds.Revision(root, None, "head")
        timed("head stages 1-3 (parse, validate)", lambda: pipeline.repository(root))
        waiting = timed("base stages 1-7 (shared parses)", lambda: builds.pending(None, base))
        head_side, after = timed("head build (stages 1-3 shared)", lambda: builds.build(None, head, results))
        base_side, before = timed("base 8-10 shared", lambda: builds.finish(waiting, results))
        overlay = timed("compare", lambda: diffs.compare("base", base_side, head_side, before, after))
        timed("render", lambda: diffs.render(diffs.Diff("base", "head", (overlay,)), "json"))
    start, used = time.perf_counter(), _cpu()
    pipeline.check(root, None, 1)
    times["one check, --jobs 1"], cpu["one check, --jobs 1"] = (round(time.perf_counter() - start, 2),
                                                                round(_cpu() - used, 2))
    return {"stages_s": times, "stages_cpu_s": cpu, "shared": results.hits, "built": results.misses,
            "parses shared": documents.hits, "parsed": documents.misses}


def run() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--jobs", type=int, default=0, help="jobs of the one build (default: the CPUs)")
    parser.add_argument("--repeat", type=int, default=1, help="build and diff this many times per size")
    parser.add_argument("--stages", action="store_true", help="also time one diff's stages (one process)")
    args = parser.parse_args()
    from compiler.cli.common import jobs_for as _jobs
    for n in args.sizes:
        for row in bench(n, _jobs(args.jobs or None), args.repeat, args.stages):
            print(row, flush=True)


if __name__ == "__main__":
    run()
