"""CPU and memory of a workload from metrics.k8s.io PodMetrics (compiler/cluster/view/metrics.py):
only the workload's running pods count, quantities in any suffix, and a clear 'unavailable'."""
from __future__ import annotations

from typing import Any

from compiler.cluster.fetch import Workload
from compiler.cluster.view import metrics


def pod(name: str, phase: str = "Running") -> dict[str, Any]:
    return {"metadata": {"name": name}, "status": {"phase": phase}}


def item(name: str, cpu: str, memory: str) -> dict[str, Any]:
    # the shape metrics-server serves (metrics.k8s.io/v1beta1 PodMetrics)
    return {"metadata": {"name": name, "namespace": "ns"}, "timestamp": "2026-12-01T22:00:00Z", "window": "15s",
            "containers": [{"name": "main", "usage": {"cpu": cpu, "memory": memory}}]}


def test_usage_sums_the_workloads_running_pods_only() -> None:
    w = Workload("w", "ns", pods=[pod("w-0"), pod("w-1"), pod("w-2", "Succeeded")])
    u = metrics.usage_of(w, [item("w-0", "250m", "512Mi"), item("w-1", "500000000n", "524288Ki"),
                             item("other-0", "4", "1Gi"), item("w-2", "1", "1Gi")])
    assert [c.pod for c in u.containers] == ["w-0", "w-1"]
    assert (u.cpu_cores, u.memory_bytes) == (0.75, 2 * 512 * 2**20)
    assert metrics.summary(u) == "CPU 750m cores, memory 1024Mi over 15 s (metrics.k8s.io)"
    text = "\n".join(metrics.lines(u))
    assert "w-1   main        500m" in text


def test_pods_without_metrics_and_an_api_not_served_say_so() -> None:
    w = Workload("w", "ns", pods=[pod("w-0")])
    assert metrics.summary(metrics.usage_of(w, [])) == "no running pod has metrics yet (w-0)"
    assert metrics.summary(metrics.Usage(unavailable=metrics.NOT_SERVED)).startswith(
        "metrics unavailable: metrics.k8s.io not served")


def test_the_window_is_shown_in_whole_seconds_and_anything_else_as_it_came() -> None:
    cases = {"14.989s": "15 s", "1m0.5s": "60 s", "2h": "7200 s", "30s": "30 s", "1m": "60 s",
             "500ms": "500ms", "soon": "soon", "": ""}
    assert {w: metrics.seconds_text(w) for w in cases} == cases
