"""The run record (``wlc.dev/run``: which job uids ran for the current spec hash) is written in the
status patch a sync sends anyway (field manager wlc-status), not by a second apply of the parent:
a new run costs one write less. A parent whose record an earlier wlc applied (field manager wlc)
goes on having it applied, so no apply ever removes it and a finished, deleted job is still not
run again. Against the real control plane."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from controlplane import Cluster

from compiler import labels as L
from compiler.cli.sync import built_bundle
from compiler.cluster import engine, kube, runs, source
from tests.integration.sync_support import wait_until, write_repo

pytestmark = pytest.mark.cluster

#: a namespace per test: each bundle holds one workload, and the other test's would be a delete
NEW, EARLIER = "s17r-record", "s17r-record-old"


def make(cluster: Cluster, ns: str) -> engine.Engine:
    return engine.Engine(kube.Kube(kube.load_configuration(str(cluster.kubeconfig))),
                         engine.Options(namespaces=(ns,)))


def workloads_only(repo: Path) -> source.Bundle:
    """The repository's workloads (the test makes their namespace: no organisation writes)."""
    return dataclasses.replace(built_bundle(repo, None), organisation=None)


def parent(cluster: Cluster, ns: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = cluster.kubectl_json("get", "configmap", f"{name}-applyset", "-n", ns,
                                                 "--show-managed-fields")
    return found


def owners_of_record(obj: dict[str, Any]) -> set[str]:
    out = set()
    for entry in obj["metadata"].get("managedFields") or []:
        annotations = ((entry.get("fieldsV1") or {}).get("f:metadata") or {}).get("f:annotations") or {}
        if f"f:{runs.RUN}" in annotations:
            out.add(str(entry["manager"]))
    return out


def job_exists(cluster: Cluster, ns: str, name: str) -> bool:
    return bool(cluster.kubectl("get", "job", name, "-n", ns, "--ignore-not-found", check=False).stdout.strip())


def delete_job(cluster: Cluster, ns: str, name: str) -> None:
    """As the Job's TTL would."""
    cluster.kubectl("delete", "job", name, "-n", ns, "--wait=true")
    wait_until("the Job to be gone", lambda: not job_exists(cluster, ns, name))


def test_a_new_run_is_recorded_with_the_status_in_one_write(cluster: Cluster, tmp_path: Path) -> None:
    ns = NEW
    cluster.ensure_namespace(ns)
    repo = write_repo(tmp_path / "repo", ns, {"rec1": "python:3.12"})
    first = make(cluster, ns)
    result = first.sync(workloads_only(repo))
    assert result.ok and result.workloads[0].action == "create"
    # the parent, the Job, the status patch (with the run record) and the Created event
    assert (first.metrics["writes"], first.metrics["requests.PATCH"], first.metrics["requests.POST"]) == (4, 3, 1)
    live = parent(cluster, ns, "rec1")
    job = cluster.kubectl_json("get", "job", "rec1", "-n", ns)
    record = json.loads(live["metadata"]["annotations"][runs.RUN])
    assert record["jobs"] == {"Job/rec1": job["metadata"]["uid"]}
    assert owners_of_record(live) == {"wlc-status"}

    delete_job(cluster, ns, "rec1")
    for _ in range(2):  # not run again, and the record stays
        again = make(cluster, ns)
        result = again.sync(workloads_only(repo))
        assert result.ok and [o.action for o in result.workloads[0].objects if o.kind == "Job"] == ["unchanged"]
        assert not job_exists(cluster, ns, "rec1")
        assert json.loads(parent(cluster, ns, "rec1")["metadata"]["annotations"][runs.RUN]) == record


def test_a_record_an_earlier_wlc_applied_is_kept_applied(cluster: Cluster, tmp_path: Path) -> None:
    ns = EARLIER
    cluster.ensure_namespace(ns)
    repo = write_repo(tmp_path / "repo", ns, {"rec2": "python:3.12"})
    bundle = workloads_only(repo)
    assert make(cluster, ns).sync(bundle).ok
    live = parent(cluster, ns, "rec2")
    record = live["metadata"]["annotations"][runs.RUN]
    # what an earlier wlc did: the record in field manager wlc's apply of the parent; the
    # status patch's copy removed first, so wlc's apply is the record's only owner
    client = kube.Kube(kube.load_configuration(str(cluster.kubeconfig)))
    cm = client.resource("", "v1", "ConfigMap")
    client.merge_patch(cm, ns, "rec2-applyset", {"metadata": {"annotations": {runs.RUN: None}}}, "wlc-status")
    w = bundle.workloads[0]
    applied = runs.annotate(w.parent.body, w.spec_hash, json.loads(record)["jobs"], w.active)
    client.apply(cm, applied, force=True)
    live = parent(cluster, ns, "rec2")
    assert owners_of_record(live) == {L.FIELD_MANAGER} and live["metadata"]["annotations"][runs.RUN] == record

    delete_job(cluster, ns, "rec2")
    for _ in range(2):
        result = make(cluster, ns).sync(bundle)
        # the parent is applied as it is, record and all: no apply that drops it (and a status
        # patch that puts it back, with a moment between them when a crash would lose it)
        assert result.ok and [o.action for o in result.workloads[0].objects] == ["unchanged", "unchanged"]
        assert not job_exists(cluster, ns, "rec2")
        assert parent(cluster, ns, "rec2")["metadata"]["annotations"].get(runs.RUN) == record
    quiet = make(cluster, ns)
    assert quiet.sync(bundle).ok and quiet.metrics["writes"] == 0
