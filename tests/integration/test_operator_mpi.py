"""The MPI example (examples/workloads/recsys/mpi-allreduce.yaml), built by wlc, reconciled by the
real MPI operator (v0.8.0, kubeflow.org/v2beta1) on the local control plane: the hostfile names
two workers with four slots each, the workers ask for 4 GPUs and run sshd, the launcher is a
batch Job (kwok completes it) with no GPU and the mpirun command, and the MPIJob goes Succeeded."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from controlplane import Cluster
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
