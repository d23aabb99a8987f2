"""`wlc agent --view-listen` against the real control plane: a real agent following a real git
repository serves `wlc view`'s read-only page beside its sync loop, with its own credentials:
the synced workload's row with its sync state and revision, the details' commands instead of
actions, a POST of an action refused, and SIGTERM stops the page with the loop."""
from __future__ import annotations

import json
import re
import signal
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from controlplane import Cluster

from compiler.cluster import install
from tests.integration.sync_support import Running, commit_repo, git, service_account_kubeconfig, wlc

pytestmark = pytest.mark.cluster

NS = "a14-view"
SYSTEM = "a14-system"
SA = f"system:serviceaccount:{SYSTEM}:{install.NAME}"


@pytest.fixture()
def origin(tmp_path: Path) -> Path:
    return tmp_path / "origin"


@pytest.fixture()
def agent(cluster: Cluster, origin: Path, tmp_path: Path) -> Iterator[Running]:
    commit_repo(origin, NS, {"pv1": "python:3.12"}, "one workload")
    running = Running(["--git", origin.as_uri(), "--interval", "2s", "--view-listen", "127.0.0.1:0",
                       "--cache", str(tmp_path / "cache"), "--kubeconfig", str(cluster.kubeconfig),
                       "--namespace", NS])
    yield running
    if running.proc.poll() is None:
        running.proc.kill()
        running.proc.wait()


def fetch(port: int, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=20) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def cells(page: str, name: str) -> dict[str, str]:
    """The row of workload ``name``: column -> text."""
    row = re.search(rf'<tr data-key="{NS}/{name}".*?</tr>', page, re.DOTALL)
    assert row, page
    return {c: re.sub(r"<[^>]+>", "", v).strip() for c, v in re.findall(r'<td class="col-([\w-]+)">(.*?)</td>',
                                                                        row.group(0), re.DOTALL)}


def test_the_agent_serves_the_read_only_page_of_what_it_synced(agent: Running, origin: Path) -> None:
    port = int(agent.wait_for("view-listening", mode="read-only")["port"])
    synced = agent.wait_for("synced")
    code, page = fetch(port, "/?col=workload&col=status&col=sync&col=revision")
    assert code == 200, page
    row = cells(page, "pv1")
    assert (row["sync"], row["revision"]) == ("Synced", synced["revision"][:12])

    code, details = fetch(port, f"/?w={NS}/pv1")
    assert code == 200 and "This page is read-only" in details
    assert "wlc stop pv1 --project agentp --commit" in details and 'data-act="no"' in details

    action = json.dumps({"verb": "stop", "project": "agentp", "name": "pv1"}).encode()
    code, answer = fetch(port, "/action", action, {"Content-Type": "application/json",
                                                    "X-WLC-Token": "guess", "Origin": f"http://127.0.0.1:{port}"})
    assert code == 403 and "read-only" in json.loads(answer)["error"]
    assert git(origin, "rev-parse", "HEAD").strip() == synced["revision"]  # nothing committed

    agent.proc.send_signal(signal.SIGTERM)
    assert agent.proc.wait(timeout=60) == 0
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)


def apply_manifests(cluster: Cluster, origin: Path, *extra: str) -> None:
    done = wlc("agent", "manifests", "--namespace", SYSTEM, "--git", origin.as_uri(), *extra)
    assert done.returncode == 0, done.stderr
    cluster.kubectl("apply", "--server-side", "-f", "-", input=done.stdout)


def can(cluster: Cluster, verb: str, resource: str) -> str:
    return str(cluster.kubectl("auth", "can-i", verb, resource, "-n", NS, f"--as={SA}", check=False).stdout.strip())


def test_only_the_view_manifests_role_lets_the_agent_serve_the_page(cluster: Cluster, tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    commit_repo(origin, NS, {"pv2": "python:3.12"}, "one workload")
    cluster.ensure_namespace(SYSTEM)
    apply_manifests(cluster, origin)  # the default: least privilege, the page cannot read what it shows
    assert (can(cluster, "get", "pods/log"), can(cluster, "list", "pods"), can(cluster, "list", "events")) == (
        "no", "no", "no")
    config = service_account_kubeconfig(cluster, tmp_path, SYSTEM, install.NAME)
    running = Running(["--git", origin.as_uri(), "--interval", "2s", "--view-listen", "127.0.0.1:0",
                       "--cache", str(tmp_path / "cache"), "--kubeconfig", str(config), "--namespace", NS])
    try:
        port = int(running.wait_for("view-listening")["port"])
        running.wait_for("synced")  # the sync itself needs none of the page's reads
        code, page = fetch(port, "/")
        assert code == 502 and "forbidden" in page.lower()

        apply_manifests(cluster, origin, "--view")
        assert (can(cluster, "get", "pods/log"), can(cluster, "list", "pods"), can(cluster, "list", "nodes")) == (
            "yes", "yes", "yes")
        code, page = fetch(port, "/?col=workload&col=sync")
        assert code == 200 and cells(page, "pv2")["sync"] == "Synced"
        for path in (f"/?w={NS}/pv2", f"/events?w={NS}/pv2", f"/logs?w={NS}/pv2"):
            code, text = fetch(port, path)
            assert code == 200 and "forbidden" not in text.lower(), (path, text)
    finally:
        running.proc.send_signal(signal.SIGTERM)
        assert running.proc.wait(timeout=60) == 0
        apply_manifests(cluster, origin)  # leave the cluster-wide role as the other modules expect it
