"""Workload metrics against the real control plane: without metrics-server `wlc describe` says
metrics.k8s.io is not served; with a real metrics-server (built from Go modules by
tests/cluster/build-metrics-server.sh, scraping the resource usage kwok emulates for its pods,
served through the API server's aggregation layer) it shows each container's CPU and memory.
GPU utilization and memory: a real Prometheus scrapes the DCGM exporter series kwok emulates;
`wlc describe --prometheus` and the page (headless chromium) show them."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aggregation
import buildprogress
import dcgm
import metricsserver
import prometheus
import pytest
from click.testing import CliRunner, Result
from controlplane import Cluster, ClusterError

from compiler import quantity
from compiler.cli import main
from compiler.cluster import fetch, kube
from compiler.cluster.fetch import Workload
from compiler.cluster.view import gpumetrics, metrics
from tests.integration.sync_support import Running, commit_repo
from tests.integration.test_view_browser import (
    NO_SIDEWAYS_SCROLL,
    browser,  # noqa: F401 -- the headless chromium fixture
)

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


# ---------------------------------------------------------------------------------------------
# GPU utilization and memory: kwok emulates the DCGM exporter (tests/cluster/dcgm.py), a real
# Prometheus (Debian's package) scrapes it (tests/cluster/prometheus.py), wlc queries Prometheus.

PAGE_SHOT = Path(os.environ.get("WLC_VIEW_SCREENSHOTS", "/tmp")) / "wlc-view-gpu.png"
NO_PROMETHEUS: dict[str, str | None] = {"WLC_PROMETHEUS": None}


@pytest.fixture(scope="module")
def prom(applied: Cluster) -> Iterator[str]:
    exe = prometheus.binary()
    if exe is None:
        _unavailable("no prometheus: apt-get install -y prometheus (.ci/run does)")
    assert exe is not None
    try:
        server = prometheus.start(applied, exe)
    except ClusterError as err:
        pytest.fail(str(err), pytrace=False)
    try:
        yield server.url
    finally:
        server.stop()


def _chat_grpc(cluster: Cluster) -> Workload:
    client = kube.Kube(kube.load_configuration(str(cluster.kubeconfig)))
    try:
        return next(x for x in fetch.fetch(client, (NS,)) if x.name == "chat-grpc")
    finally:
        client.close()


@pytest.fixture(scope="module")
def gpu_usage(applied: Cluster, prom: str) -> gpumetrics.GpuUsage:
    """The first pod annotated 55 % utilization and 30000 MiB used (kwok reads it at each scrape),
    the other left at dcgm.DEFAULT_*; waits until Prometheus has scraped both."""
    w = _chat_grpc(applied)
    first = gpumetrics.running_pods(w)[0]
    applied.kubectl("annotate", "pod", "-n", NS, first, "--overwrite", f"{dcgm.UTIL_ANNOTATION}=55",
                    f"{dcgm.FB_USED_ANNOTATION}=30000")
    end = time.monotonic() + 60
    usage = gpumetrics.read(prom, w)
    while time.monotonic() < end and sorted(g.util or 0 for g in usage.gpus) != [55, dcgm.DEFAULT_UTIL]:
        time.sleep(1)
        usage = gpumetrics.read(prom, w)
    assert not usage.unavailable and len(usage.gpus) == 2, usage
    return usage


def test_describe_without_prometheus_says_gpu_metrics_are_not_read(applied: Cluster) -> None:
    result = CliRunner().invoke(main, ["describe", "chat-grpc", "-n", NS],
                                env={"KUBECONFIG": str(applied.kubeconfig), **NO_PROMETHEUS})
    assert result.exit_code == 0, result.output
    assert "GPU metrics: no --prometheus given" in result.stdout


def test_gpu_utilization_and_memory_per_gpu_from_prometheus(gpu_usage: gpumetrics.GpuUsage) -> None:
    by_util = sorted(gpu_usage.gpus, key=lambda g: g.util or 0)
    assert [(g.util, g.used_mib, g.free_mib) for g in by_util] == [
        (55, 30000, dcgm.FB_TOTAL - 30000),
        (dcgm.DEFAULT_UTIL, dcgm.DEFAULT_FB_USED, dcgm.FB_TOTAL - dcgm.DEFAULT_FB_USED)]
    assert {g.container for g in gpu_usage.gpus} == {"main"} and all(g.model for g in gpu_usage.gpus)
    assert gpu_usage.util == (55 + dcgm.DEFAULT_UTIL) / 2


def test_describe_shows_gpu_metrics_with_the_option_and_the_env_var(applied: Cluster, prom: str,
                                                                     gpu_usage: gpumetrics.GpuUsage) -> None:
    env = {"KUBECONFIG": str(applied.kubeconfig)}
    by_option = CliRunner().invoke(main, ["describe", "chat-grpc", "-n", NS, "--prometheus", prom],
                                   env={**env, **NO_PROMETHEUS})
    by_env = CliRunner().invoke(main, ["describe", "chat-grpc", "-n", NS], env={**env, "WLC_PROMETHEUS": prom})
    util = f"{(55 + dcgm.DEFAULT_UTIL) / 2:.0f}%"
    used = f"{30000 + dcgm.DEFAULT_FB_USED}Mi of {2 * dcgm.FB_TOTAL}Mi"
    for result in (by_option, by_env):
        assert result.exit_code == 0, result.output
        assert f"GPU metrics:   GPU utilization {util} (average of 2 GPU(s)), GPU memory {used}" in result.stdout
        assert "55%" in result.stdout and f"{dcgm.DEFAULT_UTIL}%" in result.stdout  # a line per GPU


def test_get_shows_a_gpu_utilization_column_with_prometheus(applied: Cluster, prom: str,
                                                            gpu_usage: gpumetrics.GpuUsage) -> None:
    env = {"KUBECONFIG": str(applied.kubeconfig), **NO_PROMETHEUS}
    util = f"{(55 + dcgm.DEFAULT_UTIL) / 2:.0f}%"
    table = CliRunner().invoke(main, ["get", "-n", NS, "--prometheus", prom], env=env)
    assert table.exit_code == 0, table.output
    assert "GPU UTILIZATION" in table.stdout.splitlines()[0] and util in table.stdout
    rows = json.loads(CliRunner().invoke(main, ["get", "-n", NS, "--prometheus", prom, "-o", "json",
                                                "--columns", "workload,gpu-util"], env=env).stdout)
    assert rows == [{"workload": "chat-grpc", "gpu-util": util}]
    without = CliRunner().invoke(main, ["get", "-n", NS, "--columns", "workload,gpu-util"], env=env)
    assert without.exit_code == 0 and "GPU metrics: no --prometheus given" in without.stderr


def test_a_prometheus_that_is_down_is_a_clear_message(applied: Cluster) -> None:
    import controlplane
    url = f"http://127.0.0.1:{controlplane.free_port()}"
    result = CliRunner().invoke(main, ["describe", "chat-grpc", "-n", NS, "--prometheus", url],
                                env={"KUBECONFIG": str(applied.kubeconfig)})
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    assert f"GPU metrics:   GPU metrics unavailable: Prometheus at {url} did not answer" in result.stdout
    bad = CliRunner().invoke(main, ["describe", "chat-grpc", "-n", NS, "--prometheus", "localhost:9090"],
                             env={"KUBECONFIG": str(applied.kubeconfig)})
    assert bad.exit_code == 0 and "is not an http(s) URL" in bad.stdout, bad.output
    table = CliRunner().invoke(main, ["get", "-n", NS, "--prometheus", url], env={"KUBECONFIG": str(applied.kubeconfig)})
    assert table.exit_code == 0 and "chat-grpc" in table.stdout and "Traceback" not in table.output, table.output
    assert f"wlc get: GPU metrics unavailable: Prometheus at {url} did not answer" in table.stderr


def test_hostile_names_cannot_inject_promql(prom: str, gpu_usage: gpumetrics.GpuUsage) -> None:
    injected = f'{NS}"}} or vector(1) or {{__name__="x'
    raw = f'{{__name__="{gpumetrics.UTIL}",namespace="{injected}"}}'  # what pasting the name would send
    assert _query(prom, raw)["data"]["result"] != []  # the injection works on an unescaped query
    pod = {"metadata": {"name": gpu_usage.gpus[0].pod}, "status": {"phase": "Running"}}
    for namespace, name in ((injected, "x"), (NS, '.*"} or vector(1) or {__name__="x'), (NS, ".*"), (NS, "chat-grpc-.*")):
        hostile = Workload("chat-grpc", namespace, pods=[{**pod, "metadata": {"name": name}}])
        assert _query(prom, gpumetrics.query(namespace, [name]))["data"]["result"] == []
        assert gpumetrics.read(prom, hostile) == gpumetrics.GpuUsage(missing_pods=(name,))


def _query(prom: str, text: str) -> dict[str, Any]:
    body = urllib.parse.urlencode({"query": text}).encode()
    with urllib.request.urlopen(f"{prom}/api/v1/query", data=body, timeout=10) as r:
        answer: dict[str, Any] = json.load(r)
    assert answer["status"] == "success", answer
    return answer


def test_the_page_shows_gpu_metrics_in_chromium(applied: Cluster, prom: str, gpu_usage: gpumetrics.GpuUsage,
                                                browser: Any) -> None:  # noqa: F811 -- the imported fixture
    from selenium.webdriver.common.by import By
    env = {**os.environ, "KUBECONFIG": str(applied.kubeconfig)}
    proc = subprocess.Popen([sys.executable, "-m", "compiler.cli", "view", "--port", "0", "-n", NS,
                             "--prometheus", prom], env=env, stderr=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        url = line.split()[2] if line.startswith("wlc view: http") else pytest.fail(f"wlc view said {line!r}")
        browser.get(f"{url}?w={NS}/chat-grpc")
        text = browser.find_element(By.ID, "gpu-metrics").text
        assert text.startswith(f"GPU utilization {(55 + dcgm.DEFAULT_UTIL) / 2:.0f}% (average of 2 GPU(s))"), text
        rows = [tr.text for tr in browser.find_elements(By.CSS_SELECTOR, "#gpus tbody tr")]
        assert len(rows) == 2 and any("55%" in r and f"30000 / {dcgm.FB_TOTAL}Mi" in r for r in rows), rows
        assert browser.execute_script(NO_SIDEWAYS_SCROLL), "the page scrolls sideways"
        browser.execute_script("document.getElementById('gpu-metrics').scrollIntoView({block: 'center'})")
        browser.save_screenshot(str(PAGE_SHOT))
        browser.get(f"{url}?col=workload&col=gpu-util")
        cells = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "#workloads tbody td")]
        assert cells == ["chat-grpc", f"{(55 + dcgm.DEFAULT_UTIL) / 2:.0f}%"], cells
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_agents_page_shows_gpu_metrics_from_prometheus(applied: Cluster, prom: str,
                                                           gpu_usage: gpumetrics.GpuUsage, tmp_path: Path) -> None:
    """`wlc agent --view-listen --prometheus`: the page the agent serves in the cluster reads the
    same Prometheus. The agent follows a real git repository with another workload in NS. It
    does not delete chat-grpc (not in its git): that was applied by hand from a bundle made for
    another namespace, so its parent's ApplySet id is not the one of its name here, and the
    agent refuses (as --max-delete 0 would). It stays, metrics and all."""
    origin = tmp_path / "origin"
    commit_repo(origin, NS, {"pv1": "python:3.12"}, "one workload")
    running = Running(["--git", origin.as_uri(), "--interval", "2s", "--view-listen", "127.0.0.1:0",
                       "--prometheus", prom, "--max-delete", "0", "--cache", str(tmp_path / "cache"),
                       "--kubeconfig", str(applied.kubeconfig), "--namespace", NS])
    try:
        listening = running.wait_for("view-listening", mode="read-only")
        assert listening["prometheus"] == prom
        url = f"http://127.0.0.1:{listening['port']}/?w={NS}/chat-grpc"
        with urllib.request.urlopen(url, timeout=30) as resp:
            page = resp.read().decode()
        average = f"GPU utilization {(55 + dcgm.DEFAULT_UTIL) / 2:.0f}% (average of 2 GPU(s))"
        assert f'<p id="gpu-metrics">{average}' in page, page[:3000]
        step = running.wait_for(("synced", "sync-failed"), timeout=120)
        assert "not deleted" in step["failed"][f"{NS}/chat-grpc"], json.dumps(step)
    finally:
        running.proc.send_signal(signal.SIGTERM)
        running.proc.wait(timeout=30)
    assert "chat-grpc" in wlc(applied, "get", "-n", NS).stdout

