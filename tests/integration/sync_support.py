"""Helpers of the sync engine's cluster tests (test_sync_cluster.py, test_sync_safety.py): the
base build moved into namespaces of their own, engines scoped to them, bundle edits."""
from __future__ import annotations

import copy
import dataclasses
import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from controlplane import Cluster

from compiler import emit
from compiler.bundle import applyset_id
from compiler.cluster import engine, kube, plan, source

REPO = Path(__file__).resolve().parents[2]

PREFIX = "s17-"  # this module's namespaces: other cluster tests apply wlc objects into the examples' own
EXTRA_NS = "sync17-new"


def make_engine(cluster: Cluster, **options: Any) -> engine.Engine:
    scope = {"namespaces": tuple(sorted({f"{PREFIX}{ns}" for ns in NAMESPACES} | {EXTRA_NS}))}
    return engine.Engine(kube.Kube(kube.load_configuration(str(cluster.kubeconfig))),
                         engine.Options(**(scope | options)))


NAMESPACES = ("runai-nlp", "runai-recsys", "team-vision")


def write_bundle(bundle: source.Bundle, folder: Path) -> Path:
    """The bundle as `wlc build` lays it out, with index and hashes (of a Bundle value)."""
    entries = []
    for w in bundle.workloads:
        docs = [emit.dump_document(o.body) for o in (w.parent, *w.members)]
        rel = f"{w.namespace}/{w.name}.yaml"
        (folder / bundle.overlay / w.namespace).mkdir(parents=True, exist_ok=True)
        (folder / bundle.overlay / rel).write_text("".join(docs))
        entries.append({"name": w.name, "namespace": w.namespace, "project": w.project, "type": w.type,
                        "source": w.source, "file": rel, "active": w.active, "specHash": w.spec_hash,
                        "applyset": w.applyset, "fileHash": emit.text_hash("".join(docs)),
                        "objects": [{"group": o.group, "version": o.version, "kind": o.kind, "namespace": o.namespace,
                                     "name": o.name, "hash": emit.text_hash(d)}
                                    for o, d in zip((w.parent, *w.members), docs)]})
    (folder / bundle.overlay / "index.json").write_text(json.dumps(
        {"apiVersion": "wlc.dev/v1alpha1", "kind": "BundleIndex", "overlay": bundle.overlay, "workloads": entries}))
    return folder


def without(bundle: source.Bundle, *names: str) -> source.Bundle:
    return dataclasses.replace(bundle, workloads=tuple(w for w in bundle.workloads if w.name not in names))


def edited(bundle: source.Bundle, name: str,
           change: Callable[[list[source.DesiredObject]], list[source.DesiredObject]]) -> source.Bundle:
    """The bundle with workload ``name``'s members replaced by change(members)."""
    out = []
    for w in bundle.workloads:
        if w.name == name:
            members = change([dataclasses.replace(m, body=copy.deepcopy(m.body)) for m in w.members])
            w = dataclasses.replace(w, members=tuple(members))
        out.append(w)
    return dataclasses.replace(bundle, workloads=tuple(out))


def moved(w: source.DesiredWorkload, namespace: str) -> source.DesiredWorkload:
    """The workload as if built into another namespace (its ApplySet id follows the parent)."""
    aid = applyset_id(w.parent.name, namespace, "ConfigMap", "")

    def move(obj: source.DesiredObject, label: str) -> source.DesiredObject:
        body = copy.deepcopy(obj.body)
        body["metadata"]["namespace"] = namespace
        body["metadata"]["labels"][label] = aid
        return dataclasses.replace(obj, namespace=namespace, body=body)
    return dataclasses.replace(w, namespace=namespace, applyset=aid, parent=move(w.parent, "applyset.kubernetes.io/id"),
                               members=tuple(move(m, "applyset.kubernetes.io/part-of") for m in w.members))


def workload(bundle: source.Bundle, name: str) -> source.DesiredWorkload:
    return next(w for w in bundle.workloads if w.name == name)


def by_name(result: plan.Plan) -> dict[str, plan.WorkloadPlan]:
    return {w.name: w for w in result.workloads}


def live(client: kube.Kube, obj: source.DesiredObject) -> dict[str, Any] | None:
    return client.get(client.resource(obj.group, obj.version, obj.kind), obj.namespace, obj.name)


def wait_until(what: str, ok: Callable[[], bool], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not ok():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def build_base(out: Path) -> tuple[Path, source.Bundle]:
    """`wlc build` of this repository into ``out``, and its workloads moved into PREFIX namespaces
    (without the organisation, which owns the examples' namespaces: test_org_sync.py syncs it)."""
    subprocess.run([sys.executable, "-m", "compiler.cli", "build", "--repo", str(REPO), "--out", str(out)],
                   check=True, capture_output=True)
    bundle = source.read_bundle(out)
    assert {w.namespace for w in bundle.workloads} == set(NAMESPACES)
    return out, dataclasses.replace(bundle, workloads=tuple(moved(w, PREFIX + w.namespace) for w in bundle.workloads),
                                    organisation=None)


def sync_base(cluster: Cluster, base: source.Bundle) -> kube.Kube:
    result = make_engine(cluster).sync(base)
    assert result.ok, plan.render_text(result)
    return kube.Kube(kube.load_configuration(str(cluster.kubeconfig)))



ORG = """apiVersion: wlc.dev/v1alpha1
kind: Department
metadata:
  name: research
---
apiVersion: wlc.dev/v1alpha1
kind: Project
metadata:
  name: {project}
spec:
  department: research
  namespace: {namespace}
"""
TRAINING = """apiVersion: wlc.dev/v1alpha1
kind: TrainingWorkload
metadata:
  name: {name}
spec:
  image: {image}
  command: python -c 1
"""
BROKEN = """apiVersion: wlc.dev/v1alpha1
kind: TrainingWorkload
metadata:
  name: {name}
spec:
  command: python -c 1
  gpuDevicesRequest: lots
"""


def write_repo(root: Path, namespace: str, workloads: dict[str, str], project: str = "agentp") -> Path:
    """A small wlc repository: one project in ``namespace`` and a Training workload per
    ``name -> image`` (the image "BROKEN" writes a workload with errors)."""
    folder = root / "workloads" / project
    if folder.exists():
        for old in folder.glob("*.yaml"):
            old.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    (root / "org.yaml").write_text(ORG.format(project=project, namespace=namespace))
    for name, image in workloads.items():
        text = BROKEN if image == "BROKEN" else TRAINING
        (folder / f"{name}.yaml").write_text(text.format(name=name, image=image))
    return root


def wlc(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -m compiler.cli ARGS`` as a subprocess (the real CLI, exit status and streams)."""
    return subprocess.run([sys.executable, "-m", "compiler.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO, check=False)


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` (an author of its own, no global config needed)."""
    done = subprocess.run(["git", "-c", "user.name=wlc test", "-c", "user.email=test@wlc.invalid",
                           "-c", "init.defaultBranch=main", "-C", str(repo), *args],
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


def commit_repo(repo: Path, namespace: str, workloads: dict[str, str], message: str) -> str:
    """write_repo, then commit everything (a new git repository the first time); the revision."""
    write_repo(repo, namespace, workloads)
    if not (repo / ".git").is_dir():
        git(repo, "init", "--quiet")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every line of ``text`` parsed as one JSON object (fails on a line that is not)."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


class Running:
    """A `wlc agent` subprocess whose stderr lines are parsed as JSON in a thread."""

    def __init__(self, args: list[str]) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "compiler.cli", "agent", *args], cwd=REPO,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.put(json.loads(line))

    def wait_for(self, event: str | tuple[str, ...], timeout: float = 90, **fields: Any) -> dict[str, Any]:
        """The next log record of ``event`` (one of them) with ``fields``; the ones read are in seen."""
        wanted = (event,) if isinstance(event, str) else event
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"no {event} {fields} in {self.seen}"
            try:
                record = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append(record)
            if record["event"] in wanted and all(record.get(k) == v for k, v in fields.items()):
                return record


def service_account_kubeconfig(cluster: Cluster, folder: Path, namespace: str, name: str = "wlc-agent") -> Path:
    """The admin kubeconfig's cluster with ServiceAccount ``namespace/name``'s token as its only
    user, so that a test acts with exactly that account's rights."""
    token = cluster.kubectl("create", "token", name, "-n", namespace).stdout.strip()
    config = yaml.safe_load(cluster.kubeconfig.read_text())
    config["users"] = [{"name": "agent", "user": {"token": token}}]
    for ctx in config["contexts"]:
        ctx["context"]["user"] = "agent"
    path = folder / "agent.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return path
