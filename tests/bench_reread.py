"""Benchmark: what re-reading every emitted file costs, against the build itself (not a test).

    python tests/bench_reread.py                 # N = 1000 and 10000
    python tests/bench_reread.py --sizes 500 --repeat 3

For N synthetic workloads (tests/bench_build.py's generator), one sequential build (pipeline,
render, write) is timed, then the re-read check alone: every workload file parsed back with
yaml.CSafeLoader and compared, types included, with the objects that were verified
(compiler.yamlout.reread_mismatch). Printed: both times and their ratio. The build time printed
here excludes the re-read (it is subtracted when the build already runs it).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from compiler import emit, outdir, pipeline, yamlout
from tests.bench_build import make_repo


def measure(n: int) -> tuple[float, float, int]:
    """(build seconds without the re-read, re-read seconds, bytes re-read) for one build of N workloads."""
    calls: list[float] = []
    real = yamlout.reread_mismatch

    def timed(objects: list[dict[str, object]], docs: list[str]) -> str | None:
        t0 = time.perf_counter()
        try:
            return real(objects, docs)
        finally:
            calls.append(time.perf_counter() - t0)

    setattr(emit, "reread_mismatch", timed)  # noqa: B010 - counted when the build runs it
    try:
        with tempfile.TemporaryDirectory() as tmp:
            repo, out = Path(tmp) / "repo", Path(tmp) / "out"
            repo.mkdir()
            make_repo(repo, n)
            t0 = time.perf_counter()
            res = pipeline.build(repo, jobs=1)
            files = res.files
            outdir.publish(out, {"base": files})
            build = time.perf_counter() - t0
            assert res.ok, [p.text() for p in res.problems][:3]
            in_build = sum(calls)
            if not calls:  # the build does not re-read: time the check on what it emitted
                for b in res.bundles:
                    timed(b.objects, b.docs)
            size = sum(len(t.encode()) for rel, t in files.items() if rel.endswith(".yaml"))
            return build - in_build, sum(calls), size
    finally:
        setattr(emit, "reread_mismatch", real)  # noqa: B010


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    ap.add_argument("--repeat", type=int, default=1, help="runs per size; the median ratio is printed")
    args = ap.parse_args()
    for n in args.sizes:
        runs = sorted((measure(n) for _ in range(args.repeat)), key=lambda r: r[1] / r[0])
        build, reread, size = runs[len(runs) // 2]
        print(f"N={n:>6}: build {build:.2f} s (sequential), re-read {reread:.2f} s of {size / 1e6:.1f} MB "
              f"({size / 1e6 / reread:.1f} MB/s): +{100 * reread / build:.1f}% of the build")


if __name__ == "__main__":
    main()
