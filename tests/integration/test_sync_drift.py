"""Drift: an owned object changed by hand is put back by the next sync and reported (the plan's
"drift: <paths>", a Drift event on the parent, wlc_drift_total); replicas an HPA scales are not
drift. The pure path logic first, then against the real control plane."""
from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from controlplane import Cluster

from compiler.cluster import drift, engine, kube, metrics, plan, source
from tests.integration.sync_support import REPO, moved, wlc

NS = "s17d-drift"


def deployment(image: str, value: str, fields: dict[str, Any], spec_hash: str = "h1") -> dict[str, Any]:
    return {"metadata": {"name": "d", "annotations": {"wlc.dev/spec-hash": spec_hash}, "generation": 1,
                         "managedFields": [{"manager": "wlc", "operation": "Apply", "fieldsV1": fields}]},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [
                {"name": "main", "image": image, "env": [{"name": "A", "value": value}]}]}}}}


WLC_OWNS_ALL: dict[str, Any] = {"f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {'k:{"name":"main"}': {
    ".": {}, "f:name": {}, "f:image": {}, "f:env": {'k:{"name":"A"}': {".": {}, "f:name": {}, "f:value": {}}}}}}}}}
WLC_LOST_IMAGE: dict[str, Any] = {"f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {'k:{"name":"main"}': {
    ".": {}, "f:name": {}, "f:env": {'k:{"name":"A"}': {".": {}, "f:name": {}, "f:value": {}}}}}}}}}


def test_paths_name_the_fields_another_manager_took() -> None:
    live = deployment("nginx:1", "1", WLC_LOST_IMAGE)
    live["metadata"]["managedFields"].append({"manager": "kubectl-patch", "operation": "Update", "fieldsV1": {
        "f:spec": {"f:template": {"f:spec": {"f:containers": {'k:{"name":"main"}': {"f:image": {}}}}}}}})
    after = deployment("python:3", "1", WLC_OWNS_ALL)
    after["metadata"]["generation"] = 2
    assert drift.paths(live, after, after) == ["spec.template.spec.containers[main].image"]
    assert drift.message(live, after, after) == "drift: spec.template.spec.containers[main].image"


def test_a_change_wlc_still_owns_is_an_update_and_a_removed_field_is_drift_of_the_same_spec() -> None:
    live, after = deployment("python:3", "1", WLC_OWNS_ALL), deployment("python:3", "2", WLC_OWNS_ALL)
    assert drift.paths(live, after, after) == []  # wlc applied "1": the bundle changed, not the cluster
    removed = deployment("python:3", "1", WLC_OWNS_ALL)
    removed["spec"]["template"]["spec"]["containers"][0]["env"] = []
    removed["metadata"]["managedFields"][0]["fieldsV1"] = WLC_LOST_IMAGE | {"f:spec": {"f:replicas": {}}}
    assert drift.paths(removed, after, after) == ["spec.template.spec.containers[main].env"]
    assert drift.paths(removed, after, deployment("python:3", "2", {}, spec_hash="h2")) == []  # a new spec


def test_the_agent_counts_drift_in_its_metrics() -> None:
    state = metrics.State()
    found = plan.Plan("base", False, [plan.WorkloadPlan("w", "ns", "id", "update", objects=[
        plan.ObjectPlan("apps", "v1", "Deployment", "ns", "d", "update", "drift: spec.replicas"),
        plan.ObjectPlan("", "v1", "Service", "ns", "s", "update", "")])])
    state.stepped("synced", 1.0, "r1", found)
    assert "wlc_drift_total 1\n" in state.render()


# -- against the real control plane ---------------------------------------------------------------

@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> source.Bundle:
    out = tmp_path_factory.mktemp("bundle")
    assert wlc("build", "--repo", str(REPO), "--out", str(out)).returncode == 0
    base = source.read_bundle(out)
    # only the two workloads: the examples' organisation (their team-* namespaces) is not this test's
    return dataclasses.replace(base, organisation=None, workloads=tuple(
        moved(w, NS) for w in base.workloads if w.name in ("chat-grpc", "ranker-serving")))


def make(cluster: Cluster) -> engine.Engine:
    return engine.Engine(kube.Kube(kube.load_configuration(str(cluster.kubeconfig))),
                         engine.Options(namespaces=(NS,)))


def objects(result: plan.Plan, workload: str) -> dict[str, tuple[str, str]]:
    found = next(w for w in result.workloads if w.name == workload)
    return {o.kind: (o.action, o.message) for o in found.objects}


def container(cluster: Cluster, name: str) -> dict[str, Any]:
    found: dict[str, Any] = cluster.kubectl_json("get", "deployment", name, "-n", NS)
    return dict(found["spec"]["template"]["spec"]["containers"][0]) | {"replicas": found["spec"].get("replicas")}


@pytest.mark.cluster
def test_a_hand_patch_of_image_and_env_is_put_back_and_reported(cluster: Cluster, bundle: source.Bundle) -> None:
    assert make(cluster).sync(bundle).ok
    before = container(cluster, "chat-grpc")
    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "main", "image": "nginx:1", "env": [{"name": "RUNAI_PROJECT", "value": "by-hand"}]}]}}}}
    cluster.kubectl("patch", "deployment", "chat-grpc", "-n", NS, "-p", json.dumps(patch))
    assert container(cluster, "chat-grpc")["image"] == "nginx:1"

    paths = ("drift: spec.template.spec.containers[main].env[RUNAI_PROJECT].value, "
             "spec.template.spec.containers[main].image")
    assert objects(make(cluster).plan(bundle), "chat-grpc")["Deployment"] == ("update", paths)
    result = make(cluster).sync(bundle)
    assert result.ok and objects(result, "chat-grpc")["Deployment"] == ("update", paths)
    assert container(cluster, "chat-grpc") == before
    events = cluster.kubectl_json("get", "events", "-n", NS, "--field-selector", "involvedObject.name=chat-grpc-applyset")
    [event] = [e for e in events["items"] if e["reason"] == "Drift"]
    assert event["type"] == "Warning" and event["message"] == (
        "changed by hand and put back: Deployment.apps chat-grpc: " + paths.removeprefix("drift: "))
    quiet = make(cluster)
    assert quiet.sync(bundle).ok and quiet.metrics["writes"] == 0


@pytest.mark.cluster
def test_replicas_an_hpa_scales_are_not_drift(cluster: Cluster, bundle: source.Bundle) -> None:
    assert make(cluster).sync(bundle).ok
    cluster.kubectl("scale", "deployment", "ranker-serving", "-n", NS, "--replicas=3")  # as the HPA does
    again = make(cluster)
    result = again.sync(bundle)
    assert result.ok and objects(result, "ranker-serving")["Deployment"] == ("unchanged", "")
    assert again.metrics["writes"] == 0 and container(cluster, "ranker-serving")["replicas"] == 3
