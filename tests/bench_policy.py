"""Benchmark: the cost of the policy stage. Builds N synthetic workloads (tests/bench_build.py's
mix of the examples) without policies, then with 20 policies (the 4 example ones and 16
generated ones over every scope), sequentially, best of ``--repeat`` runs each.

    python tests/bench_policy.py --n 10000
"""
from __future__ import annotations

import argparse
import inspect
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

SCOPES = ["cluster: true", "department: research", "department: product", "project: nlp",
          "project: vision", "project: recsys"]
RULES = ["backoffLimit: {max: 100}", "completions: {max: 1000}", "parallelism: {max: 1000}",
         "autoDeletionTimeAfterCompletionSeconds: {max: 604800}", "priorityClass: {required: false}",
         "workingDir: {required: false}"]


def synthetic(i: int) -> str:
    scope = SCOPES[i % len(SCOPES)]
    body = (f"apiVersion: wlc.dev/v1alpha1\nkind: Policy\nmetadata: {{name: bench-{i}}}\nspec:\n"
            f"  scope: {{{scope}}}\n  defaults:\n    annotations:\n      instances:\n"
            f"        - {{name: bench.example.com/p{i}, value: v{i}}}\n")
    if i < len(RULES):
        body += f"  rules:\n    {RULES[i]}\n"
    return body


def build_seconds(repo: Path, repeat: int) -> tuple[float, int]:
    from compiler import pipeline
    kwargs = {"jobs": 1} if "jobs" in inspect.signature(pipeline.build).parameters else {}
    best = float("inf")
    count = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = pipeline.build(repo, **kwargs)  # type: ignore[arg-type]
        best = min(best, time.perf_counter() - t0)
        errors = [p.text() for p in res.problems if p.severity == "error"]
        if errors:
            raise SystemExit(f"build failed: {errors[:3]}")
        count = len(res.bundles)
    return best, count


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    from tests.bench_build import make_repo
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        make_repo(repo, args.n)
        plain, count = build_seconds(repo, args.repeat)
        shutil.copytree(ROOT / "policies", repo / "policies")
        for i in range(16):
            (repo / "policies" / f"bench-{i:02d}.yaml").write_text(synthetic(i))
        with_policies, count2 = build_seconds(repo, args.repeat)
    assert count == count2 == args.n
    extra = (with_policies / plain - 1) * 100
    print(f"N={args.n}: without policies {plain:.2f} s, with 20 policies {with_policies:.2f} s "
          f"(+{extra:.1f}%)")


if __name__ == "__main__":
    main()
