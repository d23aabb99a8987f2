"""`wlc get` and `wlc describe` against the real control plane (issue 14): statuses the scheduler,
the controllers and kwok produce, a training pending for lack of GPUs (the kwok nodes have 8 or 4
GPUs, tests/cluster/controlplane.py), the events filter, requests that do not grow with the
number of workloads, and `wlc logs` (with ``-f``) reading the log kwok's kubelet server serves."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import controlplane
import pytest
from click.testing import CliRunner, Result
from controlplane import Cluster

from compiler.cli import main

pytestmark = pytest.mark.cluster

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden" / "base"
NS = "v14-view"
EXAMPLES = ("runai-recsys/ranker-train", "runai-nlp/eval-sweep", "runai-nlp/chat-grpc",
            "team-vision/stopped-notebook", "runai-recsys/feature-workspace")


def retarget(rel: str, namespace: str, rename: tuple[str, str] | None = None, gpus: str | None = None) -> str:
    text = (GOLDEN / f"{rel}.yaml").read_text()
    text = text.replace(f"namespace: {rel.split('/')[0]}\n", f"namespace: {namespace}\n")
    if rename:
        text = text.replace(*rename)
    if gpus:
        text = text.replace("nvidia.com/gpu: 1\n", f"nvidia.com/gpu: {gpus}\n")
    return text


def wlc(cluster: Cluster, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"KUBECONFIG": str(cluster.kubeconfig)}, catch_exceptions=False)


def wait_until(what: str, ok: Callable[[], bool], timeout: float = 90, seen: Callable[[], object] = lambda: "") -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if ok():
            return
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}; last seen: {seen()}")


def rows(cluster: Cluster, *args: str) -> dict[str, dict[str, Any]]:
    result = wlc(cluster, "get", "-n", NS, "-o", "json", "--columns",
                 "workload,status,pods,gpu-request,gpu-allocation,node-pools,message", *args)
    assert result.exit_code == 0, result.output
    return {r["workload"]: r for r in json.loads(result.stdout)}


@pytest.fixture(scope="module")
def applied(cluster: Cluster) -> Cluster:
    cluster.ensure_namespace(NS)
    docs = [retarget(rel, NS) for rel in EXAMPLES]
    docs.append(retarget("runai-recsys/ranker-train", NS, ("ranker-train", "big-train"), gpus="16"))
    cluster.kubectl("apply", "--server-side", "--field-manager=wlc", "-f", "-", input="---\n".join(docs))

    def settled() -> bool:
        got = rows(cluster)
        return (got.get("big-train", {}).get("status") == "Pending"
                and got.get("chat-grpc", {}).get("status") == "Running"
                and got.get("ranker-train", {}).get("status") == "Completed"
                and got.get("eval-sweep", {}).get("status") == "Completed")
    wait_until("the workloads to settle", settled, seen=lambda: (rows(cluster), cluster.kubectl(
        "get", "pods,nodes", "-A", "-o", "wide").stdout))
    return cluster


def test_get_shows_runai_statuses_pods_and_gpus(applied: Cluster) -> None:
    got = rows(applied)
    assert set(got) == {"ranker-train", "eval-sweep", "chat-grpc", "stopped-notebook", "feature-workspace",
                        "big-train"}
    assert got["big-train"]["status"] == "Pending"
    assert "Insufficient nvidia.com/gpu" in got["big-train"]["message"]
    assert (got["big-train"]["gpu-request"], got["big-train"]["gpu-allocation"]) == ("16", "0")
    assert got["chat-grpc"]["pods"] == "2/2" and got["chat-grpc"]["gpu-allocation"] == "2"
    assert got["chat-grpc"]["node-pools"]  # the run.ai/node-pool label of the nodes its pods run on
    assert got["eval-sweep"]["status"] == "Completed"
    assert got["stopped-notebook"]["status"] == "Stopped" and got["stopped-notebook"]["pods"] == "0/0"


def test_get_filters_search_sort_and_csv(applied: Cluster) -> None:
    assert set(rows(applied, "--status", "pending")) == {"big-train"}
    assert set(rows(applied, "--type", "InteractiveWorkload")) == {"stopped-notebook", "feature-workspace"}
    assert set(rows(applied, "--search", "eval")) == {"eval-sweep"}
    result = wlc(applied, "get", "-n", NS, "-o", "csv", "--columns", "workload,gpu-request", "--sort-by", "gpu-request")
    lines = result.output.splitlines()
    assert lines[0] == "WORKLOAD,GPU REQUEST" and lines[-1] == "big-train,16"
    table = wlc(applied, "get", "-n", NS).output.splitlines()
    assert table[0].split()[:3] == ["WORKLOAD", "TYPE", "STATUS"]
    assert wlc(applied, "get", "--columns", "nope").exit_code == 2


def test_describe_shows_pods_conditions_and_filtered_events(applied: Cluster) -> None:
    result = wlc(applied, "describe", "big-train", "-n", NS)
    assert result.exit_code == 0, result.output
    assert "Status:        Pending" in result.output and "16 requested / 0 allocated" in result.output
    assert "Pending (Unschedulable)" in result.output
    assert "FailedScheduling" in result.output and "SuccessfulCreate" in result.output
    filtered = wlc(applied, "describe", "big-train", "-n", NS, "--events-filter", "FailedScheduling").output
    assert "FailedScheduling" in filtered and "SuccessfulCreate" not in filtered
    running = wlc(applied, "describe", "chat-grpc", "-n", NS).output
    pods = [line.split() for line in running.splitlines() if line.startswith("  chat-grpc-")]
    assert len(pods) == 2 and all(p[1] == "Running" and p[2].startswith(("gpu-", "cpu-")) for p in pods)
    assert wlc(applied, "describe", "no-such", "-n", NS).exit_code == 2


def _requests(cluster: Cluster, *args: str) -> int:
    result = CliRunner().invoke(main, ["get", "--stats", "-o", "json", *args],
                                env={"KUBECONFIG": str(cluster.kubeconfig)})
    line = next(x for x in result.stderr.splitlines() if x.startswith("wlc get:"))
    return int(line.split(", ")[1].split()[0])


def test_requests_grow_with_kinds_not_workloads(applied: Cluster) -> None:
    before = _requests(applied, "-n", NS)
    more = [retarget("runai-nlp/eval-sweep", NS, ("eval-sweep", f"eval-{i}")) for i in range(10)]
    applied.kubectl("apply", "--server-side", "--field-manager=wlc", "-f", "-", input="---\n".join(more))
    assert len(rows(applied)) == 16
    assert _requests(applied, "-n", NS) == before
    assert _requests(applied, "-n", NS, "-n", "default") > before  # one more LIST per kind and namespace


def test_logs_returns_the_log_kwok_serves_for_the_pod(applied: Cluster, tmp_path: Path) -> None:
    # kwok's kubelet server serves tests/cluster's fixed log file for every container (ClusterLogs)
    whole = wlc(applied, "logs", "chat-grpc", "-n", NS)
    assert whole.exit_code == 0, whole.output
    assert whole.stdout.splitlines()[:2] == list(controlplane.POD_LOG_LINES)  # -f's test appends later lines
    last = wlc(applied, "logs", "chat-grpc", "-n", NS, "--tail", "1", "--container", "main")
    assert last.exit_code == 0, last.output
    assert len(last.stdout.splitlines()) == 1
    out = tmp_path / "chat.log"
    assert wlc(applied, "logs", "chat-grpc", "-n", NS, "--output", str(out)).exit_code == 0
    assert controlplane.POD_LOG_LINES[0] in out.read_text()
    assert wlc(applied, "logs", "chat-grpc", "-n", NS, "--pod", "nope").exit_code == 3


def test_logs_follow_streams_lines_as_the_log_grows(applied: Cluster) -> None:
    line = f"follow test {time.monotonic_ns()}"
    proc = subprocess.Popen([sys.executable, "-m", "compiler.cli", "logs", "chat-grpc", "-n", NS, "-f"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                            env={**os.environ, "KUBECONFIG": str(applied.kubeconfig)})
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().rstrip("\n") == controlplane.POD_LOG_LINES[0]
        with open(applied.workdir / controlplane.POD_LOG_FILE, "a") as log:
            log.write(f"2026-01-01T00:01:00.000000000Z stdout F {line}\n")
        got = [proc.stdout.readline().rstrip("\n") for _ in range(len(controlplane.POD_LOG_LINES))]
        assert line in got, got
        assert proc.poll() is None  # still streaming
    finally:
        proc.terminate()
        proc.wait(10)
    assert wlc(applied, "logs", "chat-grpc", "-n", NS, "-f", "--previous").exit_code == 2


def test_the_page_serves_the_cluster(applied: Cluster) -> None:
    import threading
    import urllib.request

    from compiler.cluster import fetch, kube
    from compiler.cluster.view import logs as wlogs
    from compiler.cluster.view import metrics as wmetrics
    from compiler.cluster.view import web
    client = kube.Kube(kube.load_configuration(str(applied.kubeconfig)))
    srv = web.serve(lambda: (fetch.fetch(client, (NS,)), {}), lambda w: list(fetch.events(client, w)),
                    lambda w: wlogs.first_pod_log(client, w), port=0,
                    metrics=lambda w: wmetrics.summary(wmetrics.read(client, w)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_address[1]}"
    try:
        page = urllib.request.urlopen(base + "/?status=Pending").read().decode()
        assert "big-train" in page and "chat-grpc" not in page.split('id="workloads"')[1]
        synced = urllib.request.urlopen(base + "/rows?sync=Synced").read().decode()
        assert "big-train" not in synced  # applied with kubectl: Unknown, not Synced
        assert "big-train" in urllib.request.urlopen(base + "/rows?sync=Unknown").read().decode()
        events = urllib.request.urlopen(base + f"/events?w={NS}/big-train&events=FailedScheduling").read().decode()
        assert "Insufficient nvidia.com/gpu" in events and "SuccessfulCreate" not in events
        log = urllib.request.urlopen(base + f"/logs?w={NS}/chat-grpc").read().decode()
        assert controlplane.POD_LOG_LINES[0] in log
        details = urllib.request.urlopen(base + f"/?w={NS}/chat-grpc").read().decode()
        assert "metrics unavailable: metrics.k8s.io not served" in details  # no metrics-server in this module
        assert 'id="detail-sync">Sync: <b>Unknown</b>' in details  # applied with kubectl, not by the agent
        stopped = urllib.request.urlopen(base + f"/logs?w={NS}/stopped-notebook").read().decode()
        assert stopped.startswith("no logs: workload stopped-notebook has no pods")
    finally:
        srv.shutdown()
        srv.server_close()
        client.close()
