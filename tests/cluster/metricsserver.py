"""metrics-server (the metrics.k8s.io API) against the local control plane.

It scrapes kwok's emulated kubelet resource metrics (aggregation.KWOK_METRICS, at the path each
node's ``metrics.k8s.io/resource-metrics-path`` annotation names) and is served through the API
server's aggregation layer (aggregation.front_proxy_flags). The API server refuses loopback
endpoints for a Service, so metrics-server binds this machine's first non-loopback address.
"""
from __future__ import annotations

import json
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from controlplane import Cluster, ClusterError, Proc, Spawner, free_port, stop_processes

HERE = Path(__file__).resolve().parent
BUILD_SH = HERE / "build-metrics-server.sh"
APISERVICE = "v1beta1.metrics.k8s.io"
NAMESPACE, NAME = "kube-system", "metrics-server"


def binary_path() -> Path:
    out = subprocess.run(["bash", str(BUILD_SH), "--bin"], check=True, capture_output=True, text=True)
    return Path(out.stdout.strip().splitlines()[-1])


def host_address() -> str | None:
    """This machine's address on its default route (a UDP connect sends nothing), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))
            address = str(s.getsockname()[0])
        except OSError:
            return None
    return None if address.startswith("127.") else address


@dataclass
class MetricsServer:
    proc: Proc
    cluster: Cluster

    def stop(self) -> None:
        self.cluster.kubectl("delete", "apiservice", APISERVICE, "--ignore-not-found", check=False)
        self.cluster.kubectl("delete", "service,endpoints,endpointslice", NAME, "-n", NAMESPACE,
                             "--ignore-not-found", check=False)
        stop_processes([self.proc])


def _objects(address: str, port: int) -> list[dict[str, object]]:
    meta = {"name": NAME, "namespace": NAMESPACE}
    return [
        {"apiVersion": "v1", "kind": "Service", "metadata": meta,
         "spec": {"ports": [{"name": "https", "port": 443, "targetPort": port}]}},
        {"apiVersion": "v1", "kind": "Endpoints", "metadata": meta,
         "subsets": [{"addresses": [{"ip": address}], "ports": [{"name": "https", "port": port}]}]},
        {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
         "metadata": {**meta, "labels": {"kubernetes.io/service-name": NAME}}, "addressType": "IPv4",
         "endpoints": [{"addresses": [address], "conditions": {"ready": True}}],
         "ports": [{"name": "https", "port": port, "protocol": "TCP"}]},
        {"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": {"name": APISERVICE},
         "spec": {"group": "metrics.k8s.io", "version": "v1beta1", "insecureSkipTLSVerify": True,
                  "groupPriorityMinimum": 100, "versionPriority": 100,
                  "service": {"namespace": NAMESPACE, "name": NAME, "port": 443}}},
    ]


def start(cluster: Cluster, binary: Path, address: str, timeout: float = 120) -> MetricsServer:
    """Start it, register the APIService, wait until metrics.k8s.io answers."""
    port = free_port()
    work = cluster.workdir / "metrics-server"
    work.mkdir(exist_ok=True)
    kubeconfig = str(cluster.kubeconfig)
    proc = Spawner(cluster.workdir / "logs").spawn(NAME, [
        str(binary), f"--kubeconfig={kubeconfig}", f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}", f"--bind-address={address}", f"--secure-port={port}",
        f"--cert-dir={work}", "--kubelet-insecure-tls", "--kubelet-preferred-address-types=InternalIP",
        "--kubelet-use-node-status-port", "--metric-resolution=15s"])
    server = MetricsServer(proc, cluster)
    cluster.kubectl("apply", "--server-side", "--force-conflicts", "--field-manager=wlc-tests", "-f", "-",
                    input=json.dumps({"apiVersion": "v1", "kind": "List", "items": _objects(address, port)}))
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not proc.alive():
            break
        got = cluster.kubectl("get", "--raw", "/apis/metrics.k8s.io/v1beta1/nodes", check=False)
        if got.returncode == 0 and json.loads(got.stdout).get("items"):
            return server
        time.sleep(2)
    tail = proc.log_tail(20)
    server.stop()
    raise ClusterError(f"metrics-server did not serve node metrics within {timeout:.0f}s:\n{tail}")
