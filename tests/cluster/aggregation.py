"""The API server's front proxy (API aggregation) and kwok's resource metrics, so that an
aggregated API server (metrics-server, tests/cluster/metricsserver.py) can serve metrics.k8s.io.

* ``front_proxy_flags(work)``: a CA and a client certificate (openssl), and the kube-apiserver
  flags that make it authenticate to aggregated servers with that certificate and route to their
  endpoints (no kube-proxy runs here).
* ``KWOK_METRICS``: kwok config documents: a ``Metric`` serving each node's kubelet
  ``/metrics/resource`` on ``/metrics/nodes/<node>/metrics/resource`` of kwok's one server (the
  nodes say so in metrics-server's ``metrics.k8s.io/resource-metrics-path`` annotation), and a
  ``ClusterResourceUsage``: every container uses 250m CPU and 64Mi memory unless its pod's
  annotations ``kwok.x-k8s.io/usage-cpu`` / ``-memory`` say otherwise.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

METRICS_PATH_ANNOTATION = "metrics.k8s.io/resource-metrics-path"
PROXY_CLIENT = "front-proxy-client"
DEFAULT_CPU, DEFAULT_MEMORY = "250m", "64Mi"


def _openssl(folder: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)


def front_proxy_flags(work: Path) -> list[str]:
    folder = work / "front-proxy"
    folder.mkdir(parents=True, exist_ok=True)
    _openssl(folder, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
             "-days", "3650", "-subj", "/CN=front-proxy-ca", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,digitalSignature")
    _openssl(folder, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key", "-out", "client.csr",
             "-subj", f"/CN={PROXY_CLIENT}")
    (folder / "ext.cnf").write_text("extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n")
    _openssl(folder, "x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "3650", "-extfile", "ext.cnf", "-out", "client.crt")
    return [
        f"--requestheader-client-ca-file={folder / 'ca.crt'}",
        f"--requestheader-allowed-names={PROXY_CLIENT}",
        "--requestheader-username-headers=X-Remote-User",
        "--requestheader-group-headers=X-Remote-Group",
        "--requestheader-extra-headers-prefix=X-Remote-Extra-",
        f"--proxy-client-cert-file={folder / 'client.crt'}",
        f"--proxy-client-key-file={folder / 'client.key'}",
        "--enable-aggregator-routing=true",
    ]


def node_metrics_path(node: str) -> str:
    return f"/metrics/nodes/{node}/metrics/resource"


def _metric(name: str, dimension: str, kind: str, value: str) -> str:
    labels = {"container": "      - name: container\n        value: container.name\n"}.get(dimension, "")
    if dimension in ("container", "pod"):
        labels += ("      - name: namespace\n        value: pod.metadata.namespace\n"
                   "      - name: pod\n        value: pod.metadata.name\n")
    return (f"    - name: {name}\n      dimension: {dimension}\n      kind: {kind}\n      help: {name}\n"
            + (f"      labels:\n{labels}" if labels else "") + f"      value: '{value}'\n")


def _usage(resource: str, default: str) -> str:
    key = f"kwok.x-k8s.io/usage-{resource}"
    return (f"        {resource}:\n          expression: '\"{key}\" in pod.metadata.annotations ? "
            f"Quantity(pod.metadata.annotations[\"{key}\"]) : Quantity(\"{default}\")'\n")


KWOK_METRICS = (
    "---\napiVersion: kwok.x-k8s.io/v1alpha1\nkind: Metric\nmetadata:\n  name: metrics-resource\nspec:\n"
    "  path: /metrics/nodes/{nodeName}/metrics/resource\n  metrics:\n"
    + _metric("scrape_error", "node", "gauge", "0")
    + _metric("container_start_time_seconds", "container", "gauge", "pod.SinceSecond()")
    + _metric("container_cpu_usage_seconds_total", "container", "counter", 'pod.CumulativeUsage("cpu", container.name)')
    + _metric("container_memory_working_set_bytes", "container", "gauge", 'pod.Usage("memory", container.name)')
    + _metric("pod_cpu_usage_seconds_total", "pod", "counter", 'pod.CumulativeUsage("cpu")')
    + _metric("pod_memory_working_set_bytes", "pod", "gauge", 'pod.Usage("memory")')
    + _metric("node_cpu_usage_seconds_total", "node", "counter", 'node.CumulativeUsage("cpu")')
    + _metric("node_memory_working_set_bytes", "node", "gauge", 'node.Usage("memory")')
    + "---\napiVersion: kwok.x-k8s.io/v1alpha1\nkind: ClusterResourceUsage\nmetadata:\n  name: usage\nspec:\n"
    "  usages:\n  - usage:\n" + _usage("cpu", DEFAULT_CPU) + _usage("memory", DEFAULT_MEMORY)
)
