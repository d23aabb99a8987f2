"""Runs of Training and Distributed jobs: the parent's status records each run (spec hash, uid,
start, completion, result) from the job's status as seen at sync time, and ``spec.rerun`` starts a
new run of an unchanged spec. The pure functions first, then against the real control plane."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from controlplane import Cluster

from compiler.cli.sync import built_bundle
from compiler.cluster import engine, kube, plan, runs, source
from tests.integration.sync_support import wait_until, write_repo

NS = "s17r-runs"


def job(uid: str, status: dict[str, Any], spec: dict[str, Any] | None = None, kind: str = "Job") -> dict[str, Any]:
    return {"kind": kind, "metadata": {"name": "j1", "uid": uid, "annotations": {"wlc.dev/spec-hash": "h1"}},
            "spec": spec or {}, "status": status}


def test_observe_reads_start_completion_and_result_of_each_run_kind() -> None:
    done = job("u1", {"startTime": "2026-01-01T00:00:00Z", "completionTime": "2026-01-01T00:05:00Z",
                      "conditions": [{"type": "Complete", "status": "True"}]})
    assert runs.observe(done) == {"uid": "u1", "kind": "Job", "name": "j1", "specHash": "h1", "result": "succeeded",
                                  "start": "2026-01-01T00:00:00Z", "completion": "2026-01-01T00:05:00Z"}
    failed = job("u2", {"startTime": "t0", "conditions": [
        {"type": "Running", "status": "False"}, {"type": "Failed", "status": "True", "lastTransitionTime": "t9"}]},
        kind="PyTorchJob")
    assert (runs.observe(failed)["result"], runs.observe(failed)["completion"]) == ("failed", "t9")
    assert runs.observe(job("u3", {}, {"suspend": True}))["result"] == "suspended"
    assert runs.observe(job("u4", {}, {"runPolicy": {"suspend": True}}, "MPIJob"))["result"] == "suspended"
    assert runs.observe(job("u5", {"startTime": "t0"}))["result"] == "running"
    assert runs.observe(job("u6", {}))["result"] == "pending"


def test_the_history_keeps_each_run_in_place_and_is_bounded() -> None:
    first = runs.merged([], [job("u1", {})])
    later = runs.merged(first, [job("u2", {}), job("u1", {"startTime": "t0"})])
    assert [(e["uid"], e["result"]) for e in later] == [("u1", "running"), ("u2", "pending")]
    assert runs.merged(later, [job("u1", {"startTime": "t0"})]) == later  # unchanged: the same text, no write
    many = runs.merged([], [job(f"u{i}", {}) for i in range(runs.MAX_HISTORY + 5)])
    assert len(many) == runs.MAX_HISTORY and many[-1]["uid"] == f"u{runs.MAX_HISTORY + 4}"
    parent = {"metadata": {"annotations": {runs.HISTORY: runs.history_text(later)}}}
    assert runs.history(parent) == later and runs.history({"metadata": {"annotations": {runs.HISTORY: "{"}}}) == []


def test_the_rerun_token_is_part_of_the_spec_hash(tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo", NS, {"j1": "python:3.12"})
    plain = built_bundle(repo, None).workloads[0]
    source = repo / "workloads" / "agentp" / "j1.yaml"
    source.write_text(source.read_text() + "  rerun: 'try-2'\n")
    token = built_bundle(repo, None).workloads[0]
    assert token.spec_hash != plain.spec_hash
    strip = [_without_hash(m.body) for m in token.members]
    assert strip == [_without_hash(m.body) for m in plain.members]  # the token changes no object, only the hash


def _without_hash(body: dict[str, Any]) -> str:
    text = json.dumps(body, sort_keys=True)
    return text.replace(str(body["metadata"]["annotations"]["wlc.dev/spec-hash"]), "HASH")


def make(cluster: Cluster, allow_mass_delete: bool = False) -> engine.Engine:
    return engine.Engine(kube.Kube(kube.load_configuration(str(cluster.kubeconfig))),
                         engine.Options(namespaces=(NS,), allow_mass_delete=allow_mass_delete))


def recorded(cluster: Cluster) -> list[dict[str, str]]:
    parent = cluster.kubectl_json("get", "configmap", "j1-applyset", "-n", NS)
    return runs.history(parent)


def live_job(cluster: Cluster) -> dict[str, Any]:
    found: dict[str, Any] = cluster.kubectl_json("get", "job", "j1", "-n", NS)
    return found


@pytest.mark.cluster
def test_each_run_is_recorded_and_a_rerun_token_starts_a_new_one(cluster: Cluster, tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo", NS, {"j1": "python:3.12"})
    assert make(cluster).sync(built_bundle(repo, None)).ok
    first = live_job(cluster)
    [entry] = recorded(cluster)
    assert entry["uid"] == first["metadata"]["uid"] and entry["specHash"] == first["metadata"]["annotations"][
        "wlc.dev/spec-hash"] and entry["result"] in ("pending", "running")

    wait_until("the Job to finish", lambda: runs.observe(live_job(cluster))["result"] == "succeeded", timeout=180)
    assert make(cluster).sync(built_bundle(repo, None)).ok
    [entry] = recorded(cluster)
    assert entry["result"] == "succeeded" and entry["start"] and entry["completion"] >= entry["start"]
    quiet = make(cluster)
    assert quiet.sync(built_bundle(repo, None)).ok and quiet.metrics["writes"] == 0  # nothing new: no write

    source = repo / "workloads" / "agentp" / "j1.yaml"
    source.write_text(source.read_text() + "  rerun: 'try-2'\n")
    result = make(cluster).sync(built_bundle(repo, None))
    assert result.ok and [o.action for o in result.workloads[0].objects if o.kind == "Job"] == ["recreate"]
    second = live_job(cluster)
    assert second["metadata"]["uid"] != first["metadata"]["uid"]
    old, new = recorded(cluster)
    assert (old["uid"], old["result"]) == (first["metadata"]["uid"], "succeeded")
    assert new["uid"] == second["metadata"]["uid"] and new["specHash"] != old["specHash"]

    again = make(cluster).sync(built_bundle(repo, None))  # the same token: the same run, not a third
    assert again.ok and [o.action for o in again.workloads[0].objects if o.kind == "Job"] == ["unchanged"]
    assert live_job(cluster)["metadata"]["uid"] == second["metadata"]["uid"]


def test_a_flip_of_active_on_the_same_job_is_a_stop_or_resume_not_a_new_run() -> None:
    desired = source.DesiredObject("batch", "v1", "Job", NS, "j1", {"metadata": {}, "spec": {
        "suspend": True, "template": {"spec": {"containers": [{"name": "main", "resources": {"limits": {
            "nvidia.com/gpu": 1}}}]}}}})
    live: dict[str, Any] = {"metadata": {"annotations": {"wlc.dev/spec-hash": "old"}}, "spec": {
            "suspend": False, "backoffLimit": 6,
            "template": {"spec": {"containers": [{"name": "main", "resources": {"limits": {"nvidia.com/gpu": "1"}}}],
                                  "nodeSelector": {"added-by": "kueue"}}}}}
    assert runs.recreate_reason(desired, live, "new", flip=True) is None
    assert runs.recreate_reason(desired, live, "new") is not None  # the same job, a new hash: a re-run
    live["spec"]["template"]["spec"]["containers"][0]["image"] = "other"
    assert runs.recreate_reason(desired, live, "new", flip=True) is None  # only what the bundle sets counts
    desired.body["spec"]["template"]["spec"]["containers"][0]["image"] = "new"
    assert runs.recreate_reason(desired, live, "new", flip=True) is not None  # a changed template: a new run
    record = runs.annotate({"metadata": {}}, "h", {"Job/j1": "u1"}, active=True)
    assert runs.flipped(record, active=False) and not runs.flipped(record, active=True)
    assert not runs.flipped({"metadata": {"annotations": {runs.RUN: '{"specHash":"h","jobs":{}}'}}}, False)


LONG = """apiVersion: wlc.dev/v1alpha1
kind: TrainingWorkload
metadata:
  name: long
spec:
  active: {active}
  image: python:3.12
  command: python -c 1
  completions: 5000
  parallelism: 1
"""


@pytest.mark.cluster
def test_stop_suspends_the_running_job_and_activate_resumes_it(cluster: Cluster, tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo", NS, {})
    path = repo / "workloads" / "agentp" / "long.yaml"
    path.write_text(LONG.format(active="true"))
    # the module's earlier tests left j1, the only other workload in NS: deleting 1 of 1 needs approval
    first_sync = make(cluster, allow_mass_delete=True).sync(built_bundle(repo, None))
    assert first_sync.ok, plan.render_text(first_sync)
    first = cluster.kubectl_json("get", "job", "long", "-n", NS)
    assert not first["spec"].get("suspend")

    for active, suspended in (("false", True), ("true", False)):
        path.write_text(LONG.format(active=active))
        result = make(cluster).sync(built_bundle(repo, None))
        assert result.ok and [o.action for o in result.workloads[0].objects if o.kind == "Job"] == ["update"]
        now = cluster.kubectl_json("get", "job", "long", "-n", NS)
        assert now["metadata"]["uid"] == first["metadata"]["uid"] and bool(now["spec"].get("suspend")) is suspended
        quiet = make(cluster)
        assert quiet.sync(built_bundle(repo, None)).ok
        assert [o.action for o in quiet.plan(built_bundle(repo, None)).workloads[0].objects if o.kind == "Job"] == [
            "unchanged"]
