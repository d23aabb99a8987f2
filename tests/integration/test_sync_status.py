"""Status and Events on the ApplySet parent, against the real control plane: the synced revision,
spec hash, result and message are recorded (and not rewritten by a no-op sync); Events say what
was created, updated, pruned, deleted, refused or failed; a refused build is recorded on every
parent while the last good revision stays."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from controlplane import Cluster

from compiler.cli.sync import built_bundle
from compiler.cluster import engine, kube, runs, source, syncstatus
from tests.integration.sync_support import edited, wait_until, write_repo

pytestmark = pytest.mark.cluster

NS = "s17b-status"


def make(cluster: Cluster, **options: Any) -> engine.Engine:
    return engine.Engine(kube.Kube(kube.load_configuration(str(cluster.kubeconfig))),
                         engine.Options(namespaces=(NS,), **options))


def built(repo: Path, workloads: dict[str, str], revision: str) -> source.Bundle:
    write_repo(repo, NS, workloads)
    return dataclasses.replace(built_bundle(repo, None), revision=revision)


def parent_status(cluster: Cluster, workload: str) -> dict[str, str]:
    cm = cluster.kubectl_json("get", "configmap", f"{workload}-applyset", "-n", NS)
    return {k.removeprefix(syncstatus.PREFIX): v for k, v in cm["metadata"].get("annotations", {}).items()
            if k.startswith(syncstatus.PREFIX)}


def reasons(cluster: Cluster, workload: str) -> list[str]:
    found = cluster.kubectl_json("get", "events", "-n", NS, "--field-selector",
                                 f"involvedObject.name={workload}-applyset")
    # creationTimestamp has whole seconds: events of one second keep no order, so tests compare
    # what is there (a multiset), never the last one
    return [str(e["reason"]) for e in sorted(found["items"], key=lambda e: e["metadata"]["creationTimestamp"])]


def test_status_and_events_follow_the_syncs(cluster: Cluster, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    first = built(repo, {"a": "python:3.12", "b": "python:3.12"}, "rev1")
    assert make(cluster).sync(first).ok
    got = parent_status(cluster, "a")
    spec_hash = next(w.spec_hash for w in first.workloads if w.name == "a")
    assert got["revision"] == "rev1" and got["spec-hash"] == spec_hash and got["result"] == "synced"
    assert got["time"].endswith("Z")
    assert reasons(cluster, "a") == ["Created"]

    wait_until("the Jobs to finish", lambda: all(runs.observe(cluster.kubectl_json("get", "job", n, "-n", NS))[
        "result"] == "succeeded" for n in ("a", "b")))
    assert make(cluster).sync(first).ok  # records the runs' ends once (status.wlc.dev/runs)
    got = parent_status(cluster, "a")
    again = make(cluster)
    assert again.sync(first).ok
    assert again.metrics["writes"] == 0  # a no-op sync rewrites no status and posts no event
    assert parent_status(cluster, "a") == got

    def new_image(members: list[source.DesiredObject]) -> list[source.DesiredObject]:
        for m in members:  # the same spec hash with another template: the server refuses it
            m.body["spec"]["template"]["spec"]["containers"][0]["image"] = "python:3.13"
        return members
    changed = edited(built(repo, {"a": "python:3.12", "b": "python:3.12"}, "rev2"), "a", new_image)
    result = make(cluster).sync(changed)
    assert not result.ok
    failed = parent_status(cluster, "a")
    assert failed["result"] == "failed" and failed["revision"] == "rev1" and failed["message"]
    assert reasons(cluster, "a").count("SyncFailed") == 1
    assert parent_status(cluster, "b")["revision"] == "rev2"  # b synced at rev2 (unchanged objects)

    guarded = make(cluster, max_delete=0)
    assert not guarded.sync(built(repo, {"a": "python:3.12"}, "rev3")).ok
    assert parent_status(cluster, "b")["result"] == "refused"
    assert reasons(cluster, "b").count("Refused") == 1

    assert make(cluster).sync(built(repo, {"a": "python:3.12"}, "rev3")).ok
    assert "Deleted" in reasons(cluster, "b")
    assert parent_status(cluster, "a") | {"time": "", "runs": ""} == {
        "revision": "rev3", "spec-hash": spec_hash, "result": "synced", "message": "2 object(s) in sync", "time": "",
        "runs": ""}


def test_a_refused_build_is_recorded_on_every_parent(cluster: Cluster, tmp_path: Path) -> None:
    good = built(tmp_path / "repo", {"a": "python:3.12"}, "good1")
    assert make(cluster).sync(good).ok
    eng = make(cluster)
    assert eng.refuse("build-failed", "revision bad2: 1 error: workloads/agentp/x.yaml:7:3 unknown field") == 1
    got = parent_status(cluster, "a")
    assert got["result"] == "build-failed" and got["revision"] == "good1" and "bad2" in got["message"]
    assert reasons(cluster, "a").count("BuildFailed") == 1
    assert eng.refuse("build-failed", "revision bad2: 1 error: workloads/agentp/x.yaml:7:3 unknown field") == 0
    live = json.loads(cluster.kubectl("get", "jobs", "-n", NS, "-o", "json").stdout)
    assert [j["metadata"]["name"] for j in live["items"]] == ["a"]
