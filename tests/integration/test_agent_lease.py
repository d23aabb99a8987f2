"""Two agents with one Lease against the real control plane: one leads and syncs, the other
stands by; SIGKILL the leader and the other takes over within a bounded time and syncs."""
from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from controlplane import Cluster

from tests.integration.sync_support import Running, commit_repo

pytestmark = pytest.mark.cluster

NS = "s17b-lease"
#: the agents' own namespace, where the Lease is; the project's namespace NS is the organisation's
#: to create (one made by hand would be someone else's Namespace, which wlc does not adopt)
AGENT_NS = "s17b-lease-system"
LEASE_DURATION = 3.0


@pytest.fixture()
def pair(cluster: Cluster, tmp_path: Path) -> Iterator[tuple[Running, Running]]:
    origin = tmp_path / "origin"
    commit_repo(origin, NS, {"l1": "python:3.12"}, "one")
    cluster.ensure_namespace(AGENT_NS)

    def start(name: str) -> Running:
        return Running(["--git", origin.as_uri(), "--interval", "1s", "--lease", f"{AGENT_NS}/wlc-agent",
                        "--lease-duration", f"{LEASE_DURATION:.0f}s", "--cache", str(tmp_path / name),
                        "--kubeconfig", str(cluster.kubeconfig), "--namespace", NS])
    agents = (start("a"), start("b"))
    yield agents
    for a in agents:
        if a.proc.poll() is None:
            a.proc.kill()
            a.proc.wait()


def first_role(agent: Running) -> str:
    return str(agent.wait_for(("leading", "standby"), timeout=60)["event"])


def test_one_leads_and_the_other_takes_over_when_it_dies(pair: tuple[Running, Running], cluster: Cluster) -> None:
    roles = {first_role(a): a for a in pair}
    assert set(roles) == {"leading", "standby"}, [a.seen for a in pair]
    leader, standby = roles["leading"], roles["standby"]
    leader.wait_for("synced")
    lease = cluster.kubectl_json("get", "lease", "wlc-agent", "-n", AGENT_NS)
    identity = lease["spec"]["holderIdentity"]
    assert identity.endswith(f"-{leader.proc.pid}")

    leader.proc.send_signal(signal.SIGKILL)
    leader.proc.wait()
    killed = time.monotonic()
    standby.wait_for("leading", timeout=30)
    took = time.monotonic() - killed
    assert took < LEASE_DURATION + 5, f"took over after {took:.1f} s"
    standby.wait_for("synced", timeout=60)
    holder = cluster.kubectl_json("get", "lease", "wlc-agent", "-n", AGENT_NS)["spec"]
    assert holder["holderIdentity"].endswith(f"-{standby.proc.pid}") and holder["leaseTransitions"] >= 1
    events = [r["event"] for r in standby.seen]
    assert "synced" not in events[:events.index("leading")]  # it never synced while standing by

    standby.proc.send_signal(signal.SIGTERM)
    assert standby.proc.wait(timeout=60) == 0
    released = cluster.kubectl_json("get", "lease", "wlc-agent", "-n", AGENT_NS)["spec"]
    assert not released.get("holderIdentity")  # given up on SIGTERM: a successor needs not wait
