"""The sync engine against the real control plane: every example workload of the base build
syncs, a second sync writes nothing, removed objects and workloads are pruned, the garbage
collector removes a group whose parent is deleted, and nothing wlc does not own is touched."""
from __future__ import annotations

import copy
import dataclasses
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from controlplane import Cluster

from compiler import emit
from compiler.bundle import applyset_id
from compiler.cluster import engine, kube, plan, source

pytestmark = pytest.mark.cluster

REPO = Path(__file__).resolve().parents[2]


PREFIX = "s17-"  # this module's namespaces: other cluster tests apply wlc objects into the examples' own
EXTRA_NS = "sync17-new"


def make_engine(cluster: Cluster, **options: Any) -> engine.Engine:
    scope = {"namespaces": tuple(sorted({f"{PREFIX}{ns}" for ns in NAMESPACES} | {EXTRA_NS}))}
    return engine.Engine(kube.Kube(kube.load_configuration(str(cluster.kubeconfig))),
                         engine.Options(**(scope | options)))


NAMESPACES = ("runai-nlp", "runai-recsys", "team-vision")


def write_bundle(bundle: source.Bundle, folder: Path) -> Path:
    """The bundle as `wlc build` lays it out, with index and hashes (of a Bundle value)."""
    entries = []
    for w in bundle.workloads:
        docs = [emit.dump_document(o.body) for o in (w.parent, *w.members)]
        rel = f"{w.namespace}/{w.name}.yaml"
        (folder / bundle.overlay / w.namespace).mkdir(parents=True, exist_ok=True)
        (folder / bundle.overlay / rel).write_text("".join(docs))
        entries.append({"name": w.name, "namespace": w.namespace, "project": w.project, "type": w.type,
                        "source": w.source, "file": rel, "active": w.active, "specHash": w.spec_hash,
                        "applyset": w.applyset, "fileHash": emit.text_hash("".join(docs)),
                        "objects": [{"group": o.group, "version": o.version, "kind": o.kind, "namespace": o.namespace,
                                     "name": o.name, "hash": emit.text_hash(d)}
                                    for o, d in zip((w.parent, *w.members), docs)]})
    (folder / bundle.overlay / "index.json").write_text(json.dumps(
        {"apiVersion": "wlc.dev/v1alpha1", "kind": "BundleIndex", "overlay": bundle.overlay, "workloads": entries}))
    return folder


def without(bundle: source.Bundle, *names: str) -> source.Bundle:
    return dataclasses.replace(bundle, workloads=tuple(w for w in bundle.workloads if w.name not in names))


def edited(bundle: source.Bundle, name: str,
           change: Callable[[list[source.DesiredObject]], list[source.DesiredObject]]) -> source.Bundle:
    """The bundle with workload ``name``'s members replaced by change(members)."""
    out = []
    for w in bundle.workloads:
        if w.name == name:
            members = change([dataclasses.replace(m, body=copy.deepcopy(m.body)) for m in w.members])
            w = dataclasses.replace(w, members=tuple(members))
        out.append(w)
    return dataclasses.replace(bundle, workloads=tuple(out))


def moved(w: source.DesiredWorkload, namespace: str) -> source.DesiredWorkload:
    """The workload as if built into another namespace (its ApplySet id follows the parent)."""
    aid = applyset_id(w.parent.name, namespace, "ConfigMap", "")

    def move(obj: source.DesiredObject, label: str) -> source.DesiredObject:
        body = copy.deepcopy(obj.body)
        body["metadata"]["namespace"] = namespace
        body["metadata"]["labels"][label] = aid
        return dataclasses.replace(obj, namespace=namespace, body=body)
    return dataclasses.replace(w, namespace=namespace, applyset=aid, parent=move(w.parent, "applyset.kubernetes.io/id"),
                               members=tuple(move(m, "applyset.kubernetes.io/part-of") for m in w.members))


def workload(bundle: source.Bundle, name: str) -> source.DesiredWorkload:
    return next(w for w in bundle.workloads if w.name == name)


def by_name(result: plan.Plan) -> dict[str, plan.WorkloadPlan]:
    return {w.name: w for w in result.workloads}


def live(client: kube.Kube, obj: source.DesiredObject) -> dict[str, Any] | None:
    return client.get(client.resource(obj.group, obj.version, obj.kind), obj.namespace, obj.name)


def wait_until(what: str, ok: Callable[[], bool], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not ok():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle")
    subprocess.run([sys.executable, "-m", "compiler.cli", "build", "--repo", str(REPO), "--out", str(out)],
                   check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def base(built: Path) -> source.Bundle:
    """The base build, every workload moved into this module's own namespace."""
    bundle = source.read_bundle(built)
    assert {w.namespace for w in bundle.workloads} == set(NAMESPACES)
    return dataclasses.replace(bundle, workloads=tuple(moved(w, PREFIX + w.namespace) for w in bundle.workloads))


@pytest.fixture(scope="module")
def on_disk(base: source.Bundle, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_bundle(base, tmp_path_factory.mktemp("moved"))


@pytest.fixture(scope="module")
def first_sync(cluster: Cluster, base: source.Bundle) -> plan.Plan:
    return make_engine(cluster).sync(base)


@pytest.fixture()
def synced(cluster: Cluster, base: source.Bundle, first_sync: plan.Plan) -> kube.Kube:
    """The cluster holding exactly the base bundle (each test starts from there)."""
    result = make_engine(cluster).sync(base)
    assert result.ok, plan.render_text(result)
    return kube.Kube(kube.load_configuration(str(cluster.kubeconfig)))


def test_every_example_workload_syncs_and_a_second_sync_writes_nothing(
        cluster: Cluster, base: source.Bundle, first_sync: plan.Plan) -> None:
    assert first_sync.ok, plan.render_text(first_sync)
    assert len(base.workloads) == 19 and {w.action for w in first_sync.workloads} == {"create"}
    client = kube.Kube(kube.load_configuration(str(cluster.kubeconfig)))
    for w in base.workloads:
        parent = live(client, w.parent)
        assert parent is not None and "wlc" in {f["manager"] for f in parent["metadata"]["managedFields"]}
        for m in w.members:
            obj = live(client, m)
            assert obj is not None, m.ref()
            assert [(r["kind"], r["name"], r["uid"]) for r in obj["metadata"]["ownerReferences"]] == [
                ("ConfigMap", w.parent.name, parent["metadata"]["uid"])]
    again = make_engine(cluster)
    second = again.sync(base)
    assert second.ok and {w.action for w in second.workloads} == {"unchanged"}, plan.render_text(second)
    assert again.metrics["writes"] == 0
    assert again.metrics["requests.PATCH"] > 0  # the dry runs that showed it


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
    assert report["summary"]["unchanged"] == 19 and report["metrics"]["writes"] == 0


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
    assert not refused.ok and "approve with --allow-mass-delete" in refused.messages[0]
    assert {by_name(refused)[n].action for n in ("tokenizer-batch", "llama-finetune")} == {"refused"}
    assert {o.action for n in ("tokenizer-batch", "llama-finetune") for o in by_name(refused)[n].objects} == {"refused"}
    assert guarded.metrics["writes"] == 0
    share = make_engine(cluster, max_delete=100).plan(without(base, *[w.name for w in base.workloads[:10]]))
    assert "would delete 10 of 19" in share.messages[0]
    empty = make_engine(cluster)
    nothing = empty.sync(dataclasses.replace(base, workloads=()))
    assert "an empty desired set never prunes (19 workload(s)" in nothing.messages[0]
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
    versions = [{(i["metadata"]["name"], i["metadata"]["resourceVersion"]) for i in x["items"]} for x in (before, after)]
    assert versions[0] == versions[1]


def test_a_finished_job_deleted_by_its_ttl_is_not_run_again(cluster: Cluster, base: source.Bundle,
                                                             synced: kube.Kube) -> None:
    train = workload(base, "ranker-train")
    job = next(m for m in train.members if m.kind == "Job")
    before = live(synced, job)
    parent = live(synced, train.parent)
    assert before is not None and parent is not None
    assert json.loads(parent["metadata"]["annotations"]["wlc.dev/run"]) == {
        "specHash": train.spec_hash, "jobs": {f"Job/{job.name}": before["metadata"]["uid"]}}

    def respec(spec_hash: str, ttl: int) -> source.Bundle:
        def change(members: list[source.DesiredObject]) -> list[source.DesiredObject]:
            for m in members:
                m.body["metadata"]["annotations"]["wlc.dev/spec-hash"] = spec_hash
                if m.kind == "Job":
                    m.body["spec"]["ttlSecondsAfterFinished"] = ttl
            return members
        changed = edited(base, "ranker-train", change)
        return dataclasses.replace(changed, workloads=tuple(
            dataclasses.replace(w, spec_hash=spec_hash) if w.name == train.name else w for w in changed.workloads))

    short_ttl = respec("0000000000ttl000", 0)
    assert make_engine(cluster).sync(short_ttl).ok
    wait_until("the TTL controller to delete the finished Job", lambda: live(synced, job) is None, timeout=180)
    again = make_engine(cluster)
    result = again.sync(short_ttl)
    report = by_name(result)["ranker-train"]
    assert result.ok and report.action == "unchanged", plan.render_text(result)
    assert "finished and was deleted: not run again" in report.objects[-1].message
    assert again.metrics["writes"] == 0 and live(synced, job) is None
    rerun = make_engine(cluster).sync(respec("0000000000ttl001", 0))  # a changed spec is a new run
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
    assert "spec.template: field is immutable (delete-and-recreate is not built yet" in failed.message
    assert len(failed.message) < 300
    assert {w.action for w in result.workloads if w.name != "tokenizer-batch"} == {"unchanged"}


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
