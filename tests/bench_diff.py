"""Benchmark: ``wlc diff`` on N synthetic workloads with one workload file changed, beside one
build of the same repository in the same run (not a timed test).

    python tests/bench_diff.py                 # N = 1000 and 10000
    python tests/bench_diff.py --sizes 500

The repository is tests/bench_build.py's (the examples' organisation, assets and workloads
cycled), committed with the real git; the head is the working tree with one image changed.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from compiler import pipeline
from compiler.cli import main
from tests.bench_build import make_repo


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), "-c", "user.name=b", "-c", "user.email=b@example.com", *args],
                   check=True, capture_output=True)


def bench(n: int, jobs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="wlc-bench-diff-") as tmp:
        root = Path(tmp) / "repo"
        root.mkdir()
        make_repo(root, n)
        git(root, "init", "-q", "-b", "main")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "base")
        changed = min((root / "examples" / "workloads").glob("*/w00003.yaml"))
        changed.write_text(changed.read_text().replace("image: ", "image: example.com/changed-", 1))
        start = time.perf_counter()
        pipeline.build(root, None, jobs)
        build = time.perf_counter() - start
        start = time.perf_counter()
        result = CliRunner().invoke(main, ["diff", "--repo", str(root), "--base", "HEAD", "--format", "json"])
        diff = time.perf_counter() - start
        assert result.exit_code == 0, result.output
        assert '"changed": 1' in result.stdout, result.stdout[:2000]
    return {"workloads": n, "build_s": round(build, 2), "diff_s": round(diff, 2), "ratio": round(diff / build, 2)}


def run() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--jobs", type=int, default=0, help="jobs of the one build (default: the CPUs)")
    args = parser.parse_args()
    from compiler.cli.common import jobs_for as _jobs
    for n in args.sizes:
        print(bench(n, _jobs(args.jobs or None)), flush=True)


if __name__ == "__main__":
    run()
