"""Approving one large delete, against the real control plane: the refusal names the delete's id
and the exact command that approves it; `wlc sync --approve-delete ID` approves only that delete,
and for the agent the annotation wlc.dev/approve-delete on its approval Namespace does."""
from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from controlplane import Cluster

from compiler.cluster import approval
from tests.integration.sync_support import commit_repo, json_lines, wlc, write_repo

pytestmark = pytest.mark.cluster

NS = "s17a-approval"
AGENT_NS = "s17a-agent"
ADMIN = "s17a-admin"  # the agent's own namespace, where an admin approves


def jobs(cluster: Cluster, namespace: str = NS) -> set[str]:
    return {str(j["metadata"]["name"]) for j in cluster.kubectl_json("get", "jobs", "-n", namespace)["items"]}


def sync(cluster: Cluster, repo: Path, *extra: str) -> tuple[int, str]:
    done = wlc("sync", "--repo", str(repo), "--kubeconfig", str(cluster.kubeconfig), "--namespace", NS,
               "--max-delete", "1", *extra)
    return done.returncode, done.stdout + done.stderr


def test_wlc_sync_approves_only_the_delete_the_refusal_names(cluster: Cluster, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write_repo(repo, NS, {"a1": "python:3.12", "a2": "python:3.12", "a3": "python:3.12", "a4": "python:3.12"})
    assert sync(cluster, repo)[0] == 0 and jobs(cluster) >= {"a1", "a2", "a3", "a4"}

    write_repo(repo, NS, {"a1": "python:3.12", "a2": "python:3.12"})
    code, out = sync(cluster, repo)
    assert code == 3 and jobs(cluster) >= {"a3", "a4"}, out
    found = re.search(r"approve this delete \(id ([0-9a-f]{12})\) with `wlc sync --approve-delete \1`", out)
    assert found is not None, out
    assert sync(cluster, repo, "--approve-delete", "0123456789ab")[0] == 3  # another id approves nothing
    assert jobs(cluster) >= {"a3", "a4"}

    code, out = sync(cluster, repo, "--approve-delete", found.group(1))
    assert code == 0 and not jobs(cluster) & {"a3", "a4"}, out
    assert sync(cluster, repo, "--max-delete", "0")[0] == 0  # nothing left to delete: nothing refused


def agent_once(cluster: Cluster, origin: Path, cache: Path) -> tuple[int, list[dict[str, Any]]]:
    done = wlc("agent", "--git", origin.as_uri(), "--once", "--cache", str(cache), "--kubeconfig",
               str(cluster.kubeconfig), "--namespace", AGENT_NS, "--max-delete", "1", "--approval-namespace", ADMIN)
    return done.returncode, json_lines(done.stderr)


def test_the_agent_deletes_once_an_admin_annotates_its_namespace(cluster: Cluster, tmp_path: Path) -> None:
    cluster.ensure_namespace(ADMIN)
    origin, cache = tmp_path / "origin", tmp_path / "cache"
    commit_repo(origin, AGENT_NS, {"b1": "python:3.12", "b2": "python:3.12", "b3": "python:3.12"}, "three")
    assert agent_once(cluster, origin, cache)[0] == 0 and jobs(cluster, AGENT_NS) >= {"b1", "b2", "b3"}

    commit_repo(origin, AGENT_NS, {"b1": "python:3.12"}, "two fewer")
    code, lines = agent_once(cluster, origin, cache)
    [message] = [m for line in lines if isinstance(line.get("messages"), list) for m in line["messages"]]
    assert code == 3 and jobs(cluster, AGENT_NS) >= {"b2", "b3"}
    command = re.search(r"`(kubectl annotate namespace \S+ \S+ --overwrite)`", str(message))
    assert command is not None and f"{approval.ANNOTATION}=" in command.group(1), message
    assert agent_once(cluster, origin, cache)[0] == 3  # still refused: nothing approved yet

    cluster.kubectl(*shlex.split(command.group(1))[1:])  # exactly what the message says
    code, lines = agent_once(cluster, origin, cache)
    assert code == 0 and not jobs(cluster, AGENT_NS) & {"b2", "b3"}, lines
