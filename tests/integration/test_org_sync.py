"""`wlc plan` / `wlc sync --repo` apply the organisation (issue 11): the examples' departments and
projects (moved into namespaces of this module) become Namespaces with Pod Security labels,
RoleBindings and ResourceQuotas before the workloads in them; a project removed from git loses
its RoleBindings and quota, and its Namespace is kept: deleting it is refused unless approved.
A second sync writes nothing. The organisation's parent records the last sync's result and git
revision and gets Events for what a sync created, pruned and refused."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from controlplane import Cluster

from tests.integration.sync_support import REPO, git, service_account_kubeconfig, wlc

pytestmark = pytest.mark.cluster

SYSTEM = "org11s-system"
NS = {"vision": "org11s-vision", "nlp": "org11s-nlp", "recsys": "org11s-recsys"}
#: the project's members, and its department's (research: an admin and a viewer group)
VISION_BINDINGS = {"wlc-editor", "wlc-researcher", "wlc-viewer", "wlc-department-admin", "wlc-department-viewer"}
TRAINING = """apiVersion: wlc.dev/v1alpha1
kind: TrainingWorkload
metadata: {name: org11s-train}
spec:
  image: python:3.12
  command: python -c 1
  compute: {cpuCoreRequest: 1, cpuMemoryRequest: 1Gi}
"""


def write_repo(root: Path, drop: tuple[str, ...] = ()) -> Path:
    """The examples' organisation with every project in this module's namespace, without the
    projects in ``drop``, and one training in project vision."""
    docs = list(yaml.safe_load_all((REPO / "examples" / "org" / "organisation.yaml").read_text()))
    for doc in docs:
        if doc["kind"] == "Project":
            doc["spec"]["namespace"] = NS[doc["metadata"]["name"]]
    kept = [d for d in docs if not (d["kind"] == "Project" and d["metadata"]["name"] in drop)]
    root.mkdir(parents=True, exist_ok=True)
    (root / "wlc.yaml").write_text("apiVersion: wlc.dev/v1alpha1\nkind: Repository\nmetadata: {name: org11s}\n")
    (root / "org.yaml").write_text(yaml.safe_dump_all(kept, sort_keys=False))
    (root / "workloads" / "vision").mkdir(parents=True, exist_ok=True)
    (root / "workloads" / "vision" / "train.yaml").write_text(TRAINING)
    return root


def run(cluster: Cluster, verb: str, repo: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    """`wlc plan|sync --repo` scoped to this module's namespaces: (exit status, the plan as JSON)."""
    scope = [arg for ns in NS.values() for arg in ("--namespace", ns)]
    done = wlc(verb, "--repo", str(repo), "--kubeconfig", str(cluster.kubeconfig), "--format", "json",
               *scope, *extra)
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def actions(result: dict[str, Any]) -> dict[str, str]:
    """``Kind namespace/name`` → action of the organisation's objects."""
    return {f"{o['kind']} {o['namespace']}/{o['name']}": o["action"] for o in result["organisation"]["objects"]}


def live(cluster: Cluster, kind: str, namespace: str = "") -> set[str]:
    args = ["get", kind, "-o", "json"] + (["-n", namespace] if namespace else [])
    return {str(i["metadata"]["name"]) for i in cluster.kubectl_json(*args)["items"]}


def test_sync_applies_the_organisation_before_the_workloads_and_prunes_a_removed_project(
        cluster: Cluster, tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo")
    status, planned = run(cluster, "plan", repo)
    assert status == 0, planned
    org = actions(planned)
    assert org["Namespace /org11s-nlp"] in ("create", "update", "unchanged")
    assert {org[f"ResourceQuota {ns}/wlc-quota"] for ns in NS.values()} <= {"create", "update", "unchanged"}
    assert "RoleBinding org11s-vision/wlc-researcher" in org

    status, synced = run(cluster, "sync", repo)
    assert status == 0, synced
    assert set(NS.values()) <= live(cluster, "namespaces")
    vision = cluster.kubectl_json("get", "namespace", NS["vision"])["metadata"]["labels"]
    assert vision["pod-security.kubernetes.io/enforce"] == "baseline"
    assert vision["applyset.kubernetes.io/part-of"].startswith("applyset-")
    assert live(cluster, "rolebindings", NS["vision"]) == VISION_BINDINGS
    hard = cluster.kubectl_json("get", "resourcequota", "wlc-quota", "-n", NS["recsys"])["spec"]["hard"]
    assert hard == {"requests.nvidia.com/gpu": "8", "requests.cpu": "64", "requests.memory": "256Gi"}
    hard = cluster.kubectl_json("get", "resourcequota", "wlc-quota", "-n", NS["nlp"])["spec"]["hard"]
    assert hard == {"requests.nvidia.com/gpu": "16", "requests.cpu": "320", "requests.memory": "2560Gi"}  # research's
    assert {"wlc-viewer", "wlc-researcher", "wlc-editor", "wlc-admin"} <= live(cluster, "clusterroles")
    # the department administrator may read the project's bindings, and change no RBAC
    as_dana = ("-n", NS["nlp"], "--as", "dana@example.com")
    assert cluster.kubectl("auth", "can-i", "list", "rolebindings", *as_dana, check=False).stdout.strip() == "yes"
    assert cluster.kubectl("auth", "can-i", "create", "rolebindings", *as_dana, check=False).stdout.strip() == "no"
    assert "org11s-train" in live(cluster, "jobs", NS["vision"])  # the workload went into its project's namespace

    # Nothing more is applied; a sync may still record the training's run progressing (one status
    # write on its parent, status.wlc.dev/runs) until the Job has finished.
    for _ in range(10):
        status, again = run(cluster, "sync", repo)
        assert status == 0 and set(actions(again).values()) == {"unchanged"}, again["organisation"]
        assert again["metrics"].get("writes", 0) <= 1, again["metrics"]
        if again["metrics"].get("writes", 0) == 0:
            break
        time.sleep(2)
    assert again["metrics"].get("writes", 0) == 0, again["metrics"]

    write_repo(repo, drop=("nlp",))
    status, removed = run(cluster, "sync", repo)
    org = actions(removed)
    assert org["RoleBinding org11s-nlp/wlc-researcher"] == org["RoleBinding org11s-nlp/wlc-department-admin"] == "prune"
    assert org["ResourceQuota org11s-nlp/wlc-quota"] == "prune"
    assert org["Namespace /org11s-nlp"] == "refused"
    assert status == 3  # a refused delete fails the sync until approved
    assert live(cluster, "rolebindings", NS["nlp"]) == set() and live(cluster, "resourcequotas", NS["nlp"]) == set()
    assert NS["nlp"] in live(cluster, "namespaces")  # kept: deleting it would delete everything in it
    message = next(o["message"] for o in removed["organisation"]["objects"] if o["kind"] == "Namespace"
                   and o["name"] == NS["nlp"])
    assert "--allow-mass-delete" in message
    assert live(cluster, "rolebindings", NS["vision"]) == VISION_BINDINGS


def test_plan_text_shows_the_organisation(cluster: Cluster, tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo", drop=("nlp",))
    scope = [arg for ns in NS.values() for arg in ("--namespace", ns)]
    done = wlc("plan", "--repo", str(repo), "--kubeconfig", str(cluster.kubeconfig), "--all", *scope)
    assert "organisation" in done.stdout and "Namespace org11s-vision" in done.stdout, done.stdout + done.stderr
    assert "plan (base): organisation: " in done.stdout


def agent_kubeconfig(cluster: Cluster, folder: Path) -> Path:
    """`wlc agent manifests` installed, and a kubeconfig with its ServiceAccount's token."""
    text = wlc("agent", "manifests", "--namespace", SYSTEM).stdout
    cluster.kubectl("apply", "--server-side", "-f", "-", input=text)
    return service_account_kubeconfig(cluster, folder, SYSTEM)


def test_the_agents_role_may_apply_the_organisation_but_not_delete_a_namespace(
        cluster: Cluster, tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo")
    config = agent_kubeconfig(cluster, tmp_path)
    scope = [arg for ns in NS.values() for arg in ("--namespace", ns)]
    done = wlc("sync", "--repo", str(repo), "--kubeconfig", str(config), "--format", "json", *scope)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not {o["action"] for o in json.loads(done.stdout)["organisation"]["objects"]} & {"failed", "conflict"}
    can_i = cluster.kubectl("auth", "can-i", "delete", "namespaces", f"--as=system:serviceaccount:{SYSTEM}:wlc-agent",
                            check=False)
    assert can_i.stdout.strip() == "no"


PARENT = ("default", "wlc-organisation-applyset")


def org_events(cluster: Cluster) -> dict[str, tuple[str, str, str]]:
    """The Events about the organisation's parent: name -> (type, reason, message)."""
    found = cluster.kubectl_json("get", "events", "-n", PARENT[0], "-o", "json",
                                 f"--field-selector=involvedObject.name={PARENT[1]}")["items"]
    return {str(e["metadata"]["name"]): (str(e["type"]), str(e["reason"]), str(e["message"])) for e in found}


def org_status(cluster: Cluster) -> dict[str, str]:
    notes = cluster.kubectl_json("get", "configmap", PARENT[1], "-n", PARENT[0])["metadata"]["annotations"]
    return {k.removeprefix("status.wlc.dev/"): str(v) for k, v in notes.items() if k.startswith("status.wlc.dev/")}


def new_events(cluster: Cluster, before: dict[str, tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    return [e for name, e in org_events(cluster).items() if name not in before]


def test_the_organisations_parent_records_its_sync_and_gets_events(cluster: Cluster, tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "organisation")
    head = git(repo, "rev-parse", "HEAD").strip()
    status, synced = run(cluster, "sync", repo)
    assert status == 0, synced
    assert org_status(cluster)["result"] == "synced" and org_status(cluster)["revision"] == head

    write_repo(repo, drop=("nlp",))
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "without nlp")
    before = org_events(cluster)
    status, removed = run(cluster, "sync", repo)
    assert status == 3, removed["organisation"]
    events = new_events(cluster, before)
    pruned = [m for t, r, m in events if r == "Pruned"]
    assert all(t == "Normal" for t, r, _m in events if r == "Pruned")
    assert len(pruned) == 1 and "RoleBinding.rbac.authorization.k8s.io org11s-nlp/wlc-researcher" in pruned[0], events
    assert "ResourceQuota org11s-nlp/wlc-quota" in pruned[0]
    refused = [(t, m) for t, r, m in events if r == "Refused"]
    assert len(refused) == 1 and refused[0][0] == "Warning" and "Namespace org11s-nlp" in refused[0][1], events
    recorded = org_status(cluster)
    assert recorded["result"] == "refused" and "--allow-mass-delete" in recorded["message"]
    assert recorded["revision"] == head  # a refused sync keeps the last synced revision

    write_repo(repo)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "nlp again")
    before = org_events(cluster)
    status, back = run(cluster, "sync", repo)
    assert status == 0, back["organisation"]
    created = [m for _t, r, m in new_events(cluster, before) if r == "Created"]
    assert len(created) == 1 and "RoleBinding.rbac.authorization.k8s.io org11s-nlp/wlc-researcher" in created[0], created
    assert org_status(cluster)["result"] == "synced"
    assert org_status(cluster)["revision"] == git(repo, "rev-parse", "HEAD").strip()
