"""Delete-and-recreate of a run, against the real control plane: a Job whose spec hash changed is
deleted (foreground) and created again once, with a Recreated event and the new run recorded on
the parent; the next sync leaves it alone."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from controlplane import Cluster

from compiler.cli.sync import built_bundle
from compiler.cluster import engine, kube, runs
from tests.integration.sync_support import wait_until, write_repo

pytestmark = pytest.mark.cluster

NS = "s17b-recreate"


def make(cluster: Cluster) -> engine.Engine:
    return engine.Engine(kube.Kube(kube.load_configuration(str(cluster.kubeconfig))),
                         engine.Options(namespaces=(NS,)))


def job(cluster: Cluster) -> dict[str, str]:
    found = cluster.kubectl_json("get", "job", "j1", "-n", NS)
    return {"uid": found["metadata"]["uid"], "image": found["spec"]["template"]["spec"]["containers"][0]["image"]}


def test_a_changed_spec_recreates_the_job_once(cluster: Cluster, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write_repo(repo, NS, {"j1": "python:3.12"})
    assert make(cluster).sync(built_bundle(repo, None)).ok
    before = job(cluster)

    write_repo(repo, NS, {"j1": "python:3.13"})
    planned = make(cluster).plan(built_bundle(repo, None))
    assert [o.action for o in planned.workloads[0].objects if o.kind == "Job"] == ["recreate"]
    assert job(cluster) == before  # a plan deletes nothing

    result = make(cluster).sync(built_bundle(repo, None))
    assert result.ok, [w.message for w in result.workloads]
    op = next(o for o in result.workloads[0].objects if o.kind == "Job")
    assert op.action == "recreate" and "a new run" in op.message
    after = job(cluster)
    assert after["image"] == "python:3.13" and after["uid"] != before["uid"]
    parent = cluster.kubectl_json("get", "configmap", "j1-applyset", "-n", NS)
    record = json.loads(parent["metadata"]["annotations"][runs.RUN])
    assert record["jobs"] == {"Job/j1": after["uid"]}
    events = cluster.kubectl_json("get", "events", "-n", NS, "--field-selector", "involvedObject.name=j1-applyset")
    assert [e["message"] for e in events["items"] if e["reason"] == "Recreated"] == ["recreate: Job.batch j1"]

    # the run's end is recorded once (status.wlc.dev/runs); after that a sync writes nothing
    wait_until("the Job to finish", lambda: runs.observe(cluster.kubectl_json("get", "job", "j1", "-n", NS))[
        "result"] == "succeeded")
    assert make(cluster).sync(built_bundle(repo, None)).ok
    again = make(cluster)
    assert again.sync(built_bundle(repo, None)).ok and again.metrics["writes"] == 0
    assert job(cluster) == after
