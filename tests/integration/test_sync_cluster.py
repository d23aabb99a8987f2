"""The sync engine against the real control plane: every example workload of the base build
syncs, a second sync writes nothing, removed objects and workloads are pruned, the garbage
collector removes a group whose parent is deleted, namespaces, drift, HPA replicas and runs.
The examples are moved into namespaces of this test's own (sync_support.PREFIX)."""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from controlplane import Cluster

from compiler.cluster import kube, plan, source
from tests.integration.sync_support import (
    EXTRA_NS,
    NAMESPACES,
    PREFIX,
    build_base,
    by_name,
    edited,
    live,
    make_engine,
    moved,
    sync_base,
    wait_until,
    without,
    workload,
    write_bundle,
)

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def built_and_base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, source.Bundle]:
    return build_base(tmp_path_factory.mktemp("bundle"))


@pytest.fixture(scope="module")
def base(built_and_base: tuple[Path, source.Bundle]) -> source.Bundle:
    return built_and_base[1]


@pytest.fixture(scope="module")
def on_disk(base: source.Bundle, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_bundle(base, tmp_path_factory.mktemp("moved"))


@pytest.fixture(scope="module")
def first_sync(cluster: Cluster, base: source.Bundle) -> plan.Plan:
    return make_engine(cluster).sync(base)


@pytest.fixture()
def synced(cluster: Cluster, base: source.Bundle, first_sync: plan.Plan) -> kube.Kube:
    """The cluster holding exactly the base bundle (each test starts from there)."""
    return sync_base(cluster, base)


def test_every_example_workload_syncs_and_a_second_sync_writes_nothing(
        cluster: Cluster, base: source.Bundle, first_sync: plan.Plan) -> None:
    assert first_sync.ok, plan.render_text(first_sync)
    assert len(base.workloads) == 20 and {w.action for w in first_sync.workloads} == {"create"}
    client = kube.Kube(kube.load_configuration(str(cluster.kubeconfig)))
    for w in base.workloads:
        parent = live(client, w.parent)
        assert parent is not None and "wlc" in {f["manager"] for f in parent["metadata"]["managedFields"]}
        for m in w.members:
            obj = live(client, m)
            assert obj is not None, m.ref()
            assert [(r["kind"], r["name"], r["uid"]) for r in obj["metadata"]["ownerReferences"]] == [
                ("ConfigMap", w.parent.name, parent["metadata"]["uid"])]
    # Syncs apply nothing more; their only writes record the runs' progress (status.wlc.dev/runs:
    # a Job started or finished since the last sync), at most one per workload with runs, until
    # the runs settle and a sync writes nothing.
    with_runs = sum(any(m.kind in ("Job", "PyTorchJob", "TFJob", "MPIJob", "XGBoostJob") for m in w.members) for w in base.workloads)
    for _ in range(6):
        again = make_engine(cluster)
        second = again.sync(base)
        assert second.ok and {w.action for w in second.workloads} == {"unchanged"}, plan.render_text(second)
        assert again.metrics["writes"] <= with_runs
        if again.metrics["writes"] == 0:
            break
        time.sleep(2)
    assert again.metrics["writes"] == 0
    assert again.metrics.get("requests.PATCH", 0) == 0  # read with LISTs, no dry run needed


def test_plan_shows_an_update_and_writes_nothing(cluster: Cluster, base: source.Bundle, on_disk: Path,
                                                 synced: kube.Kube) -> None:
    def more_replicas(members: list[source.DesiredObject]) -> list[source.DesiredObject]:
        for m in members:
            if m.kind == "Deployment":
                m.body["spec"]["replicas"] = 5
        return members

    planner = make_engine(cluster)
    result = planner.plan(edited(base, "chat-grpc", more_replicas))
    chat = by_name(result)["chat-grpc"]
    assert chat.action == "update"
    assert {o.kind: o.action for o in chat.objects} == {"ConfigMap": "unchanged", "Service": "unchanged",
                                                        "Deployment": "update"}
    assert planner.metrics["writes"] == 0
    deployment = live(synced, workload(base, "chat-grpc").members[-1])
    assert deployment is not None and deployment["spec"]["replicas"] == 2
    scope = [f"--namespace={PREFIX}{ns}" for ns in NAMESPACES]
    done = subprocess.run([sys.executable, "-m", "compiler.cli", "plan", "--bundle", str(on_disk), "--kubeconfig",
                           str(cluster.kubeconfig), "--format", "json", *scope],
                          check=False, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["summary"]["unchanged"] == 20 and report["metrics"]["writes"] == 0


def test_a_member_left_out_is_pruned_and_the_group_kinds_narrowed(cluster: Cluster, base: source.Bundle,
                                                                   synced: kube.Kube) -> None:
    ranker = workload(base, "ranker-serving")
    hpa = next(m for m in ranker.members if m.kind == "HorizontalPodAutoscaler")
    smaller = edited(base, "ranker-serving", lambda ms: [m for m in ms if m.kind != "HorizontalPodAutoscaler"])
    result = make_engine(cluster).sync(smaller)
    assert result.ok, plan.render_text(result)
    assert [(o.kind, o.action) for o in by_name(result)["ranker-serving"].objects if o.action != "unchanged"] == [
        ("ConfigMap", "update"), ("HorizontalPodAutoscaler", "prune")]  # the parent: narrower group-kinds
    assert live(synced, hpa) is None
    parent = live(synced, ranker.parent)
    assert parent is not None
    assert parent["metadata"]["annotations"]["applyset.kubernetes.io/contains-group-kinds"] == "Deployment.apps,Service"
    assert by_name(make_engine(cluster).sync(base))["ranker-serving"].action == "create"  # the HPA again
    assert live(synced, hpa) is not None


def test_a_workload_left_out_is_deleted_with_all_its_objects(cluster: Cluster, base: source.Bundle,
                                                              synced: kube.Kube) -> None:
    chat = workload(base, "chat-grpc")
    result = make_engine(cluster).sync(without(base, "chat-grpc"))
    assert result.ok, plan.render_text(result)
    gone = by_name(result)["chat-grpc"]
    assert gone.action == "prune"
    assert sorted(o.kind for o in gone.objects) == ["ConfigMap", "Deployment", "Service"]
    for obj in (chat.parent, *chat.members):
        assert live(synced, obj) is None, obj.ref()
    assert {w.action for w in result.workloads if w.name != "chat-grpc"} == {"unchanged"}


def test_the_garbage_collector_removes_members_of_a_parent_deleted_by_hand(
        cluster: Cluster, base: source.Bundle, synced: kube.Kube) -> None:
    notebook = workload(base, "notebook-lb")
    cluster.kubectl("delete", "configmap", "-n", notebook.namespace, notebook.parent.name)
    wait_until("the garbage collector", lambda: all(live(synced, m) is None for m in notebook.members))
    assert by_name(make_engine(cluster).sync(base))["notebook-lb"].action == "create"


def without_gpus(job: dict[str, Any]) -> None:
    """The module's other workloads may hold every GPU of the kwok nodes; a Job that asks for none
    always runs, so it finishes and its TTL can delete it."""
    for container in job["spec"]["template"]["spec"]["containers"]:
        for part in ("requests", "limits"):
            container.get("resources", {}).get(part, {}).pop("nvidia.com/gpu", None)


def test_a_finished_job_deleted_by_its_ttl_is_not_run_again(cluster: Cluster, base: source.Bundle,
                                                             synced: kube.Kube) -> None:
    train = workload(base, "ranker-train")
    job = next(m for m in train.members if m.kind == "Job")
    before = live(synced, job)
    parent = live(synced, train.parent)
    assert before is not None and parent is not None
    assert json.loads(parent["metadata"]["annotations"]["wlc.dev/run"]) == {
        "specHash": train.spec_hash, "jobs": {f"Job/{job.name}": before["metadata"]["uid"]}, "active": True}

    def respec(spec_hash: str, ttl: int) -> source.Bundle:
        def change(members: list[source.DesiredObject]) -> list[source.DesiredObject]:
            for m in members:
                m.body["metadata"]["annotations"]["wlc.dev/spec-hash"] = spec_hash
                if m.kind == "Job":
                    m.body["spec"]["ttlSecondsAfterFinished"] = ttl
                    without_gpus(m.body)
            return members
        changed = edited(base, "ranker-train", change)
        return dataclasses.replace(changed, workloads=tuple(
            dataclasses.replace(w, spec_hash=spec_hash) if w.name == train.name else w for w in changed.workloads))

    short_ttl = respec("0000000000ttl000", 0)
    assert make_engine(cluster).sync(short_ttl).ok
    wait_until("the TTL controller to delete the finished Job", lambda: live(synced, job) is None, timeout=180)
    again = make_engine(cluster)
    recorded = live(synced, train.parent)
    result = again.sync(short_ttl)
    report = by_name(result)["ranker-train"]
    assert result.ok and report.action == "unchanged", plan.render_text(result)
    assert "finished and was deleted: not run again" in report.objects[-1].message
    # nothing of this workload written (the sync's own write count also holds the other base
    # workloads, whose runs may start or finish meanwhile on a loaded machine: a write each)
    after = live(synced, train.parent)
    assert recorded is not None and after is not None
    assert after["metadata"]["resourceVersion"] == recorded["metadata"]["resourceVersion"]
    assert live(synced, job) is None
    # A changed spec is a new run. Its TTL is long: with 0 the TTL controller may delete the new Job
    # as soon as kwok finishes it, before this test reads it back.
    rerun = make_engine(cluster).sync(respec("0000000000ttl001", 3600))
    assert by_name(rerun)["ranker-train"].action == "create"
    created = live(synced, job)
    assert created is not None and created["metadata"]["uid"] != before["metadata"]["uid"]


def test_missing_namespaces_are_created_first_or_refused(cluster: Cluster, base: source.Bundle,
                                                         synced: kube.Kube) -> None:
    extra = moved(workload(base, "chat-grpc"), EXTRA_NS)
    bigger = dataclasses.replace(base, workloads=(*base.workloads, extra))
    namespaces = synced.resource("", "v1", "Namespace")
    refused = make_engine(cluster, create_namespaces=False).sync(bigger)
    assert {w.action for w in refused.workloads if w.namespace != EXTRA_NS} == {"unchanged"}
    assert [w.action for w in refused.workloads if w.namespace == EXTRA_NS] == ["refused"]
    planner = make_engine(cluster)
    planned = [w for w in planner.plan(bigger).workloads if w.namespace == EXTRA_NS]
    assert [w.action for w in planned] == ["create"] and planner.metrics["writes"] == 0
    assert synced.get(namespaces, "", EXTRA_NS) is None
    assert make_engine(cluster).sync(bigger).ok
    created = synced.get(namespaces, "", EXTRA_NS)
    assert created is not None and created["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "wlc"
    assert all(live(synced, o) is not None for o in (extra.parent, *extra.members))
    back = make_engine(cluster).sync(base)
    assert [w.action for w in back.workloads if w.namespace == EXTRA_NS] == ["prune"]
    assert live(synced, extra.parent) is None and synced.get(namespaces, "", EXTRA_NS) is not None


def test_a_hand_edit_of_an_owned_field_is_put_back(cluster: Cluster, base: source.Bundle, synced: kube.Kube) -> None:
    chat = workload(base, "chat-grpc")
    deployment = next(m for m in chat.members if m.kind == "Deployment")
    cluster.kubectl("scale", "deployment", "-n", chat.namespace, deployment.name, "--replicas=4")
    result = make_engine(cluster).sync(base)
    assert [(o.kind, o.action) for o in by_name(result)["chat-grpc"].objects] == [
        ("ConfigMap", "unchanged"), ("Service", "unchanged"), ("Deployment", "update")]
    back = live(synced, deployment)
    assert back is not None and back["spec"]["replicas"] == deployment.body["spec"]["replicas"] == 2


def test_replicas_set_for_an_hpa_are_not_put_back(cluster: Cluster, base: source.Bundle, synced: kube.Kube) -> None:
    ranker = workload(base, "ranker-serving")  # a Deployment and the HPA that scales it
    deployment = next(m for m in ranker.members if m.kind == "Deployment")
    assert "replicas" not in deployment.body["spec"]  # the compiler leaves them to the HPA; a bundle may not

    def two_replicas(members: list[source.DesiredObject]) -> list[source.DesiredObject]:
        for m in members:
            if m.kind == "Deployment":
                m.body["spec"]["replicas"] = 2
        return members

    with_replicas = edited(base, "ranker-serving", two_replicas)
    assert make_engine(cluster).sync(with_replicas).ok
    cluster.kubectl("scale", "deployment", "-n", ranker.namespace, deployment.name, "--replicas=5")  # as the HPA does
    again = make_engine(cluster)
    result = again.sync(with_replicas)
    assert result.ok and by_name(result)["ranker-serving"].action == "unchanged", plan.render_text(result)
    assert again.metrics["writes"] == 0
    scaled = live(synced, deployment)
    assert scaled is not None and scaled["spec"]["replicas"] == 5
