"""Smoke test of the local control plane with a Training bundle (a batch/v1 Job asking for a GPU).

Shows: the Job controller creates pods, the scheduler puts them on fake GPU nodes and respects
nvidia.com/gpu capacity, kwok runs them to Succeeded so the Job completes, the garbage collector
removes a deleted Job's pods, and the TTL-after-finished controller deletes a finished Job.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from controlplane import Cluster

pytestmark = pytest.mark.cluster

NAMESPACE = "runai-team-a"
PROJECT = "team-a"


def training_job(name: str, gpus: int = 1, pods: int = 1, ttl: int | None = None, pool: str | None = None) -> str:
    """A Training bundle as wlc lowers it: one batch/v1 Job with the bundle's labels."""
    labels = {
        "app.kubernetes.io/managed-by": "wlc",
        "wlc.dev/workload": name,
        "wlc.dev/project": PROJECT,
        "wlc.dev/workload-type": "training",
        "applyset.kubernetes.io/part-of": f"applyset-test-{name}-v1",
    }
    spec: dict[str, Any] = {
        "backoffLimit": 0,
        "completions": pods,
        "parallelism": pods,
        "template": {
            "metadata": {"labels": {"wlc.dev/workload": name, "wlc.dev/project": PROJECT}},
            "spec": {
                "restartPolicy": "Never",
                "containers": [
                    {
                        "name": name,
                        "image": "registry.example/train:1.0",
                        "command": ["python", "train.py"],
                        "resources": {
                            "requests": {"cpu": "1", "memory": "1Gi", "nvidia.com/gpu": str(gpus)},
                            "limits": {"nvidia.com/gpu": str(gpus)},
                        },
                    }
                ],
            },
        },
    }
    if ttl is not None:
        spec["ttlSecondsAfterFinished"] = ttl
    if pool is not None:
        spec["template"]["spec"]["nodeSelector"] = {"run.ai/node-pool": pool}
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": NAMESPACE,
            "labels": labels,
            "annotations": {"wlc.dev/spec-hash": "sha256:test", "wlc.dev/source": f"{PROJECT}/{name}.yaml"},
        },
        "spec": spec,
    }
    return json.dumps(job)


def eventually(what: str, check: Callable[[], bool], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout:.0f}s: {what}")


def pods_of(cluster: Cluster, job: str) -> list[dict[str, Any]]:
    data = cluster.kubectl_json("get", "pods", "-n", NAMESPACE, "-l", f"batch.kubernetes.io/job-name={job}")
    return list(data["items"])


def job_exists(cluster: Cluster, job: str) -> bool:
    result = cluster.kubectl("get", "job", job, "-n", NAMESPACE, "--ignore-not-found", "-o", "name")
    return bool(result.stdout.strip())


def gpu_capacity(cluster: Cluster) -> dict[str, int]:
    nodes = cluster.kubectl_json("get", "nodes")["items"]
    return {
        n["metadata"]["name"]: int(n["status"]["allocatable"].get("nvidia.com/gpu", "0"))
        for n in nodes
    }


def apply(cluster: Cluster, manifest: str) -> None:
    cluster.kubectl("apply", "--server-side", "--field-manager=wlc", "-f", "-", input=manifest)


@pytest.fixture(scope="module")
def ns(cluster: Cluster) -> str:
    cluster.ensure_namespace(NAMESPACE)
    return NAMESPACE


def test_fake_gpu_nodes_are_ready(cluster: Cluster) -> None:
    nodes = cluster.kubectl_json("get", "nodes")["items"]
    pools = {n["metadata"]["labels"]["run.ai/node-pool"] for n in nodes}
    assert {"a100", "h100", "default"} <= pools
    for node in nodes:
        conditions = {c["type"]: c["status"] for c in node["status"]["conditions"]}
        assert conditions["Ready"] == "True", node["metadata"]["name"]
    assert gpu_capacity(cluster)["gpu-h100-0"] == 8


def test_training_job_runs_on_gpu_nodes_and_completes(cluster: Cluster, ns: str) -> None:
    apply(cluster, training_job("smoke-train", gpus=1, pods=3))
    cluster.kubectl("wait", "-n", ns, "--for=condition=Complete", "--timeout=120s", "job/smoke-train")
    pods = pods_of(cluster, "smoke-train")
    assert len(pods) == 3
    capacity = gpu_capacity(cluster)
    for pod in pods:
        assert pod["status"]["phase"] == "Succeeded"
        assert capacity[pod["spec"]["nodeName"]] >= 1, pod["spec"]["nodeName"]
        assert pod["metadata"]["labels"]["wlc.dev/workload"] == "smoke-train"
    job = cluster.kubectl_json("get", "job", "smoke-train", "-n", ns)
    assert job["status"]["succeeded"] == 3


def test_node_pool_selector_is_respected(cluster: Cluster, ns: str) -> None:
    apply(cluster, training_job("smoke-h100", gpus=8, pool="h100"))
    cluster.kubectl("wait", "-n", ns, "--for=condition=Complete", "--timeout=120s", "job/smoke-h100")
    (pod,) = pods_of(cluster, "smoke-h100")
    assert pod["spec"]["nodeName"] == "gpu-h100-0"


def test_gpu_request_above_node_capacity_stays_pending(cluster: Cluster, ns: str) -> None:
    apply(cluster, training_job("smoke-too-big", gpus=9))

    def unschedulable() -> bool:
        pods = pods_of(cluster, "smoke-too-big")
        if not pods:
            return False
        conditions = {c["type"]: c for c in pods[0]["status"].get("conditions", [])}
        scheduled = conditions.get("PodScheduled", {})
        return scheduled.get("status") == "False" and "nvidia.com/gpu" in scheduled.get("message", "")

    eventually("pod asking for 9 GPUs reported unschedulable for nvidia.com/gpu", unschedulable)
    (pod,) = pods_of(cluster, "smoke-too-big")
    assert not pod["spec"].get("nodeName")
    cluster.kubectl("delete", "job", "smoke-too-big", "-n", ns, "--cascade=background", "--wait=false")


def test_background_delete_lets_gc_remove_pods(cluster: Cluster, ns: str) -> None:
    apply(cluster, training_job("smoke-gc", gpus=1, pods=2))
    cluster.kubectl("wait", "-n", ns, "--for=condition=Complete", "--timeout=120s", "job/smoke-gc")
    assert len(pods_of(cluster, "smoke-gc")) == 2
    cluster.kubectl("delete", "job", "smoke-gc", "-n", ns, "--cascade=background", "--wait=false")
    eventually("Job smoke-gc deleted", lambda: not job_exists(cluster, "smoke-gc"))
    eventually("garbage collector removed the pods of smoke-gc", lambda: not pods_of(cluster, "smoke-gc"))


def test_ttl_after_finished_zero_deletes_job(cluster: Cluster, ns: str) -> None:
    apply(cluster, training_job("smoke-ttl", gpus=1, ttl=0))
    eventually("Job smoke-ttl deleted by the TTL-after-finished controller", lambda: not job_exists(cluster, "smoke-ttl"))
    eventually("pods of smoke-ttl removed", lambda: not pods_of(cluster, "smoke-ttl"))
    # The Job was deleted because it finished: its controller recorded the completion first.
    events = cluster.kubectl_json(
        "get", "events", "-n", ns, "--field-selector", "involvedObject.kind=Job,involvedObject.name=smoke-ttl"
    )["items"]
    assert "Completed" in {e["reason"] for e in events}, [e["reason"] for e in events]
