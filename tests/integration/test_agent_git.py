"""`wlc agent --once` against real git repositories and the real control plane: a commit that
adds workloads makes them appear, a commit that removes one deletes its objects, a broken commit
changes nothing (the parents say why, the last good revision stays recorded)."""
from __future__ import annotations

from pathlib import Path

import pytest
from controlplane import Cluster

from tests.integration.sync_support import commit_repo, json_lines, wlc

pytestmark = pytest.mark.cluster

NS = "s17b-agent"


def once(cluster: Cluster, origin: Path, cache: Path) -> tuple[int, list[dict[str, object]]]:
    done = wlc("agent", "--git", origin.as_uri(), "--branch", "main", "--once", "--cache", str(cache),
               "--kubeconfig", str(cluster.kubeconfig), "--namespace", NS)
    assert done.stdout == ""
    return done.returncode, json_lines(done.stderr)


def jobs(cluster: Cluster) -> set[str]:
    return {str(j["metadata"]["name"]) for j in cluster.kubectl_json("get", "jobs", "-n", NS)["items"]}


def recorded(cluster: Cluster, workload: str) -> dict[str, str]:
    cm = cluster.kubectl_json("get", "configmap", f"{workload}-applyset", "-n", NS)
    annotations: dict[str, str] = cm["metadata"]["annotations"]
    return annotations


def test_the_agent_follows_git_commits(cluster: Cluster, tmp_path: Path) -> None:
    origin, cache = tmp_path / "origin", tmp_path / "cache"
    first = commit_repo(origin, NS, {"g1": "python:3.12", "g2": "python:3.12"}, "add g1 and g2")
    code, logs = once(cluster, origin, cache)
    assert code == 0, logs
    assert [e["event"] for e in logs] == ["started", "synced", "stopped"]
    assert logs[1]["revision"] == first and logs[1]["writes"]
    assert jobs(cluster) == {"g1", "g2"}
    assert recorded(cluster, "g1")["status.wlc.dev/revision"] == first

    second = commit_repo(origin, NS, {"g1": "python:3.12"}, "remove g2")
    code, logs = once(cluster, origin, cache)
    assert code == 0, logs
    assert jobs(cluster) == {"g1"}
    assert cluster.kubectl("get", "configmap", "g2-applyset", "-n", NS, check=False).returncode != 0
    assert recorded(cluster, "g1")["status.wlc.dev/revision"] == second

    broken = commit_repo(origin, NS, {"g3": "python:3.12", "bad": "BROKEN"}, "a broken commit")
    code, logs = once(cluster, origin, cache)
    assert code == 1
    failed = next(e for e in logs if e["event"] == "build-failed")
    assert failed["revision"] == broken and "unknown field" in str(failed["first"])
    assert jobs(cluster) == {"g1"}  # g3 not created, g1 not pruned
    status = recorded(cluster, "g1")
    assert status["status.wlc.dev/revision"] == second and status["status.wlc.dev/result"] == "build-failed"
    assert broken[:12] in status["status.wlc.dev/message"]

    fixed = commit_repo(origin, NS, {"g1": "python:3.12", "g3": "python:3.12"}, "fixed")
    code, logs = once(cluster, origin, cache)
    assert code == 0 and jobs(cluster) == {"g1", "g3"}
    assert recorded(cluster, "g1")["status.wlc.dev/result"] == "synced"
    assert recorded(cluster, "g3")["status.wlc.dev/revision"] == fixed


def test_an_unreachable_repository_changes_nothing(cluster: Cluster, tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    commit_repo(origin, NS, {"g1": "python:3.12"}, "one")
    assert once(cluster, origin, tmp_path / "cache")[0] == 0
    code, logs = once(cluster, tmp_path / "no-such-repo", tmp_path / "cache2")
    assert code == 3 and any(e["event"] == "fetch-failed" for e in logs)
    assert jobs(cluster) == {"g1"}


def test_credentials_in_a_url_are_never_logged(cluster: Cluster, tmp_path: Path) -> None:
    done = wlc("agent", "--git", "https://user:s3cret-token@127.0.0.1:9/x.git", "--once",
               "--cache", str(tmp_path / "c"), "--kubeconfig", str(cluster.kubeconfig), "--namespace", NS)
    assert done.returncode == 3
    assert "s3cret-token" not in done.stderr and "https://***@127.0.0.1:9/x.git" in done.stderr
    assert [e["event"] for e in json_lines(done.stderr)] == ["started", "fetch-failed", "stopped"]
