"""Benchmark: `wlc get` and the page's first render on 1,000 workloads in the test control plane;
print figures (not a timed test).

    python tests/bench_view.py                          # 1,000 suspended Jobs, 5 runs each
    python tests/bench_view.py --workloads 200 --runs 3
    mkdir /tmp/base14 && git archive main | tar -x -C /tmp/base14 && python tests/bench_view.py --baseline /tmp/base14

One control plane (tests/cluster/controlplane.py), filled once with

- ``--workloads`` Jobs with ``suspend: true`` (the golden ``ranker-train``: an ApplySet parent
  ConfigMap and a Job each, renamed, spread over ``--namespaces`` namespaces), applied with
  ``kubectl apply --server-side --field-manager=wlc`` (what wlc's sync applies, without its run);
- and in the first namespace some workloads whose pods kwok runs: the examples of
  tests/integration/test_view_cluster.py and ``--running`` copies of ``chat-grpc`` (a
  Deployment with 2 pods; those that do not fit the kwok nodes' GPUs stay Pending).

Then, for this tree and (``--baseline DIR``, a checkout of another revision) that one, the runs
interleaved so that the machine's load falls on both alike (``python -m compiler.cli`` in the tree):

1. ``wlc get --stats`` as a whole process, ``--runs`` times: wall, CPU (user + system), peak
   RSS (``os.wait4``), the requests and the time inside the command (its ``--stats`` line).
2. The imports ``wlc get`` needs (the CLI, the cluster package, the view), in a fresh
   interpreter: wall and CPU; and Python's own start (``-c pass``) for scale.
3. Requests with ``-n`` one, two and every namespace (they grow with kinds x namespaces).
4. ``wlc view --port 0``, ``--page-runs`` fresh processes: the time until it listens, then the
   first ``/`` (the page's first render: the cluster read and the table rendered), ``/rows`` (the
   table fragment the page refreshes with), a details pane (``/?w=NS/NAME``), ``/`` again.

``--busy N`` runs N CPU-bound processes beside the measurements (a machine that is busy with
something else, as this shared one often is). Medians with the range (min-max). The load average (``uptime``) is printed with the figures: the
machine is shared, so wall times are for orientation; the ratios are of the same run.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "cluster"))

import controlplane

GOLDEN = ROOT / "tests" / "golden" / "base"
EXAMPLES = ("runai-recsys/ranker-train", "runai-nlp/eval-sweep", "runai-nlp/chat-grpc",
            "team-vision/stopped-notebook", "runai-recsys/feature-workspace")
#: what `wlc get` imports before it reads the cluster (compiler/cli/view.py's get)
IMPORTS = ("import compiler.cli; import compiler.cli.view; from compiler.cluster import errors, fetch, kube; "
           "from compiler.cluster.view import table, syncstate")
STATS = re.compile(r"wlc get: (\d+) workload\(s\), (\d+) request\(s\), ([\d.]+)s")


@dataclass
class Run:
    seconds: float
    cpu_seconds: float
    max_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def timed(cmd: Sequence[str], cwd: Path) -> Run:
    """Run ``cmd``; its wall time, CPU time and its own peak RSS (wait4 on that one child)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
                   os.waitstatus_to_exitcode(status), out.read().decode(), err.read().decode())


def wlc(*args: str) -> list[str]:
    return [sys.executable, "-m", "compiler.cli", *args]


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


# -- the workloads ----------------------------------------------------------------------------

def retarget(rel: str, namespace: str, rename: tuple[str, str] | None = None) -> str:
    text = (GOLDEN / f"{rel}.yaml").read_text()
    text = text.replace(f"namespace: {rel.split('/')[0]}\n", f"namespace: {namespace}\n")
    return text.replace(*rename) if rename else text


def suspended_job(namespace: str, name: str) -> str:
    text = retarget("runai-recsys/ranker-train", namespace, ("ranker-train", name))
    if "  backoffLimit: 5\n" not in text:
        raise SystemExit("the golden ranker-train changed: no backoffLimit to put suspend after")
    return text.replace("  backoffLimit: 5\n", "  backoffLimit: 5\n  suspend: true\n", 1)


def fill(cluster: controlplane.Cluster, workloads: int, namespaces: list[str], running: int, work: Path) -> int:
    """Apply the workloads; how many there are."""
    per: dict[str, list[str]] = {ns: [] for ns in namespaces}
    for i in range(workloads):
        ns = namespaces[i % len(namespaces)]
        per[ns].append(suspended_job(ns, f"bench-{i:04d}"))
    first = namespaces[0]
    per[first] += [retarget(rel, first) for rel in EXAMPLES]
    per[first] += [retarget("runai-nlp/chat-grpc", first, ("chat-grpc", f"serve-{i:02d}")) for i in range(running)]
    for ns, docs in per.items():
        cluster.ensure_namespace(ns)
        path = work / f"{ns}.yaml"
        path.write_text("---\n".join(docs))
        started = time.monotonic()
        cluster.kubectl("apply", "--server-side", "--field-manager=wlc", "-f", str(path))
        print(f"  applied {len(docs)} workloads to {ns} in {time.monotonic() - started:.1f} s", flush=True)
    return workloads + len(EXAMPLES) + running


def settle(cluster: controlplane.Cluster, quiet: float = 6.0, limit: float = 180.0) -> str:
    """Wait until the pods' phases did not change for ``quiet`` seconds; their count by phase."""
    deadline, last, since = time.monotonic() + limit, "", time.monotonic()
    while time.monotonic() < deadline:
        now = cluster.kubectl("get", "pods", "-A", "--no-headers", "-o=custom-columns=N:.metadata.name,P:.status.phase",
                              check=False).stdout
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
        time.sleep(2)
    phases: dict[str, int] = {}
    for line in last.splitlines():
        phase = line.split()[-1] if line.split() else "?"
        phases[phase] = phases.get(phase, 0) + 1
    return ", ".join(f"{n} {p}" for p, n in sorted(phases.items())) or "no pods"


# -- measurements -----------------------------------------------------------------------------

def get_run(tree: Path, kubeconfig: Path, *args: str) -> dict[str, Any]:
    run = timed(wlc("get", "--stats", "--kubeconfig", str(kubeconfig), *args), tree)
    found = STATS.search(run.stderr)
    if run.returncode != 0 or found is None:
        raise SystemExit(f"wlc get in {tree} failed ({run.returncode}):\n{run.stderr[-3000:]}")
    return {"seconds": run.seconds, "cpu_seconds": run.cpu_seconds, "rss_mb": run.max_rss_mb,
            "workloads": int(found[1]), "requests": int(found[2]), "in_command_seconds": float(found[3]),
            "stdout_bytes": len(run.stdout)}


def import_run(tree: Path) -> dict[str, float]:
    code = ("import time; w, c = time.perf_counter(), time.process_time(); " + IMPORTS +
            "; print(time.perf_counter() - w, time.process_time() - c)")
    done = subprocess.run([sys.executable, "-c", code], cwd=tree, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the imports failed in {tree}:\n{done.stderr[-2000:]}")
    wall, cpu = (float(x) for x in done.stdout.split())
    start = timed([sys.executable, "-c", "pass"], tree)
    return {"seconds": wall, "cpu_seconds": cpu, "python_start_seconds": start.seconds}


def fetch_url(url: str) -> tuple[float, int]:
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=120) as resp:
        body = resp.read()
    return time.monotonic() - started, len(body)


def page_run(tree: Path, kubeconfig: Path, selected: str) -> dict[str, Any]:
    """A fresh `wlc view --port 0`: until it listens, then the first renders."""
    started = time.monotonic()
    proc = subprocess.Popen(wlc("view", "--port", "0", "--kubeconfig", str(kubeconfig)), cwd=tree,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        found = re.search(r"http://[\d.]+:\d+/", line)
        if found is None:
            raise SystemExit(f"wlc view in {tree} did not start: {line}{proc.stderr.read()[-2000:]}")
        base = found[0]
        out: dict[str, Any] = {"listening_seconds": time.monotonic() - started}
        out["first_page_seconds"], out["first_page_bytes"] = fetch_url(base)
        out["rows_seconds"], out["rows_bytes"] = fetch_url(base + "rows")
        out["details_seconds"], _ = fetch_url(base + f"?w={selected}")
        out["again_seconds"], _ = fetch_url(base)
        return out
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def measure(trees: dict[str, Path], kubeconfig: Path, namespaces: list[str], runs: int,
            page_runs: int) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {name: {"get": [], "imports": [], "page": []} for name in trees}
    for name, tree in trees.items():  # a first run each, not counted: the disk cache, the server's
        get_run(tree, kubeconfig)
    for i in range(runs):
        for name, tree in trees.items():
            out[name]["get"].append(get_run(tree, kubeconfig))
            out[name]["imports"].append(import_run(tree))
        print(f"  get run {i + 1}/{runs} done", flush=True)
    for name, tree in trees.items():
        scoped = [namespaces[:1], namespaces[:2], []]
        out[name]["requests_by_namespaces"] = [
            (len(ns) or "all", get_run(tree, kubeconfig, *(f"--namespace={n}" for n in ns))["requests"]) for ns in scoped]
    for i in range(page_runs):
        for name, tree in trees.items():
            out[name]["page"].append(page_run(tree, kubeconfig, f"{namespaces[0]}/chat-grpc"))
        print(f"  page run {i + 1}/{page_runs} done", flush=True)
    return out


# -- the report -------------------------------------------------------------------------------

def spread(values: Sequence[float], unit: str = "s", digits: int = 2) -> str:
    med = statistics.median(values)
    return f"{med:.{digits}f} {unit} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def column(runs: Sequence[dict[str, Any]], key: str) -> list[float]:
    return [float(r[key]) for r in runs]


ROWS: tuple[tuple[str, str, str, str, int], ...] = (
    # label, section, key, unit, digits
    ("wlc get: wall (process)", "get", "seconds", "s", 2),
    ("wlc get: CPU (process)", "get", "cpu_seconds", "s", 2),
    ("wlc get: peak RSS", "get", "rss_mb", "MB", 0),
    ("wlc get: in the command", "get", "in_command_seconds", "s", 2),
    ("imports of wlc get: wall", "imports", "seconds", "s", 3),
    ("imports of wlc get: CPU", "imports", "cpu_seconds", "s", 3),
    ("python -c pass: wall", "imports", "python_start_seconds", "s", 3),
    ("wlc view: until listening", "page", "listening_seconds", "s", 2),
    ("page: first / (first render)", "page", "first_page_seconds", "s", 2),
    ("page: /rows", "page", "rows_seconds", "s", 2),
    ("page: details (/?w=)", "page", "details_seconds", "s", 2),
    ("page: / again", "page", "again_seconds", "s", 2),
)


def report(f: dict[str, Any]) -> None:
    names = list(f["trees"])
    print(f"\n{f['workloads']} workloads ({f['suspended']} suspended Jobs over {len(f['namespaces'])} namespaces, "
          f"the rest with pods: {f['pods']}); {f['runs']} runs of wlc get, {f['page_runs']} of wlc view"
          + (f"; {f['busy']} CPU-bound processes beside" if f["busy"] else ""))
    width = 30
    head = f"{'':<{width}}" + "".join(f"{n + ' (' + str(f['trees'][n]) + ')':<34}" for n in names)
    print(head + ("ratio" if len(names) == 2 else ""))
    for label, section, key, unit, digits in ROWS:
        cells = [column(f["results"][n][section], key) for n in names]
        line = f"{label:<{width}}" + "".join(f"{spread(c, unit, digits):<34}" for c in cells)
        if len(names) == 2 and statistics.median(cells[0]):
            line += f"{statistics.median(cells[1]) / statistics.median(cells[0]):.2f}"
        print(line)
    for n in names:
        g = f["results"][n]["get"][0]
        scoped = ", ".join(f"{k} namespace(s): {v}" for k, v in f["results"][n]["requests_by_namespaces"])
        print(f"  {n}: {g['requests']} requests for {g['workloads']} workloads ({scoped}); "
              f"table {g['stdout_bytes'] // 1024} KB, page {f['results'][n]['page'][0]['first_page_bytes'] // 1024} KB")
    print(f"  load: before {f['load_before']}\n        after  {f['load_after']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workloads", type=int, default=1000, help="suspended Jobs")
    ap.add_argument("--namespaces", type=int, default=4)
    ap.add_argument("--running", type=int, default=10, help="copies of chat-grpc (2 pods each)")
    ap.add_argument("--runs", type=int, default=5, help="wlc get processes per tree")
    ap.add_argument("--page-runs", type=int, default=3, help="wlc view processes per tree")
    ap.add_argument("--baseline", type=Path, help="a checkout of another revision, measured in the same run")
    ap.add_argument("--busy", type=int, default=0, help="CPU-bound processes running beside the measurements")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    trees: dict[str, Path] = {}
    if args.baseline is not None:
        trees["baseline"] = args.baseline.resolve()
    trees["this"] = ROOT
    namespaces = [f"bench-view-{i}" for i in range(max(1, args.namespaces))]
    figures: dict[str, Any] = {"trees": {k: str(v) for k, v in trees.items()}, "runs": args.runs,
                               "page_runs": args.page_runs, "namespaces": namespaces, "suspended": args.workloads,
                               "busy": args.busy}
    cluster = controlplane.start()
    try:
        with tempfile.TemporaryDirectory(prefix="wlc-bench-view-") as work:
            figures["workloads"] = fill(cluster, args.workloads, namespaces, args.running, Path(work))
        figures["pods"] = settle(cluster)
        print(f"  pods: {figures['pods']}", flush=True)
        busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
        try:
            time.sleep(5 if busy else 0)
            figures["load_before"] = uptime()
            figures["results"] = measure(trees, cluster.kubeconfig, namespaces, args.runs, args.page_runs)
            figures["load_after"] = uptime()
        finally:
            for proc in busy:
                proc.kill()
                proc.wait()
    finally:
        cluster.stop()
    report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
