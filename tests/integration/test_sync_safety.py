"""The sync engine's safety on the real control plane: what wlc does not own is untouched,
another tool's objects are never pruned, the mass-delete guard and the empty bundle delete
nothing, a missing CRD or a changed Job template fails only its workload, a tampered bundle
applies nothing."""
from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from controlplane import Cluster

from compiler.cluster import kube, source
from tests.integration.sync_support import (
    PREFIX,
    build_base,
    by_name,
    edited,
    live,
    make_engine,
    sync_base,
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


@pytest.fixture()
def synced(cluster: Cluster, base: source.Bundle) -> kube.Kube:
    """The cluster holding exactly the base bundle (each test starts from there)."""
    return sync_base(cluster, base)


def test_a_foreign_object_with_a_colliding_name_is_untouched_and_reported(
        cluster: Cluster, base: source.Bundle, synced: kube.Kube) -> None:
    tokenizer = workload(base, "tokenizer-batch")
    assert make_engine(cluster).sync(without(base, "tokenizer-batch")).ok
    cluster.kubectl("create", "job", "-n", tokenizer.namespace, tokenizer.name, "--image=busybox")
    before = cluster.kubectl_json("get", "job", "-n", tokenizer.namespace, tokenizer.name)
    result = make_engine(cluster).sync(base)
    assert not result.ok
    report = by_name(result)["tokenizer-batch"]
    assert report.action == "conflict"
    assert [o.action for o in report.objects] == ["create", "conflict"]
    assert "without wlc's labels" in report.objects[1].message
    after = cluster.kubectl_json("get", "job", "-n", tokenizer.namespace, tokenizer.name)
    assert after["metadata"]["uid"] == before["metadata"]["uid"]
    assert after["metadata"].get("ownerReferences") is None and "wlc" not in json.dumps(after["metadata"])
    assert live(synced, tokenizer.parent) is None  # nothing of a conflicting workload is applied
    assert {w.action for w in result.workloads if w.name != "tokenizer-batch"} == {"unchanged"}
    cluster.kubectl("delete", "job", "-n", tokenizer.namespace, tokenizer.name, "--cascade=foreground")


def test_objects_with_other_tools_markers_are_never_pruned(cluster: Cluster, base: source.Bundle,
                                                           synced: kube.Kube) -> None:
    chat = workload(base, "chat-grpc")
    marks = {"plain": ({}, {}), "helm": ({"app.kubernetes.io/managed-by": "Helm"},
                                         {"meta.helm.sh/release-name": "r"}),
             "argo": ({}, {"argocd.argoproj.io/tracking-id": "app:/Service:runai-nlp/argo"}),
             "flux": ({"kustomize.toolkit.fluxcd.io/name": "apps"}, {})}
    items: list[dict[str, Any]] = [{"apiVersion": "v1", "kind": "Service", "metadata": {
        "name": f"stray-{tool}", "namespace": chat.namespace, "annotations": annotations,
        "labels": {"app.kubernetes.io/managed-by": "wlc", "applyset.kubernetes.io/part-of": chat.applyset, **labels}},
        "spec": {"ports": [{"port": 80}]}} for tool, (labels, annotations) in marks.items()]
    cluster.kubectl("apply", "--server-side", "--field-manager=wlc", "-f", "-",
                    input=json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    copied = {**items[0], "metadata": {**items[0]["metadata"], "name": "stray-copied"}}  # wlc's labels, not its apply
    cluster.kubectl("apply", "--server-side", "--field-manager=some-operator", "-f", "-", input=json.dumps(copied))
    result = make_engine(cluster).sync(base)
    actions = {o.name: (o.action, o.message) for o in by_name(result)["chat-grpc"].objects}
    assert actions["stray-plain"] == ("prune", "")
    assert actions["stray-copied"][0] == "refused" and "never applied it" in actions["stray-copied"][1]
    for tool, name in [("Helm", "stray-helm"), ("Argo CD", "stray-argo"), ("Flux", "stray-flux")]:
        assert actions[name][0] == "refused" and tool in actions[name][1]
    left = cluster.kubectl_json("get", "services", "-n", chat.namespace, "-l",
                                f"applyset.kubernetes.io/part-of={chat.applyset}")["items"]
    assert sorted(s["metadata"]["name"] for s in left) == [
        "chat-grpc", "stray-argo", "stray-copied", "stray-flux", "stray-helm"]
    cluster.kubectl("delete", "service", "-n", chat.namespace, "stray-helm", "stray-argo", "stray-flux", "stray-copied")


def test_the_mass_delete_guard_and_an_empty_bundle_delete_nothing(
        cluster: Cluster, base: source.Bundle, synced: kube.Kube) -> None:
    two_less = without(base, "tokenizer-batch", "llama-finetune")
    guarded = make_engine(cluster, max_delete=1)
    refused = guarded.sync(two_less)
    assert not refused.ok and "--allow-mass-delete" in refused.messages[0]
    assert {by_name(refused)[n].action for n in ("tokenizer-batch", "llama-finetune")} == {"refused"}
    assert {o.action for n in ("tokenizer-batch", "llama-finetune") for o in by_name(refused)[n].objects} == {"refused"}
    assert guarded.metrics["writes"] == 4  # only the refusal, on the 2 parents: status and an Event each
    again = make_engine(cluster, max_delete=1)
    assert not again.sync(two_less).ok and again.metrics["writes"] == 0  # recorded already: nothing new
    half = len(base.workloads) // 2 + 1  # more than half of them
    share = make_engine(cluster, max_delete=100).plan(without(base, *[w.name for w in base.workloads[:half]]))
    assert f"would delete {half} of {len(base.workloads)}" in share.messages[0]
    empty = make_engine(cluster)
    nothing = empty.sync(dataclasses.replace(base, workloads=()))
    assert f"an empty desired set never prunes ({len(base.workloads)} workload(s)" in nothing.messages[0]
    assert empty.metrics["writes"] == 0
    assert all(live(synced, w.parent) is not None for w in base.workloads)
    approved = make_engine(cluster, max_delete=1, allow_mass_delete=True).sync(two_less)
    assert approved.ok and {by_name(approved)[n].action for n in ("tokenizer-batch", "llama-finetune")} == {"prune"}
    assert live(synced, workload(base, "llama-finetune").parent) is None


def test_a_missing_crd_fails_only_that_workload(cluster: Cluster, base: source.Bundle, synced: kube.Kube) -> None:
    chat = workload(base, "chat-grpc")
    widget = dataclasses.replace(chat.members[0], group="example.com", version="v1", kind="Widget",
                                 body={**chat.members[0].body, "apiVersion": "example.com/v1", "kind": "Widget"})
    result = make_engine(cluster).sync(edited(base, "chat-grpc", lambda ms: [*ms, widget]))
    assert not result.ok
    failed = by_name(result)["chat-grpc"]
    assert failed.action == "failed" and "does not serve Widget (example.com/v1)" in failed.message
    assert {w.action for w in result.workloads if w.name != "chat-grpc"} == {"unchanged"}


def test_a_tampered_bundle_applies_nothing(cluster: Cluster, on_disk: Path, tmp_path: Path,
                                          synced: kube.Kube) -> None:
    folder = tmp_path / "tampered"
    shutil.copytree(on_disk, folder)
    assert source.read_bundle(folder).workloads  # as written, it reads back
    target = folder / "base" / f"{PREFIX}runai-nlp" / "chat-grpc.yaml"
    target.write_text(target.read_text().replace("replicas: 2", "replicas: 7"))
    (folder / "base" / f"{PREFIX}runai-nlp" / "eval-sweep.yaml").unlink()
    before = cluster.kubectl_json("get", "configmaps,deployments", "-A", "-l", "app.kubernetes.io/managed-by=wlc")
    done = subprocess.run([sys.executable, "-m", "compiler.cli", "sync", "--bundle", str(folder), "--kubeconfig",
                           str(cluster.kubeconfig)], check=False, capture_output=True, text=True)
    assert done.returncode == 1 and "nothing applied, nothing pruned" in done.stderr
    after = cluster.kubectl_json("get", "configmaps,deployments", "-A", "-l", "app.kubernetes.io/managed-by=wlc")
    # A write by wlc changes a ConfigMap's resourceVersion or a Deployment's generation; a
    # Deployment's resourceVersion also moves with its status (its pods), which is not wlc's.
    def written(item: dict[str, Any]) -> tuple[str, str, str, str]:
        meta = item["metadata"]
        mark = meta["resourceVersion"] if item["kind"] == "ConfigMap" else str(meta.get("generation"))
        return item["kind"], meta.get("namespace", ""), meta["name"], mark
    versions = [{written(i) for i in x["items"]} for x in (before, after)]
    assert versions[0] == versions[1]


def test_a_changed_job_template_fails_that_workload_and_says_why(cluster: Cluster, base: source.Bundle,
                                                                 synced: kube.Kube) -> None:
    def new_image(members: list[source.DesiredObject]) -> list[source.DesiredObject]:
        for m in members:
            if m.kind == "Job":
                m.body["spec"]["template"]["spec"]["containers"][0]["image"] = "busybox:1.37"
        return members

    result = make_engine(cluster).sync(edited(base, "tokenizer-batch", new_image))
    failed = by_name(result)["tokenizer-batch"]
    assert not result.ok and failed.action == "failed"
    assert "spec.template: field is immutable (its spec hash is unchanged" in failed.message
    assert len(failed.message) < 300
    assert {w.action for w in result.workloads if w.name != "tokenizer-batch"} == {"unchanged"}
