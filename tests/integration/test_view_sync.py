"""The SYNC and REVISION columns of `wlc get` against the real control plane, from what a real
`wlc agent --once` recorded on the ApplySet parents of a real git repository's workloads: Synced
with the revision, Refused after a broken commit, and, compared with the repository
(`--repo`), OutOfSync for a changed or removed workload and Missing for a new one."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from controlplane import Cluster

from tests.integration.sync_support import commit_repo, wlc, write_repo

pytestmark = pytest.mark.cluster

NS = "v14-sync"
COLUMNS = "workload,status,sync,revision,sync-message"


def agent_once(cluster: Cluster, origin: Path, cache: Path) -> int:
    done = wlc("agent", "--git", origin.as_uri(), "--branch", "main", "--once", "--cache", str(cache),
               "--kubeconfig", str(cluster.kubeconfig), "--namespace", NS)
    return done.returncode


def sync_rows(cluster: Cluster, *args: str) -> dict[str, dict[str, str]]:
    done = wlc("get", "-n", NS, "-o", "json", "--columns", COLUMNS, "--kubeconfig", str(cluster.kubeconfig), *args)
    assert done.returncode == 0, done.stderr
    return {r["workload"]: r for r in json.loads(done.stdout)}


def test_sync_state_from_the_agents_records_and_against_git(cluster: Cluster, tmp_path: Path) -> None:
    origin, cache = tmp_path / "origin", tmp_path / "cache"
    first = commit_repo(origin, NS, {"v1": "python:3.12", "v2": "python:3.12"}, "add v1 and v2")
    assert agent_once(cluster, origin, cache) == 0
    got = sync_rows(cluster)
    assert {k: (r["sync"], r["revision"]) for k, r in got.items()} == {
        "v1": ("Synced", first[:12]), "v2": ("Synced", first[:12])}
    assert sync_rows(cluster, "--repo", str(origin))["v1"]["sync"] == "Synced"  # git has not moved

    # git moves on (not synced yet): v1 changed, v2 removed, v3 added
    write_repo(origin, NS, {"v1": "python:3.13", "v3": "python:3.12"})
    against = sync_rows(cluster, "--repo", str(origin))
    assert against["v1"]["sync"] == "OutOfSync" and "git has spec" in against["v1"]["sync-message"]
    assert against["v2"]["sync"] == "OutOfSync" and "not in the bundle" in against["v2"]["sync-message"]
    assert (against["v3"]["sync"], against["v3"]["status"]) == ("Missing", "")
    assert set(sync_rows(cluster, "--repo", str(origin), "--sync", "missing")) == {"v3"}
    assert set(sync_rows(cluster)) == {"v1", "v2"}  # without a bundle nothing is Missing: the cluster alone

    # a broken commit: the agent refuses it, the parents keep the last synced revision
    commit_repo(origin, NS, {"v1": "python:3.12", "bad": "BROKEN"}, "a broken commit")
    assert agent_once(cluster, origin, cache) == 1
    refused = sync_rows(cluster)
    assert {k: (r["sync"], r["revision"]) for k, r in refused.items()} == {
        "v1": ("Refused", first[:12]), "v2": ("Refused", first[:12])}
    assert "build-failed" in refused["v1"]["sync-message"]
    assert wlc("get", "--repo", str(origin), "--bundle", str(tmp_path), "--kubeconfig",
               str(cluster.kubeconfig)).returncode == 2  # one desired state, not two
    assert wlc("get", "--repo", str(origin), "--kubeconfig", str(cluster.kubeconfig)).returncode == 1  # build errors
