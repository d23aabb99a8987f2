"""A real Prometheus (Debian's package: ``apt-get install prometheus``, .ci/run does) scraping the
DCGM exporter series kwok emulates for each fake node (dcgm.py), on 127.0.0.1.

``start(cluster)`` writes a scrape config with one target per node, kwok's kubelet server
(``status.daemonEndpoints.kubeletEndpoint.Port``, TLS with kwok's own certificate) at
``dcgm.node_path(node)``, starts Prometheus with its data in the cluster's work folder, and waits
until every target has been scraped once. ``stop()`` ends that one process.
"""
from __future__ import annotations

import json
import shutil
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import dcgm
from controlplane import Cluster, ClusterError, Proc, Spawner, free_port, stop_processes

SCRAPE_INTERVAL = "2s"


def binary() -> Path | None:
    found = shutil.which("prometheus")
    return Path(found) if found else None


@dataclass
class Prometheus:
    proc: Proc
    url: str

    def stop(self) -> None:
        stop_processes([self.proc])


def scrape_config(kwok_port: int, nodes: list[str]) -> str:
    """prometheus.yml: one job, a target per node; ``honor_labels`` keeps the exporter's
    ``namespace``/``pod`` labels as they are (as DCGM setups do)."""
    targets = [{"targets": [f"127.0.0.1:{kwok_port}"], "labels": {"__metrics_path__": dcgm.node_path(n), "node": n}}
               for n in nodes]
    config = {"global": {"scrape_interval": SCRAPE_INTERVAL, "evaluation_interval": SCRAPE_INTERVAL},
              "scrape_configs": [{"job_name": "dcgm-exporter", "scheme": "https", "honor_labels": True,
                                  "tls_config": {"insecure_skip_verify": True}, "static_configs": targets}]}
    return json.dumps(config, indent=2) + "\n"  # JSON is YAML


def _kwok_port(cluster: Cluster) -> tuple[int, list[str]]:
    nodes = cluster.kubectl_json("get", "nodes")["items"]
    ports = {int(n["status"]["daemonEndpoints"]["kubeletEndpoint"]["Port"]) for n in nodes}
    if len(ports) != 1:
        raise ClusterError(f"the nodes advertise kubelet ports {sorted(ports)}, expected kwok's one")
    return ports.pop(), sorted(str(n["metadata"]["name"]) for n in nodes)


def _targets_up(url: str, count: int) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/v1/targets?state=active", timeout=5) as r:
            active = json.load(r)["data"]["activeTargets"]
    except (urllib.error.URLError, OSError, ValueError, KeyError):
        return False
    return len(active) == count and all(t.get("health") == "up" for t in active)


def start(cluster: Cluster, exe: Path, timeout: float = 90) -> Prometheus:
    kwok_port, nodes = _kwok_port(cluster)
    work = cluster.workdir / "prometheus"
    work.mkdir(exist_ok=True)
    (work / "prometheus.yml").write_text(scrape_config(kwok_port, nodes))
    port = free_port()
    proc = Spawner(cluster.workdir / "logs").spawn("prometheus", [
        str(exe), f"--config.file={work / 'prometheus.yml'}", f"--storage.tsdb.path={work / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"])
    server = Prometheus(proc, f"http://127.0.0.1:{port}")
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.alive():
        if _targets_up(server.url, len(nodes)):
            return server
        time.sleep(1)
    tail = proc.log_tail(20)
    server.stop()
    raise ClusterError(f"Prometheus did not scrape kwok's {len(nodes)} DCGM targets within {timeout:.0f}s:\n{tail}")
