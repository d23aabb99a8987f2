"""Workload metrics against the real control plane: without metrics-server `wlc describe` says
metrics.k8s.io is not served; with a real metrics-server (built from Go modules by
tests/cluster/build-metrics-server.sh, scraping the resource usage kwok emulates for its pods,
served through the API server's aggregation layer) it shows each container's CPU and memory."""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aggregation
import buildprogress
import metricsserver
import pytest
from click.testing import CliRunner, Result
from controlplane import Cluster, ClusterError

from compiler import quantity
from compiler.cli import main
from compiler.cluster import fetch, kube
from compiler.cluster.view import metrics

pytestmark = pytest.mark.cluster

REPO = Path(__file__).resolve().parents[2]
NS = "v14-metrics"


def wlc(cluster: Cluster, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"KUBECONFIG": str(cluster.kubeconfig)})


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def applied(cluster: Cluster) -> Cluster:
    cluster.ensure_namespace(NS)
    text = (REPO / "tests" / "golden" / "base" / "runai-nlp" / "chat-grpc.yaml").read_text()
    cluster.kubectl("apply", "--server-side", "--field-manager=wlc", "-f", "-",
                    input=text.replace("namespace: runai-nlp\n", f"namespace: {NS}\n"))
    end = time.monotonic() + 90
    while time.monotonic() < end and "2/2" not in wlc(cluster, "get", "-n", NS).stdout:
        time.sleep(1)
    return cluster


def binary(config: pytest.Config) -> Path:
    path = metricsserver.binary_path()
    if os.access(path, os.X_OK):
        return path
    reason = buildprogress.cannot_build("metrics-server", "tests/cluster/build-metrics-server.sh")
    if reason:
        _unavailable(reason)
    log = path.parent.parent / "metrics-server-build.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    capture = config.pluginmanager.getplugin("capturemanager")
    with open(log, "w") as out, capture.global_and_fixture_disabled():
        rc = buildprogress.run_with_progress(["bash", str(metricsserver.BUILD_SH)], out, sys.stderr,
                                             cache=path.parent, skip_hint="skip with: python -m pytest -m 'not cluster'",
                                             what="metrics-server", first_run="up to 26 min on a busy 2-core machine")
    if rc != 0 or not os.access(path, os.X_OK):
        pytest.fail(f"build-metrics-server.sh failed ({rc}), log {log}", pytrace=False)
    return path


@pytest.fixture(scope="module")
def served(applied: Cluster, pytestconfig: pytest.Config) -> Iterator[Cluster]:
    address = metricsserver.host_address()
    if address is None:
        _unavailable("no non-loopback address for metrics-server's endpoint")
    assert address is not None
    try:
        server = metricsserver.start(applied, binary(pytestconfig), address)
    except ClusterError as err:
        pytest.fail(str(err), pytrace=False)
    try:
        yield applied
    finally:
        server.stop()


def test_without_metrics_server_describe_says_metrics_are_not_served(applied: Cluster) -> None:
    result = wlc(applied, "describe", "chat-grpc", "-n", NS)
    assert result.exit_code == 0, result.output
    assert "Metrics:       metrics unavailable: metrics.k8s.io not served" in result.stdout


def test_with_metrics_server_describe_shows_cpu_and_memory_per_container(served: Cluster) -> None:
    client = kube.Kube(kube.load_configuration(str(served.kubeconfig)))
    w = next(x for x in fetch.fetch(client, (NS,)) if x.name == "chat-grpc")
    end = time.monotonic() + 90
    usage = metrics.read(client, w)
    while time.monotonic() < end and len(usage.containers) < 2:  # a pod needs two scrapes for a CPU rate
        time.sleep(3)
        usage = metrics.read(client, w)
    client.close()
    assert not usage.unavailable and len(usage.containers) == 2, usage
    memory = quantity.parse(aggregation.DEFAULT_MEMORY)
    assert all(c.memory_bytes == memory for c in usage.containers)  # kwok's emulated usage, per container
    assert all(0.2 <= c.cpu_cores <= 0.3 for c in usage.containers), usage  # 250m, as a rate over the window
    text = wlc(served, "describe", "chat-grpc", "-n", NS).stdout
    assert "Metrics:       CPU " in text and "memory 128Mi" in text and "(metrics.k8s.io)" in text
