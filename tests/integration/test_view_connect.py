"""`wlc connect` against the real control plane: the ways to reach a workload resolved from the
objects the API server holds (an Ingress host, a LoadBalancer that gets its address, a NodePort the
API server allocated on a node's address, the port-forward command of a ClusterIP Service), and a
clear message for a workload without ports; and `--forward`, a real port-forward through the API
server to kwok, whose pods' ports echo what they are sent (tests/cluster/controlplane.py)."""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from controlplane import Cluster

from compiler.cli import main

pytestmark = pytest.mark.cluster

REPO = Path(__file__).resolve().parents[2]
NS = "v14-connect"
FILES = {"dev/team-vision/vscode-dev": "team-vision", "base/runai-nlp/notebook-lb": "runai-nlp",
         "base/runai-recsys/ranker-train": "runai-recsys", "base/runai-nlp/chat-grpc": "runai-nlp"}


def wlc(cluster: Cluster, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"KUBECONFIG": str(cluster.kubeconfig)})


def retargeted(rel: str, namespace: str) -> str:
    text = (REPO / "tests" / "golden" / f"{rel}.yaml").read_text()
    # the API server allocates the NodePort: the example's fixed 30606 may be another module's already
    return text.replace(f"namespace: {namespace}\n", f"namespace: {NS}\n").replace("    nodePort: 30606\n", "")


@pytest.fixture(scope="module")
def applied(cluster: Cluster) -> Cluster:
    cluster.ensure_namespace(NS)
    docs = "---\n".join(retargeted(rel, ns) for rel, ns in FILES.items())
    cluster.kubectl("apply", "--server-side", "--field-manager=wlc", "-f", "-", input=docs)
    return cluster


def ways(cluster: Cluster, name: str, *args: str) -> list[dict[str, object]]:
    result = wlc(cluster, "connect", name, "-n", NS, "-o", "json", *args)
    assert result.exit_code == 0, result.output
    found: list[dict[str, object]] = json.loads(result.stdout)
    return found


def test_an_ingress_gives_its_url_and_a_cluster_ip_service_the_port_forward(applied: Cluster) -> None:
    got = {(w["type"], w["address"]) for w in ways(applied, "vscode-dev")}
    assert ("Ingress", "http://vscode-dev.vision.ml.example.com/") in got
    assert ("ClusterIP", f"kubectl port-forward -n {NS} svc/vscode-dev 8080:8080") in got
    table = wlc(applied, "connect", "vscode-dev", "-n", NS).stdout
    assert table.splitlines()[0].split() == ["NAME", "TYPE", "PORT", "ADDRESS", "NOTE"]


def test_a_node_port_and_a_load_balancer_resolve_from_the_api_server(applied: Cluster) -> None:
    svc = applied.kubectl_json("get", "service", "notebook-lb-nodeport", "-n", NS)
    allocated = svc["spec"]["ports"][0]["nodePort"]
    got = ways(applied, "notebook-lb")
    assert {"type": "NodePort", "port": 6006, "address": f"127.0.0.1:{allocated}"}.items() <= next(
        w for w in got if w["name"] == "notebook-lb-nodeport").items()
    pending = next(w for w in got if w["type"] == "LoadBalancer")
    assert str(pending["address"]).startswith("pending: no load balancer")
    # what a cloud's service controller writes once it has an address (none runs here)
    applied.kubectl("patch", "service", "notebook-lb-lb", "-n", NS, "--subresource=status", "--type=merge",
                    "-p", json.dumps({"status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}}}))
    lb = [w for w in ways(applied, "notebook-lb", "--port", "8888")]  # the container port the LB targets
    assert {(w["type"], w["address"]) for w in lb} >= {("LoadBalancer", "203.0.113.7:80")}
    assert all(w["name"] == "notebook-lb-lb" for w in lb)


def test_a_workload_without_ports_says_there_is_nothing_to_connect_to(applied: Cluster) -> None:
    result = wlc(applied, "connect", "ranker-train", "-n", NS)
    assert result.exit_code == 1
    assert "has no Service, Ingress or serving URL: nothing to connect to" in result.stderr
    assert wlc(applied, "connect", "vscode-dev", "-n", NS, "--port", "9999").exit_code == 1
    assert wlc(applied, "connect", "no-such", "-n", NS).exit_code == 2


def test_forward_relays_a_local_port_to_the_pod_through_the_api_server(applied: Cluster) -> None:
    end = time.monotonic() + 90
    while time.monotonic() < end and "2/2" not in wlc(applied, "get", "-n", NS, "--search", "chat-grpc").stdout:
        time.sleep(1)
    proc = subprocess.Popen([sys.executable, "-m", "compiler.cli", "connect", "chat-grpc", "-n", NS, "--forward",
                             "--local-port", "0"], stderr=subprocess.PIPE, text=True, cwd=REPO,
                            env={**os.environ, "KUBECONFIG": str(applied.kubeconfig)})
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        found = re.search(r"forwarding 127\.0\.0\.1:(\d+) -> " + NS + r"/chat-grpc-\S+:8001", line)
        assert found, line
        with socket.create_connection(("127.0.0.1", int(found.group(1))), timeout=30) as conn:
            conn.sendall(b"through the API server and back\n")
            assert conn.recv(100) == b"through the API server and back\n"
    finally:
        proc.terminate()
        proc.wait(10)
    assert wlc(applied, "connect", "ranker-train", "-n", NS, "--forward").exit_code == 3  # no running pod
