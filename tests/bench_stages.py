"""Micro-benchmarks of the two schema stages (figures, not a timed test).

    python tests/bench_stages.py

Prints input validation per document and output verification per object, warm, with the
`kubernetes_validate.validate()` call (the package's own API) measured in the same run as the
baseline.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from compiler import pipeline, verify
from compiler.load import parse_documents
from compiler.validate import validate_doc


def per_call(fn: object, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()  # type: ignore[operator]
    return (time.perf_counter() - start) / n


def main() -> None:
    text = (ROOT / "examples" / "workloads" / "nlp" / "llama-finetune.yaml").read_text()
    doc = parse_documents(text, "x.yaml")[0][0]
    validate_doc(doc)
    v = per_call(lambda: validate_doc(doc), 10_000)
    print(f"input validation: {v * 1e6:.1f} µs per workload document ({1 / v:,.0f} docs/s)")
    res = pipeline.build(ROOT)
    objs = [o for b in res.bundles for o in b.objects]
    verify.verify_objects(objs, "1.37")
    w = per_call(lambda: verify.verify_objects(objs, "1.37"), 50) / len(objs)
    print(f"output verification: {w * 1e6:.1f} µs per object over the {len(objs)} example objects")
    try:
        import kubernetes_validate
    except ImportError:
        return
    built_in = [o for o in objs if "." not in o["apiVersion"].split("/")[0]]
    k = per_call(lambda: [kubernetes_validate.validate(o, "1.37", strict=True) for o in built_in[:20]], 3) / 20
    print(f"kubernetes_validate.validate(): {k * 1e6:.0f} µs per object: wlc is {k / w:.0f}x faster")


if __name__ == "__main__":
    main()
