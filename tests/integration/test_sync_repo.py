"""`wlc sync --repo` / `wlc plan --repo` against the real control plane: the repository is built
in memory and synced; a build with errors applies nothing; --repo and --bundle exclude each other."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from controlplane import Cluster

from tests.integration.sync_support import wlc, write_repo

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
