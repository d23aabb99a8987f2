"""`wlc sync --repo` / `wlc plan --repo` against the real control plane: the repository is built
in memory and synced; a build with errors applies nothing; --repo and --bundle exclude each other;
in a git work tree, HEAD's commit id (``-dirty`` with uncommitted changes) is recorded on the parents."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from controlplane import Cluster

from tests.integration.sync_support import git, wlc, write_repo

pytestmark = pytest.mark.cluster

NS = "s17b-repo"


def cluster_args(cluster: Cluster) -> list[str]:
    return ["--kubeconfig", str(cluster.kubeconfig), "--namespace", NS]


def jobs(cluster: Cluster) -> set[str]:
    out = cluster.kubectl("get", "jobs", "-n", NS, "-o", "json")
    return {str(item["metadata"]["name"]) for item in json.loads(out.stdout)["items"]}


def test_sync_repo_builds_in_memory_and_applies(cluster: Cluster, tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo", NS, {"r1": "python:3.12", "r2": "python:3.12"})
    planned = wlc("plan", "--repo", str(repo), "--format", "json", *cluster_args(cluster))
    assert planned.returncode == 0, planned.stderr
    assert {w["name"]: w["action"] for w in json.loads(planned.stdout)["workloads"]} == {"r1": "create",
                                                                                         "r2": "create"}
    synced = wlc("sync", "--repo", str(repo), *cluster_args(cluster))
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert jobs(cluster) == {"r1", "r2"}
    again = wlc("plan", "--repo", str(repo), "--format", "json", *cluster_args(cluster))
    assert json.loads(again.stdout)["summary"]["unchanged"] == 2
    assert not (repo / "build").exists()  # built in memory: nothing written to the repository

    write_repo(repo, NS, {"r1": "python:3.12"})
    gone = wlc("sync", "--repo", str(repo), *cluster_args(cluster))
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert jobs(cluster) == {"r1"}


def test_sync_repo_with_build_errors_applies_nothing(cluster: Cluster, tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo", NS, {"r1": "python:3.12"})
    assert wlc("sync", "--repo", str(repo), *cluster_args(cluster)).returncode == 0
    write_repo(repo, NS, {"r3": "python:3.12", "bad": "BROKEN"})  # r1 removed, r3 added, one broken
    broken = wlc("sync", "--repo", str(repo), *cluster_args(cluster))
    assert broken.returncode == 1
    assert "schema.unknown-field" in broken.stderr and "nothing applied, nothing pruned" in broken.stderr
    assert jobs(cluster) == {"r1"}  # nothing created, nothing pruned


def test_repo_and_bundle_exclude_each_other(tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo", NS, {"r1": "python:3.12"})
    for args in (["--repo", str(repo), "--bundle", str(tmp_path)], []):
        result = wlc("sync", *args)
        assert result.returncode == 2
        assert "exactly one of --repo DIR" in result.stderr


def recorded_revision(cluster: Cluster, parent: str, namespace: str = NS) -> str | None:
    notes = cluster.kubectl_json("get", "configmap", parent, "-n", namespace)["metadata"].get("annotations") or {}
    found = notes.get("status.wlc.dev/revision")
    return None if found is None else str(found)


def test_sync_repo_records_the_git_revision_and_marks_uncommitted_changes(cluster: Cluster, tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo", NS, {"g1": "python:3.12"})
    assert "no git revision recorded" in wlc("sync", "--repo", str(repo), *cluster_args(cluster)).stdout
    assert recorded_revision(cluster, "g1-applyset") is None  # not a git repository: nothing recorded
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "g1")
    head = git(repo, "rev-parse", "HEAD").strip()
    synced = wlc("sync", "--repo", str(repo), *cluster_args(cluster))
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert f"; git revision {head}\n" in synced.stdout
    assert recorded_revision(cluster, "g1-applyset") == head
    assert recorded_revision(cluster, "wlc-organisation-applyset", "default") == head

    (repo / "workloads" / "agentp" / "g1.yaml").write_text(
        (repo / "workloads" / "agentp" / "g1.yaml").read_text().replace("python:3.12", "python:3.13"))
    dirty = wlc("sync", "--repo", str(repo), "--format", "json", *cluster_args(cluster))
    assert dirty.returncode == 0, dirty.stdout + dirty.stderr
    assert json.loads(dirty.stdout)["revision"] == f"{head}-dirty"
    assert recorded_revision(cluster, "g1-applyset") == f"{head}-dirty"
    got = wlc("get", "-n", NS, "--columns", "workload,revision", "--kubeconfig", str(cluster.kubeconfig))
    assert f"{head[:12]}-dirty" in got.stdout, got.stdout + got.stderr
