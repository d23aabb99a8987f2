"""Faults, against the real control plane: a `wlc sync` SIGKILLed between two objects, and the API
server restarted in the middle of a sync. Either way the next sync converges: every object there
once, no run started twice, and the sync after it changes nothing. The sync is paused at a known
point by its test hook (execute.PAUSE_AFTER / PAUSE_UNTIL: after some writes, until a file exists)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from controlplane import Cluster

from compiler.cli.sync import built_bundle
from compiler.cluster import engine, execute, kube, runs
from tests.integration.sync_support import REPO, wlc, write_repo

pytestmark = pytest.mark.cluster

NAMES = ("f0", "f1", "f2", "f3")


def paused_sync(cluster: Cluster, repo: Path, namespace: str, after: int, until: Path) -> subprocess.Popen[str]:
    """`wlc sync --repo` one workload at a time, waiting after ``after`` writes until ``until`` exists;
    returns once it waits there."""
    env = {**os.environ, execute.PAUSE_AFTER: str(after), execute.PAUSE_UNTIL: str(until)}
    proc = subprocess.Popen([sys.executable, "-m", "compiler.cli", "sync", "--repo", str(repo), "--kubeconfig",
                             str(cluster.kubeconfig), "--namespace", namespace, "--concurrency", "1"],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert line.startswith("wlc: test pause after"), line + proc.stderr.read()
    return proc


def sync(cluster: Cluster, repo: Path, namespace: str) -> subprocess.CompletedProcess[str]:
    return wlc("sync", "--repo", str(repo), "--kubeconfig", str(cluster.kubeconfig), "--namespace", namespace)


def jobs(cluster: Cluster, namespace: str) -> dict[str, dict[str, Any]]:
    return {str(j["metadata"]["name"]): j for j in cluster.kubectl_json("get", "jobs", "-n", namespace)["items"]}


def converged(cluster: Cluster, repo: Path, namespace: str, before: dict[str, dict[str, Any]]) -> None:
    """The next sync succeeds; every Job exists once, owned by its parent, which records it; a Job
    that existed before it is the same run; a further sync plans nothing."""
    done = sync(cluster, repo, namespace)
    assert done.returncode == 0, done.stdout + done.stderr
    found = jobs(cluster, namespace)
    assert sorted(found) == list(NAMES)
    for name, job in found.items():
        if name in before:
            assert job["metadata"]["uid"] == before[name]["metadata"]["uid"], f"{name} was run again"
        parent = cluster.kubectl_json("get", "configmap", f"{name}-applyset", "-n", namespace)
        assert [r["uid"] for r in job["metadata"]["ownerReferences"]] == [parent["metadata"]["uid"]]
        assert runs.recorded(parent, job["metadata"]["annotations"]["wlc.dev/spec-hash"]) == {
            f"Job/{name}": job["metadata"]["uid"]}
    client = kube.Kube(kube.load_configuration(str(cluster.kubeconfig)))
    again = engine.Engine(client, engine.Options(namespaces=(namespace,))).plan(built_bundle(repo, None))
    assert {o.action for w in again.workloads for o in w.objects} == {"unchanged"}


def test_a_sync_killed_between_two_objects_converges_on_the_next(cluster: Cluster, tmp_path: Path) -> None:
    ns = "s17f-killed"
    repo = write_repo(tmp_path / "repo", ns, dict.fromkeys(NAMES, "python:3.12"))
    proc = paused_sync(cluster, repo, ns, after=4, until=tmp_path / "never")
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    before = jobs(cluster, ns)
    assert 0 < len(before) < len(NAMES)  # killed in the middle: some applied, some not
    converged(cluster, repo, ns, before)


def test_an_api_server_restart_mid_sync_fails_cleanly_and_the_next_sync_converges(
        cluster: Cluster, tmp_path: Path) -> None:
    ns = "s17f-restart"
    repo = write_repo(tmp_path / "repo", ns, dict.fromkeys(NAMES, "python:3.12"))
    go = tmp_path / "go"
    proc = paused_sync(cluster, repo, ns, after=4, until=go)
    outcome: list[tuple[int, str]] = []

    def resume_while_down() -> None:
        go.touch()
        out, err = proc.communicate(timeout=300)
        outcome.append((proc.returncode, out + err))
    cluster.restart_apiserver(resume_while_down)
    [(code, text)] = outcome
    assert code == 3, text
    assert "Traceback" not in text and ("cluster error" in text or "failed" in text), text
    before = jobs(cluster, ns)
    assert len(before) < len(NAMES)
    converged(cluster, repo, ns, before)
