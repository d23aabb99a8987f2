"""The agent's loop as a subprocess against real git and the real control plane: /metrics,
/healthz and /readyz on --listen, JSON logs, a new commit picked up by the next step, SIGTERM
ends it with exit 0."""
from __future__ import annotations

import signal
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from controlplane import Cluster

from tests.integration.sync_support import Running, commit_repo

pytestmark = pytest.mark.cluster

NS = "s17b-loop"


@pytest.fixture()
def origin(tmp_path: Path) -> Path:
    return tmp_path / "origin"


@pytest.fixture()
def agent(cluster: Cluster, origin: Path, tmp_path: Path) -> Iterator[Running]:
    commit_repo(origin, NS, {"m1": "python:3.12", "m2": "python:3.12"}, "two workloads")
    running = Running(["--git", origin.as_uri(), "--interval", "1s", "--listen", "127.0.0.1:0",
                       "--cache", str(tmp_path / "cache"), "--kubeconfig", str(cluster.kubeconfig),
                       "--namespace", NS])
    yield running
    if running.proc.poll() is None:
        running.proc.kill()
        running.proc.wait()


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def samples(text: str) -> dict[str, float]:
    """Prometheus text format: every sample line (name with labels -> value)."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def test_the_loop_serves_metrics_follows_commits_and_stops_on_sigterm(agent: Running, origin: Path,
                                                                       cluster: Cluster) -> None:
    port = int(agent.wait_for("listening")["port"])
    first = agent.wait_for("synced")
    assert first["built"] is True
    assert get(port, "/healthz") == (200, "ok\n") and get(port, "/readyz") == (200, "ready\n")
    code, text = get(port, "/metrics")
    got = samples(text)
    assert code == 200 and "# TYPE wlc_objects_applied_total counter" in text
    assert got['wlc_sync_steps_total{result="synced"}'] >= 1
    assert got["wlc_objects_applied_total"] >= 4  # 2 parents and 2 Jobs created
    assert got[f'wlc_last_successful_revision_info{{revision="{first["revision"]}"}}'] == 1
    assert got[f'wlc_workload_sync_state{{namespace="{NS}",workload="m1",state="create"}}'] + got[
        f'wlc_workload_sync_state{{namespace="{NS}",workload="m1",state="unchanged"}}'] == 1
    assert got["wlc_sync_duration_seconds"] > 0 and got["wlc_last_successful_sync_timestamp_seconds"] > 0
    assert get(port, "/nothing")[0] == 404

    second = commit_repo(origin, NS, {"m1": "python:3.12"}, "remove m2")
    assert agent.wait_for("synced", revision=second)["built"] is True  # a new revision is built
    jobs = cluster.kubectl_json("get", "jobs", "-n", NS)["items"]
    assert [j["metadata"]["name"] for j in jobs] == ["m1"]
    got = samples(get(port, "/metrics")[1])
    assert got["wlc_objects_pruned_total"] >= 2 and got["wlc_sync_failures_total"] == 0
    agent.wait_for("synced", revision=second)  # the following step: a no-op
    quiet = agent.seen[-1]
    assert quiet["writes"] == 0, quiet
    assert quiet["built"] is False, quiet  # the same revision again: synced without building it again

    broken = commit_repo(origin, NS, {"m1": "python:3.12", "bad": "BROKEN"}, "a broken commit")
    refused = agent.wait_for("build-failed", revision=broken)
    again = agent.wait_for("build-failed", revision=broken)  # its errors kept, not built again
    assert (refused["built"], again["built"]) == (True, False)
    assert again["first"] == refused["first"] and "unknown field" in str(again["first"])
    assert [j["metadata"]["name"] for j in cluster.kubectl_json("get", "jobs", "-n", NS)["items"]] == ["m1"]

    agent.proc.send_signal(signal.SIGTERM)
    assert agent.proc.wait(timeout=60) == 0
    stopped = agent.wait_for("stopped", timeout=10)
    assert stopped["last"] == "build-failed"
