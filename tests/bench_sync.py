"""Benchmark: sync N generated workloads into the test control plane; print figures (not a timed test).

    python tests/bench_sync.py                     # 1,000 workloads, kubectl sample of 50
    python tests/bench_sync.py --workloads 100 --sample 10

One run, one control plane (tests/cluster/controlplane.py), in this order:

1. ``wlc build`` of N workloads cycling through the examples (tests/bench_build.py's generator:
   trainings, distributed jobs, workspaces with Services and PVCs, inference Deployments with
   Services and HPAs).
2. ``wlc sync --bundle`` four times: the first sync; a second one once the pods settled, which
   records in the parents' status that the runs the first sync created have started (a status
   write each: the cluster changed, so this is no no-op); a no-op sync (0 writes, else a
   warning that names every ApplySet parent whose annotations it changed, and how: the
   parents' annotations are read before and after it, the time of the last write left out);
   and a sync after one inference workload's image changed (rebuilt with ``wlc
   build``). Each is a subprocess:
   wall time includes Python's start and reading the bundle; requests and writes are the
   engine's counters (``--format json``); peak memory is that subprocess's own maximum RSS
   (``os.wait4``).
3. ``kubectl apply --server-side`` of the same objects into other namespaces (``k-<ns>``): one
   call for all (twice: the first time and as a no-op), and one call per workload for a sample
   of ``--sample`` workloads (``p-<ns>``), extrapolated to N.

Between steps it waits until the number of pods has settled (the controllers' work after a
sync loads the same API server). The load average (``uptime``) is printed with the figures:
the machine is shared, so wall times are for orientation.

``--baseline DIR`` (a source tree of an earlier wlc, e.g. ``git archive REV | tar -x -C DIR``)
first runs step 2 with that wlc (``python -m compiler.cli`` in DIR) in a control plane of its own,
then the current wlc's in a fresh one: before and after in the same run, on the same bundle.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "cluster"))

import controlplane

from compiler import emit, labels
from compiler.cluster import engine, kube, source, syncstatus
from tests.bench_build import make_repo


@dataclass
class Run:
    seconds: float
    returncode: int
    stdout: str
    stderr: str
    max_rss_mb: float
    cpu_seconds: float


def timed(cmd: list[str], cwd: Path = ROOT) -> Run:
    """Run ``cmd``; its wall time and its own peak RSS (wait4 on that one child)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(seconds, proc.returncode, out.read().decode(), err.read().decode(), usage.ru_maxrss / 1024,
                   usage.ru_utime + usage.ru_stime)


def wlc(*args: str) -> list[str]:
    return [sys.executable, "-m", "compiler.cli", *args]


def build(repo: Path, out: Path) -> float:
    run = timed(wlc("build", "--repo", str(repo), "--out", str(out)))
    if run.returncode != 0:
        raise SystemExit(f"wlc build failed:\n{run.stdout}{run.stderr}")
    return run.seconds


def sync(bundle: Path, kubeconfig: Path, namespaces: list[str], concurrency: int, tree: Path = ROOT) -> dict[str, Any]:
    scope = [f"--namespace={ns}" for ns in namespaces]
    run = timed(wlc("sync", "--bundle", str(bundle), "--kubeconfig", str(kubeconfig), "--format", "json",
                    "--max-delete", "0", f"--concurrency={concurrency}", *scope), cwd=tree)
    try:
        report = json.loads(run.stdout)
    except ValueError:
        raise SystemExit(f"wlc sync printed no report ({run.returncode}):\n{run.stdout[-2000:]}{run.stderr[-2000:]}")
    if run.returncode != 0:
        print(f"warning: wlc sync exited {run.returncode}: {report['messages']} {report['summary']}", file=sys.stderr)
    return {"seconds": run.seconds, "cpu_seconds": run.cpu_seconds, "rss_mb": run.max_rss_mb, "summary": report["summary"], **report["metrics"]}


def noop_in_process(bundle_dir: Path, kubeconfig: Path, namespaces: list[str], concurrency: int) -> dict[str, Any]:
    """A no-op sync in this process, timed in parts: reading the bundle, then the engine alone."""
    start = time.monotonic()
    bundle = source.read_bundle(bundle_dir)
    read = time.monotonic() - start
    eng = engine.Engine(kube.Kube(kube.load_configuration(str(kubeconfig))),
                        engine.Options(namespaces=tuple(namespaces), concurrency=concurrency))
    start = time.monotonic()
    result = eng.sync(bundle)
    return {"read_bundle_seconds": read, "engine_seconds": time.monotonic() - start,
            "summary": dict(result.counts()), **eng.metrics}


def kubectl_copies(bundle: source.Bundle, folder: Path, prefix: str, only: set[str] | None = None) -> list[Path]:
    """The bundle's objects (parents and members) with their namespace prefixed, a file per workload."""
    files = []
    for w in bundle.workloads:
        if only is not None and w.name not in only:
            continue
        docs = []
        for o in (w.parent, *w.members):
            body = copy.deepcopy(o.body)
            body["metadata"]["namespace"] = prefix + w.namespace
            for port in (body.get("spec") or {}).get("ports") or [] if o.kind == "Service" else []:
                port.pop("nodePort", None)  # wlc's copy holds the fixed node port: let the server pick one
            docs.append(emit.dump_document(body))
        path = folder / prefix / f"{w.namespace}-{w.name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(docs))
        files.append(path)
    return files


def kubectl_apply(cluster: controlplane.Cluster, target: Path, recursive: bool = False) -> float:
    args = [str(cluster.kubectl_bin), "--kubeconfig", str(cluster.kubeconfig), "apply", "--server-side",
            "-f", str(target)] + (["-R"] if recursive else [])
    run = timed(args)
    if run.returncode != 0:
        raise SystemExit(f"kubectl apply failed:\n{run.stderr[-3000:]}")
    return run.seconds


def settle(cluster: controlplane.Cluster, quiet: float = 6.0, limit: float = 120.0) -> None:
    """Wait until the pods (name, phase) and the Jobs' counts (active, succeeded, failed) did not
    change for ``quiet`` seconds (at most ``limit``): a run that starts or ends between two syncs
    is a status write of the second."""
    columns = {"pods": "N:.metadata.name,P:.status.phase",
               "jobs": "N:.metadata.name,A:.status.active,S:.status.succeeded,F:.status.failed,"
                       "T:.status.startTime,C:.status.conditions[*].type"}
    deadline, last, since = time.monotonic() + limit, "", time.monotonic()
    while time.monotonic() < deadline:
        now = "".join(cluster.kubectl("get", kind, "-A", "--no-headers", f"-o=custom-columns={cols}",
                                      check=False).stdout for kind, cols in columns.items())
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(2)


def parent_annotations(cluster: controlplane.Cluster) -> dict[str, dict[str, str]]:
    """namespace/name of every ApplySet parent -> its annotations, but the time of the last
    status write (which changes with every write by design)."""
    client = kube.Kube(kube.load_configuration(str(cluster.kubeconfig)))
    try:
        found = client.list(client.resource("", "v1", "ConfigMap"), "", labels.APPLYSET_ID)
    finally:
        client.close()
    return {f"{o['metadata']['namespace']}/{o['metadata']['name']}":
            {k: v for k, v in syncstatus.annotations_of(o).items() if k != syncstatus.TIME} for o in found}


def what_changed(before: dict[str, dict[str, str]], after: dict[str, dict[str, str]]) -> dict[str, list[str]]:
    """Parent -> the annotations a sync changed (added, removed or rewritten), for the parents it changed."""
    out = {}
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key, {}), after.get(key, {})
        keys = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
        if keys:
            out[key] = keys
    return out


def unique_node_ports(repo: Path) -> None:
    """The generator copies an example with a fixed node port: give each copy a port of its own."""
    paths = sorted((repo / "examples" / "workloads").glob("*/*.yaml"))
    fixed = [p for p in paths if re.search(r"external: 3\d{4}\b", p.read_text())]
    for i, path in enumerate(fixed):
        path.write_text(re.sub(r"external: 3\d{4}\b", f"external: {30000 + i}", path.read_text()))


def change_one(repo: Path) -> str:
    """Change the image of the first inference workload of the repo; its name."""
    for path in sorted((repo / "examples" / "workloads").glob("*/*.yaml")):
        text = path.read_text()
        if "kind: InferenceWorkload" in text and "image: " in text:
            path.write_text(re.sub(r"image: (\S+)", r"image: \1-changed", text, count=1))
            return path.stem
    raise SystemExit("no inference workload to change")


def shape(bundle: source.Bundle) -> dict[str, int]:
    gks: dict[str, set[str]] = defaultdict(set)
    for w in bundle.workloads:
        gks[w.namespace] |= w.group_kinds()
    return {"workloads": len(bundle.workloads), "objects": sum(1 + len(w.members) for w in bundle.workloads),
            "members": sum(len(w.members) for w in bundle.workloads), "namespaces": len(gks),
            "group_kinds_x_namespaces": sum(len(v) for v in gks.values())}


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def line(name: str, r: dict[str, Any]) -> str:
    verbs = ", ".join(f"{k.split('.', 1)[1]} {v}" for k, v in sorted(r.items()) if k.startswith("requests."))
    return (f"  {name:<22} {r['seconds']:7.2f} s  {r['requests']:6d} requests ({verbs})  {r['writes']:5d} writes  "
            f"CPU {r['cpu_seconds']:.1f} s  peak RSS {r['rss_mb']:.0f} MB")


def wlc_steps(tree: Path, before: Path, after: Path, namespaces: list[str], concurrency: int,
              in_process: bool) -> tuple[dict[str, Any], controlplane.Cluster]:
    """First sync of ``before``, no-op, sync of ``after`` (one workload changed), with the wlc of
    ``tree``, in a fresh control plane (returned running)."""
    cluster = controlplane.start()  # the sync creates the namespaces (the organisation's, with its labels)
    out: dict[str, Any] = {"load_before": uptime()}
    try:
        kc = cluster.kubeconfig
        out["first"] = sync(before, kc, namespaces, concurrency, tree)
        settle(cluster)
        # the runs created by the first sync have started since (pending -> running): this sync
        # records that in their parents' status, a write each; the next one is a true no-op
        out["catch_up"] = sync(before, kc, namespaces, concurrency, tree)
        settle(cluster)
        parents = parent_annotations(cluster)
        out["noop"] = sync(before, kc, namespaces, concurrency, tree)
        now = parent_annotations(cluster)
        changed = what_changed(parents, now)
        out["noop"]["parents_changed"] = len(changed)
        if out["noop"]["writes"] or changed:
            # every write of a no-op must be a change in the cluster since the last sync: say which
            print(f"warning: the no-op sync wrote {out['noop']['writes']} time(s); parents whose status "
                  f"changed: {len(changed)}", file=sys.stderr)
            for i, (key, keys) in enumerate(changed.items()):
                print(f"  {key}: {', '.join(keys)}", file=sys.stderr)
                for k in keys if i < 3 else ():
                    print(f"    {k}: {parents.get(key, {}).get(k)!r:.300}\n    -> {now.get(key, {}).get(k)!r:.300}",
                          file=sys.stderr)
        if in_process:
            out["noop_in_process"] = noop_in_process(before, kc, namespaces, concurrency)
        out["one_changed"] = sync(after, kc, namespaces, concurrency, tree)
        settle(cluster)
        out["load_after"] = uptime()
    except BaseException:
        cluster.stop()
        raise
    return out, cluster


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workloads", type=int, default=1000)
    ap.add_argument("--sample", type=int, default=50, help="workloads applied with one kubectl call each")
    ap.add_argument("--concurrency", type=int, default=4, help="wlc sync --concurrency (its default: 4)")
    ap.add_argument("--baseline", type=Path, help="a source tree of an earlier wlc, measured first in the same run")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wlc-bench-sync-"))
    repo, out, changed_out = work / "repo", work / "out", work / "out-changed"
    repo.mkdir()
    make_repo(repo, args.workloads)
    unique_node_ports(repo)
    figures: dict[str, Any] = {"load_before": uptime(), "concurrency": args.concurrency}
    figures["build_seconds"] = build(repo, out)
    bundle = source.read_bundle(out)
    figures["shape"] = shape(bundle)
    namespaces = sorted({w.namespace for w in bundle.workloads})
    print(f"{args.workloads} workloads: {figures['shape']}", flush=True)
    changed = change_one(repo)
    build(repo, changed_out)
    cluster = None
    try:
        if args.baseline is not None:
            figures["baseline"], cluster = wlc_steps(args.baseline.resolve(), out, changed_out, namespaces,
                                                     args.concurrency, in_process=False)
            figures["baseline"]["one_changed"]["workload"] = changed
            cluster.stop()
            print(f"baseline ({args.baseline}) done", flush=True)
        current, cluster = wlc_steps(ROOT, out, changed_out, namespaces, args.concurrency, in_process=True)
        figures |= current | {"load_before": figures["load_before"]}
        figures["one_changed"]["workload"] = changed
        copies = work / "kubectl"
        kubectl_copies(bundle, copies, "k-")
        step = max(1, len(bundle.workloads) // max(1, args.sample))
        sample = {w.name for w in bundle.workloads[::step][:args.sample]}
        files = kubectl_copies(bundle, copies, "p-", sample)
        for ns in namespaces:
            cluster.ensure_namespace("k-" + ns)
            cluster.ensure_namespace("p-" + ns)
        figures["kubectl_all_first"] = kubectl_apply(cluster, copies / "k-", recursive=True)
        settle(cluster)
        figures["kubectl_all_noop"] = kubectl_apply(cluster, copies / "k-", recursive=True)
        each = [kubectl_apply(cluster, f) for f in files]
        figures["kubectl_each"] = {"sample": len(each), "mean_seconds": sum(each) / len(each),
                                   "extrapolated_seconds": sum(each) / len(each) * len(bundle.workloads)}
        figures["load_after"] = uptime()
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


def report(f: dict[str, Any]) -> None:
    s = f["shape"]
    print(f"\nwlc sync --concurrency {f['concurrency']}")
    print(f"{s['workloads']} workloads, {s['objects']} objects ({s['members']} members + parents), "
          f"{s['namespaces']} namespaces, {s['group_kinds_x_namespaces']} group-kind x namespace pairs; "
          f"build {f['build_seconds']:.1f} s")
    if "baseline" in f:
        b = f["baseline"]
        print(line("baseline first sync", b["first"]))
        print(line("baseline runs started", b["catch_up"]))
        print(line("baseline no-op sync", b["noop"]))
        print(line("baseline one changed", b["one_changed"]))
        print(f"  baseline load: before {b['load_before']}\n                 after  {b['load_after']}")
    print(line("wlc first sync", f["first"]))
    print(line("wlc runs started", f["catch_up"]))
    print(line("wlc no-op sync", f["noop"]) + f"  parents changed {f['noop']['parents_changed']}")
    inproc = f["noop_in_process"]
    print(f"  {'  in process':<22} {inproc['read_bundle_seconds'] + inproc['engine_seconds']:7.2f} s  reading the "
          f"bundle {inproc['read_bundle_seconds']:.2f} s, the engine {inproc['engine_seconds']:.2f} s "
          f"({inproc['requests']} requests, {inproc['writes']} writes)")
    print(line("wlc one changed", f["one_changed"]))
    each = f["kubectl_each"]
    print(f"  kubectl, one call:     {f['kubectl_all_first']:7.2f} s first, {f['kubectl_all_noop']:.2f} s again (no-op)")
    print(f"  kubectl, per workload: {each['mean_seconds']:.3f} s each over {each['sample']} "
          f"(extrapolated to {s['workloads']}: {each['extrapolated_seconds']:.0f} s)")
    print(f"  load: before {f['load_before']}\n        after  {f['load_after']}")


if __name__ == "__main__":
    main()
