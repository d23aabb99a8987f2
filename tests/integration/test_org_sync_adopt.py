"""Adopting what existed before wlc (docs/organisation.md, "Adopting what existed before wlc"),
against the real API server: a project Namespace made by hand is a conflict whose message names
`--adopt`; `wlc plan --adopt` shows `adopt` and writes nothing; `wlc sync --adopt` takes it over
(field manager wlc, annotation wlc.dev/adopted) and keeps what was in it; a second sync writes
nothing; when the project leaves git the Namespace is released (wlc's labels and annotations
removed), not deleted, with its contents. A Namespace of another tool or another ApplySet is never
adopted."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from controlplane import Cluster

from tests.integration.sync_support import wlc

pytestmark = pytest.mark.cluster

KEEP, OLD, HELM, OTHER = "org17a-keep", "org17a-old", "org17a-helm", "org17a-other"
ADOPTED = "wlc.dev/adopted"
PROJECT = """---
apiVersion: wlc.dev/v1alpha1
kind: Project
metadata: {{name: {name}}}
spec:
  namespace: {namespace}
  quota: [{{nodePool: default, gpuDevices: 1}}]
  members: [{{user: alice@example.com, role: researcher}}]
"""
TRAINING = """apiVersion: wlc.dev/v1alpha1
kind: TrainingWorkload
metadata: {name: org17a-train}
spec:
  image: python:3.12
  command: python -c 1
  compute: {cpuCoreRequest: 1, cpuMemoryRequest: 1Gi}
"""


def write_repo(root: Path, projects: dict[str, str]) -> Path:
    """Projects ``name -> namespace`` and one training in project adoptkeep."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "wlc.yaml").write_text("apiVersion: wlc.dev/v1alpha1\nkind: Repository\nmetadata: {name: org17a}\n")
    (root / "org.yaml").write_text("".join(PROJECT.format(name=n, namespace=ns) for n, ns in projects.items()))
    (root / "workloads" / "adoptkeep").mkdir(parents=True, exist_ok=True)
    (root / "workloads" / "adoptkeep" / "train.yaml").write_text(TRAINING)
    return root


def run(cluster: Cluster, verb: str, repo: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    scope = [arg for ns in (KEEP, OLD, HELM, OTHER) for arg in ("--namespace", ns)]
    done = wlc(verb, "--repo", str(repo), "--kubeconfig", str(cluster.kubeconfig), "--format", "json",
               *scope, *extra)
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout), done.stderr


def org_object(result: dict[str, Any], kind: str, name: str, namespace: str = "") -> dict[str, Any]:
    return next(o for o in result["organisation"]["objects"]
                if o["kind"] == kind and o["name"] == name and o["namespace"] == namespace)


def namespace(cluster: Cluster, name: str) -> dict[str, Any]:
    found: dict[str, Any] = cluster.kubectl_json("get", "namespace", name, "--show-managed-fields")
    return found


def hand_made(cluster: Cluster, name: str, labels: dict[str, str]) -> None:
    """A Namespace made by hand (``kubectl create``), with a ConfigMap in it."""
    cluster.kubectl("create", "namespace", name)
    if labels:
        cluster.kubectl("label", "namespace", name, *(f"{k}={v}" for k, v in labels.items()))
    cluster.kubectl("create", "configmap", "precious", "-n", name, "--from-literal=k=v")


def test_a_namespace_made_before_wlc_is_adopted_only_when_asked_and_released_when_it_leaves_git(
        cluster: Cluster, tmp_path: Path) -> None:
    hand_made(cluster, OLD, {"team": "old"})
    repo = write_repo(tmp_path / "repo", {"adoptkeep": KEEP, "adoptold": OLD})

    status, refused, _ = run(cluster, "sync", repo)
    assert status == 3
    conflict = org_object(refused, "Namespace", OLD)
    assert conflict["action"] == "conflict" and "wlc sync --adopt" in conflict["message"], conflict
    assert "applyset.kubernetes.io/part-of" not in namespace(cluster, OLD)["metadata"]["labels"]
    # nothing is written into a Namespace wlc does not own: no RoleBinding, no quota
    inside = [o for o in refused["organisation"]["objects"] if o["namespace"] == OLD]
    assert inside and {o["action"] for o in inside} == {"refused"}, inside
    assert f"its Namespace {OLD} is not wlc's" in inside[0]["message"]
    assert cluster.kubectl_json("get", "rolebindings,resourcequotas,limitranges", "-n", OLD, "-l",
                                "applyset.kubernetes.io/part-of")["items"] == []
    assert org_object(refused, "Namespace", KEEP)["action"] in ("create", "unchanged", "update")

    status, planned, _ = run(cluster, "plan", repo, "--adopt")
    assert status == 0, planned
    assert org_object(planned, "Namespace", OLD)["action"] == "adopt"
    assert ADOPTED not in (namespace(cluster, OLD)["metadata"].get("annotations") or {})  # a plan writes nothing

    status, adopted, _ = run(cluster, "sync", repo, "--adopt")
    assert status == 0, adopted
    assert org_object(adopted, "Namespace", OLD)["action"] == "adopt"
    meta = namespace(cluster, OLD)["metadata"]
    assert meta["labels"]["applyset.kubernetes.io/part-of"].startswith("applyset-")
    assert meta["labels"]["app.kubernetes.io/managed-by"] == "wlc"
    assert meta["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"
    assert meta["labels"]["team"] == "old"  # what was there stays
    assert ADOPTED in meta["annotations"]
    assert any(f["manager"] == "wlc" and f["operation"] == "Apply" for f in meta["managedFields"])
    assert cluster.kubectl_json("get", "configmap", "precious", "-n", OLD)["data"] == {"k": "v"}
    assert cluster.kubectl_json("get", "rolebinding", "wlc-researcher", "-n", OLD)["subjects"][0]["name"] == \
        "alice@example.com"

    # adopted once: later syncs need no option and write nothing (but the training's run record
    # while its Job progresses: one status write on its parent)
    for _ in range(10):
        status, again, _ = run(cluster, "sync", repo)
        assert status == 0 and {o["action"] for o in again["organisation"]["objects"]} == {"unchanged"}, again
        if again["metrics"].get("writes", 0) == 0:
            break
        time.sleep(2)
    assert again["metrics"].get("writes", 0) == 0, again["metrics"]
    assert namespace(cluster, OLD)["metadata"]["annotations"][ADOPTED] == meta["annotations"][ADOPTED]

    write_repo(repo, {"adoptkeep": KEEP})
    status, released, _ = run(cluster, "sync", repo)
    assert status == 0, released  # a release is not a delete: no approval needed
    assert org_object(released, "Namespace", OLD)["action"] == "release"
    assert org_object(released, "RoleBinding", "wlc-researcher", OLD)["action"] == "prune"  # wlc made it
    meta = namespace(cluster, OLD)["metadata"]
    assert meta.get("deletionTimestamp") is None
    assert not [k for k in meta.get("labels", {}) if k.startswith(("applyset.", "app.kubernetes.io/", "wlc.dev/"))]
    assert not [k for k in meta.get("annotations") or {} if "wlc.dev/" in k]
    assert meta["labels"]["team"] == "old"
    assert cluster.kubectl_json("get", "configmap", "precious", "-n", OLD)["data"] == {"k": "v"}
    names = {i["metadata"]["name"] for i in cluster.kubectl_json("get", "rolebindings", "-n", OLD)["items"]}
    assert "wlc-researcher" not in names

    # back in git, a released Namespace is someone else's again: a conflict until adopted again
    write_repo(repo, {"adoptkeep": KEEP, "adoptold": OLD})
    status, back, _ = run(cluster, "plan", repo)
    assert status == 3 and org_object(back, "Namespace", OLD)["action"] == "conflict"


def test_a_namespace_of_another_tool_or_applyset_is_never_adopted(cluster: Cluster, tmp_path: Path) -> None:
    hand_made(cluster, HELM, {"app.kubernetes.io/managed-by": "Helm"})
    hand_made(cluster, OTHER, {"applyset.kubernetes.io/part-of": "applyset-someone-else-v1"})
    repo = write_repo(tmp_path / "repo", {"adoptkeep": KEEP, "adopthelm": HELM, "adoptother": OTHER})
    status, result, _ = run(cluster, "sync", repo, "--adopt")
    assert status == 3
    helm, other = org_object(result, "Namespace", HELM), org_object(result, "Namespace", OTHER)
    assert helm["action"] == other["action"] == "conflict"
    assert "never adopted" in helm["message"] and "Helm" in helm["message"], helm
    assert "never adopted" in other["message"] and "another ApplySet" in other["message"], other
    assert org_object(result, "Namespace", KEEP)["action"] in ("create", "unchanged", "update")
    for name in (HELM, OTHER):
        meta = namespace(cluster, name)["metadata"]
        assert ADOPTED not in (meta.get("annotations") or {})
        assert not any(f["manager"] == "wlc" for f in meta["managedFields"])
