"""Benchmark: build N synthetic workloads; print time and peak memory (not a timed test).

    python tests/bench_build.py                # N = 1000 and 10000, plus kustomize at 2000
    python tests/bench_build.py --sizes 500 --kustomize 0

Each size runs in a fresh subprocess so that its peak RSS is its own. The generated repo uses
the examples' organisation and assets, so the mix covers templates, assets, every storage and
scheduling feature the examples use. When `kubectl` is on PATH, `kubectl kustomize` is timed
over the very objects wlc emitted (one resources: entry per file) as a baseline.
"""
from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MIX = sorted((ROOT / "examples" / "workloads").glob("*/*.yaml"))


def make_repo(dest: Path, n: int) -> None:
    """Copy the examples' non-workload files, then N workloads cycling through the examples."""
    (dest / "wlc.yaml").write_text((ROOT / "wlc.yaml").read_text())
    for folder in ("org", "assets", "templates"):
        shutil.copytree(ROOT / "examples" / folder, dest / "examples" / folder)
    org = dest / "examples" / "org" / "organisation.yaml"  # N copies of the examples: quota is never the limit
    org.write_text(re.sub(r"gpuDevices: \d+", "gpuDevices: 100000", org.read_text()))
    texts = [(p.parent.name, p.read_text()) for p in MIX]
    for i in range(n):
        project, text = texts[i % len(texts)]
        name = f"w{i:05d}"
        body = _rename(text, name)
        out = dest / "examples" / "workloads" / project / f"{name}.yaml"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(body)


def _rename(text: str, name: str) -> str:
    """The example under a new name; the PVCs it creates get names of their own too."""
    text = re.sub(r"claimName: (\S+)", rf"claimName: {name}-\1", text)
    lines = text.splitlines()
    for j, line in enumerate(lines):
        if line.startswith("  name: "):
            old = line.split(": ", 1)[1]
            return "\n".join(lines[:j] + [f"  name: {name}"] + lines[j + 1:]).replace(old + "-", name + "-") + "\n"
    raise ValueError("no metadata.name")


JOBS = 1


def child(n: int, out: str) -> None:
    """Run inside the subprocess: generate, build, print JSON figures."""
    from compiler import outdir, pipeline
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        make_repo(repo, n)
        t0 = time.perf_counter()
        res = pipeline.build(repo, jobs=JOBS)
        outdir.publish(Path(out), {"base": res.files})
        elapsed = time.perf_counter() - t0
    errors = [p.text() for p in res.problems if p.severity == "error"][:5]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_mb = max(usage.ru_maxrss, children.ru_maxrss) / 1024
    cpu = usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime
    print(json.dumps({"n": n, "seconds": round(elapsed, 3), "peak_mb": round(peak_mb, 1), "cpu": round(cpu, 2),
                      "objects": sum(len(b.entries) for b in res.bundles), "errors": errors}))


def run_size(n: int, out: Path) -> dict[str, object]:
    """Peak RSS: the largest of the child and its workers (each process holds its share)."""
    proc = subprocess.run([sys.executable, __file__, "--child", str(n), "--out", str(out), "--jobs", str(JOBS)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{proc.stderr}")
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def kustomize_seconds(build: Path) -> float | None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return None
    files = sorted(str(p.relative_to(build)) for p in build.rglob("*.yaml"))
    (build / "kustomization.yaml").write_text("resources:\n" + "".join(f"- {f}\n" for f in files))
    t0 = time.perf_counter()
    subprocess.run([kubectl, "kustomize", str(build)], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    ap.add_argument("--kustomize", type=int, default=2000, help="size for the kustomize comparison (0: skip)")
    ap.add_argument("--jobs", type=int, default=0, help="worker processes (default: the CPU count; 1 = sequential)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per size; the median is printed (this machine is noisy)")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    global JOBS
    from compiler import parallel
    JOBS = args.jobs or parallel.default_jobs()
    if args.child is not None:
        child(args.child, args.out)
        return
    for n in args.sizes:
        runs = []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as out:
                runs.append(run_size(n, Path(out)))
        runs.sort(key=lambda r: float(r["seconds"]))  # type: ignore[arg-type]
        r = runs[len(runs) // 2]
        spread = f" (best {runs[0]['seconds']:.2f} s, worst {runs[-1]['seconds']:.2f} s of {len(runs)})" if len(runs) > 1 else ""
        print(f"N={n:>6}, jobs={JOBS}: build {r['seconds']:.2f} s wall median{spread}, {r['cpu']:.2f} s CPU incl. "
              f"generating, peak RSS {r['peak_mb']:.0f} MB (largest process), "
              f"{r['objects']} objects" + (f", ERRORS: {r['errors']}" if r["errors"] else ""))
    if args.kustomize:
        with tempfile.TemporaryDirectory() as out:
            r = run_size(args.kustomize, Path(out))
            k = kustomize_seconds(Path(out) / "base")
        if k is None:
            print(f"N={args.kustomize}: kubectl not found; no kustomize baseline")
        else:
            print(f"N={args.kustomize}: wlc build {r['seconds']:.2f} s vs kubectl kustomize {k:.2f} s "
                  f"over the same {r['objects']} objects: wlc is {k / float(str(r['seconds'])):.1f}x faster")


if __name__ == "__main__":
    main()
