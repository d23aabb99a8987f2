"""The status model (compiler/cluster/status.py) on objects recorded from the real test cluster
by tests/integration/record_status.py (tests/data/status/*.json)."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from compiler.cluster import fetch, status

DATA = Path(__file__).parent / "data" / "status"


def recorded(case: str) -> fetch.Workload:
    data: dict[str, Any] = json.loads((DATA / f"{case}.json").read_text())
    [w] = fetch.group_objects(data["objects"], data["pods"])
    return w


# case: (status, words in the message, running pods, requested pods, GPUs requested, GPUs allocated)
CASES: dict[str, tuple[str, str, int, int, float, float]] = {
    "job-completed": ("Completed", "", 0, 2, 2.0, 0.0),
    "job-pending-gpus": ("Pending", "Insufficient nvidia.com/gpu", 0, 1, 16.0, 0.0),
    "job-pending-node-affinity": ("Pending", "didn't match Pod's node affinity", 0, 1, 0.0, 0.0),
    "job-pending-pvc": ("Pending", 'persistentvolumeclaim "imagenet-ro" not found', 0, 1, 2.0, 0.0),
    "job-no-pod": ("Creating", "pods are being created", 0, 1, 2.0, 0.0),
    "job-stopped": ("Stopped", "", 0, 0, 16.0, 0.0),
    "job-resumed": ("Pending", "Unschedulable", 0, 1, 16.0, 0.0),
    "statefulset-running": ("Running", "", 1, 1, 1.0, 1.0),
    "statefulset-not-ready": ("Degraded", "notebook-lb-0: not ready", 0, 1, 1.0, 1.0),
    "statefulset-stopped": ("Stopped", "", 0, 0, 0.0, 0.0),
    "statefulset-pending-pvc": ("Pending", "jupyter-explore-0: Unschedulable", 0, 1, 1.0, 0.0),
    "deployment-running": ("Running", "", 2, 2, 2.0, 2.0),
    "deployment-not-ready": ("Degraded", "not ready", 0, 2, 2.0, 2.0),
    "deployment-hpa-running": ("Degraded", "not ready", 0, 1, 1.0, 1.0),
    "deployment-deleting": ("Deleting", "being deleted", 2, 2, 2.0, 2.0),
    "pytorchjob-no-operator": ("Creating", "pods are being created", 0, 4, 16.0, 0.0),
    "pytorchjob-op-running": ("Creating", "pods are being created", 0, 4, 16.0, 0.0),
    "tfjob-op-succeeded": ("Completed", "", 0, 2, 2.0, 0.0),
    "mpijob-op-failed": ("Failed", "launcher failed: exit code 1", 0, 3, 8.0, 0.0),
    "knative-no-controller": ("Creating", "serving controller", 0, 1, 1.0, 0.0),
    "knative-op-ready": ("Running", "", 0, 1, 1.0, 0.0),
    "kserve-op-not-ready": ("Failed", "RevisionMissing", 0, 2, 2.0, 0.0),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_recorded_status(case: str) -> None:
    want, words, running, requested, gpus, allocated = CASES[case]
    got = recorded(case).status()
    assert (got.status, got.running_pods, got.requested_pods) == (want, running, requested)
    assert (got.gpus_requested, got.gpus_allocated) == (gpus, allocated)
    assert words in got.message


def test_every_recording_has_a_case() -> None:
    assert {p.stem for p in DATA.glob("*.json")} == set(CASES)


def _with_pod_status(case: str, change: dict[str, Any]) -> fetch.Workload:
    w = recorded(case)
    w.pods = [copy.deepcopy(p) for p in w.pods]
    w.pods[0]["status"].update(change)
    return w


def test_image_pull_backoff_is_failed_with_its_reason() -> None:
    waiting = {"containerStatuses": [{"name": "main", "ready": False,
                                      "state": {"waiting": {"reason": "ImagePullBackOff",
                                                            "message": "Back-off pulling image"}}}],
               "phase": "Pending"}
    w = _with_pod_status("statefulset-running", waiting)
    got = w.status()
    assert got.status == "Failed" and "ImagePullBackOff: Back-off pulling image" in got.message


def test_one_of_two_replicas_failing_is_degraded() -> None:
    w = recorded("deployment-running")
    broken = copy.deepcopy(w.pods[1])
    broken["status"]["conditions"] = [c for c in broken["status"]["conditions"] if c["type"] != "Ready"]
    broken["status"]["containerStatuses"][0]["state"] = {"waiting": {"reason": "CrashLoopBackOff"}}
    w.pods = [w.pods[0], broken]
    assert w.status().status == "Degraded"


def test_suspended_job_with_pods_left_is_suspending() -> None:
    w = recorded("job-pending-gpus")
    for o in w.objects:
        if o["kind"] == "Job":
            o["spec"]["suspend"] = True
    assert w.status().status == "Suspending"


def test_suspended_condition_without_suspend_is_resuming() -> None:
    w = recorded("job-stopped")
    job = next(o for o in w.objects if o["kind"] == "Job")
    job["spec"]["suspend"] = False
    assert status.is_true(status.conditions(job), "Suspended")
    assert w.status().status == "Resuming"


def test_only_the_parent_is_creating() -> None:
    w = recorded("job-completed")
    w.objects = [o for o in w.objects if o["kind"] == "ConfigMap"]
    w.pods = []
    assert w.status().status == "Creating"
