"""The MPI example (examples/workloads/recsys/mpi-allreduce.yaml), built by wlc, reconciled by the
real MPI operator (v0.8.0, kubeflow.org/v2beta1) on the local control plane: the hostfile names
two workers with four slots each, the workers ask for 4 GPUs and run sshd, the launcher is a
batch Job (kwok completes it) with no GPU and the mpirun command, and the MPIJob goes Succeeded.
wlc's ``launcherCreationPolicy: WaitForWorkersReady`` is shown too: while the workers cannot be
scheduled, the operator creates no launcher; it does once both are Ready."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from controlplane import Cluster, FakeNode
from operators import Operator

from compiler import pipeline
from tests.integration.operators_fixture import mpi_operator

__all__ = ["mpi_operator"]  # the session fixture, imported to be found by pytest
pytestmark = pytest.mark.cluster

REPO = Path(__file__).resolve().parents[2]
NAME, NS = "mpi-allreduce", "runai-recsys"


def bundle() -> list[dict[str, Any]]:
    res = pipeline.build(REPO)
    assert res.ok, [p.text() for p in res.problems]
    found = next(b for b in res.bundles if b.name == NAME)
    return list(yaml.safe_load_all(res.files[found.relpath]))


def watch_pods(cluster: Cluster, seen: dict[str, dict[str, Any]], stop: threading.Event) -> None:
    """Record every pod of the job: with cleanPodPolicy Running the workers go once it succeeds."""
    while not stop.is_set():
        result = cluster.kubectl("get", "pods", "-n", NS, "-o", "json", check=False)
        if result.returncode == 0:
            for pod in json.loads(result.stdout)["items"]:
                if pod["metadata"]["name"].startswith(NAME):
                    seen.setdefault(pod["metadata"]["name"], pod)
        time.sleep(0.2)


def succeeded(cluster: Cluster) -> bool:
    job = cluster.kubectl_json("get", "mpijob", NAME, "-n", NS)
    return any(c["type"] == "Succeeded" and c["status"] == "True"
               for c in job.get("status", {}).get("conditions", []))


def test_mpi_example_becomes_launcher_and_workers(cluster: Cluster, mpi_operator: Operator) -> None:
    cluster.ensure_namespace(NS)
    seen: dict[str, dict[str, Any]] = {}
    stop = threading.Event()
    watcher = threading.Thread(target=watch_pods, args=(cluster, seen, stop), daemon=True)
    watcher.start()
    try:
        cluster.kubectl("apply", "--server-side", "--field-manager=wlc", "-f", "-",
                        input=json.dumps({"apiVersion": "v1", "kind": "List", "items": bundle()}))
        deadline = time.monotonic() + 180
        while not (succeeded(cluster) and {f"{NAME}-worker-0", f"{NAME}-worker-1"} <= seen.keys()):
            assert time.monotonic() < deadline, f"MPIJob not Succeeded:\n{mpi_operator.log_tail(20)}"
            assert mpi_operator.proc.alive(), mpi_operator.log_tail()
            time.sleep(1)
    finally:
        stop.set()
        watcher.join(timeout=10)
    hostfile = cluster.kubectl_json("get", "configmap", f"{NAME}-config", "-n", NS)["data"]["hostfile"]
    assert hostfile.splitlines() == [f"{NAME}-worker-{i}.{NAME}.{NS}.svc slots=4" for i in range(2)]
    workers = [p for n, p in seen.items() if "-worker-" in n]
    assert len(workers) == 2
    for pod in workers:
        main = pod["spec"]["containers"][0]
        assert main["command"] == ["/usr/sbin/sshd", "-De"]
        assert main["resources"]["limits"]["nvidia.com/gpu"] in (4, "4")
    launcher = cluster.kubectl_json("get", "job", f"{NAME}-launcher", "-n", NS)
    spec = launcher["spec"]["template"]["spec"]["containers"][0]
    assert spec["command"][:3] == ["mpirun", "-np", "8"]
    assert "nvidia.com/gpu" not in spec["resources"].get("limits", {})
    assert launcher["status"].get("succeeded") == 1  # kwok completed the launcher Job's pod
    cluster.kubectl("delete", "mpijob", NAME, "-n", NS, "--wait=true", "--timeout=60s")


LATE, LATE_POOL = "mpi-wait", "late-pool"


def late_job() -> dict[str, Any]:
    """The example's MPIJob as wlc built it, renamed, its workers pinned to a pool with no node yet
    (and kept once the job is done, to read when they became Ready)."""
    job = next(o for o in bundle() if o["kind"] == "MPIJob")
    assert job["spec"]["launcherCreationPolicy"] == "WaitForWorkersReady"
    job["metadata"] = {"name": LATE, "namespace": NS, "labels": {"wlc.dev/workload": LATE}}
    worker = job["spec"]["mpiReplicaSpecs"]["Worker"]["template"]["spec"]
    worker["nodeSelector"] = {"run.ai/node-pool": LATE_POOL}
    job["spec"]["runPolicy"]["cleanPodPolicy"] = "None"  # keep the workers after kwok ends the launcher
    return job


def worker_pods(cluster: Cluster) -> list[dict[str, Any]]:
    items = cluster.kubectl_json("get", "pods", "-n", NS).get("items", [])
    return [p for p in items if p["metadata"]["name"].startswith(f"{LATE}-worker-")]


def ready(pod: dict[str, Any]) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod.get("status", {}).get("conditions", []))


def launcher_exists(cluster: Cluster) -> bool:
    return cluster.kubectl("get", "job", f"{LATE}-launcher", "-n", NS, check=False).returncode == 0


def wait_for(what: str, ok: Any, op: Operator, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not ok():
        assert time.monotonic() < deadline, f"{what}:\n{op.log_tail(20)}"
        assert op.proc.alive(), op.log_tail()
        time.sleep(0.5)


def test_launcher_is_created_only_after_the_workers_are_ready(cluster: Cluster, mpi_operator: Operator) -> None:
    cluster.ensure_namespace(NS)
    node = FakeNode("gpu-late-0", LATE_POOL, "dgx-late", 8, "NVIDIA-A100-SXM4-80GB")
    cluster.kubectl("apply", "--server-side", "--field-manager=wlc", "-f", "-", input=json.dumps(late_job()))
    try:
        wait_for("no worker pods", lambda: len(worker_pods(cluster)) == 2, mpi_operator)
        deadline = time.monotonic() + 8  # the operator has reconciled (it made the workers): no launcher
        while time.monotonic() < deadline:
            assert not any(ready(p) for p in worker_pods(cluster))
            assert not launcher_exists(cluster), "launcher created before the workers were Ready"
            time.sleep(0.5)
        cluster.kubectl("apply", "-f", "-", input=json.dumps(node.manifest()))
        wait_for("no launcher after the workers became Ready", lambda: launcher_exists(cluster), mpi_operator)
        created = cluster.kubectl_json("get", "job", f"{LATE}-launcher", "-n", NS)["metadata"]["creationTimestamp"]
        pods = worker_pods(cluster)
        assert len(pods) == 2 and all(ready(p) for p in pods)
        for pod in pods:
            since = next(c["lastTransitionTime"] for c in pod["status"]["conditions"] if c["type"] == "Ready")
            assert since <= created  # RFC 3339 UTC, whole seconds: compares as text
    finally:
        cluster.kubectl("delete", "mpijob", LATE, "-n", NS, "--ignore-not-found", "--wait=true", "--timeout=60s")
        cluster.kubectl("delete", "node", node.name, "--ignore-not-found", "--wait=false")
