"""The ways into a workload (compiler/cluster/view/connect.py) for the objects the cluster test
cannot produce: TLS Ingress hosts, Knative and KServe URLs, headless Services, unreadable nodes."""
from __future__ import annotations

from typing import Any

from compiler.cluster.fetch import Workload
from compiler.cluster.view import connect


def obj(kind: str, name: str, spec: dict[str, Any], status: dict[str, Any] | None = None,
        api: str = "v1") -> dict[str, Any]:
    return {"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": "ns"}, "spec": spec,
            "status": status or {}}


def test_a_tls_host_is_https_and_a_knative_url_comes_from_its_status() -> None:
    ingress = obj("Ingress", "web", {"tls": [{"hosts": ["a.example.com"]}], "rules": [
        {"host": "a.example.com", "http": {"paths": [{"path": "/x", "backend": {"service": {
            "name": "web", "port": {"number": 80}}}}]}}]}, api="networking.k8s.io/v1")
    kn = obj("Service", "srv", {}, {"url": "https://srv.ns.example.com"}, api="serving.knative.dev/v1")
    found = connect.connections(Workload("w", "ns", objects=[ingress, kn]), {})
    assert [(c.type, c.address) for c in found] == [("Ingress", "https://a.example.com/x"),
                                                    ("Knative", "https://srv.ns.example.com")]


def test_pending_serving_urls_headless_services_and_unreadable_nodes() -> None:
    isvc = obj("InferenceService", "m", {}, api="serving.kserve.io/v1beta1")
    headless = obj("Service", "peers", {"clusterIP": "None", "ports": [{"port": 23456}]})
    nodeport = obj("Service", "np", {"type": "NodePort", "ports": [{"port": 6006, "nodePort": 30001}]})
    found = connect.connections(Workload("w", "ns", objects=[isvc, headless, nodeport]), {})
    assert [(c.type, c.address) for c in found] == [
        ("KServe", "pending: the KServe controller has not written status.url yet"), ("NodePort", "<node>:30001")]


def test_node_addresses_prefer_the_external_ip() -> None:
    nodes = [{"metadata": {"name": "a"}, "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.1"},
                                                                  {"type": "ExternalIP", "address": "1.2.3.4"}]}},
             {"metadata": {"name": "b"}, "status": {"addresses": [{"type": "Hostname", "address": "b"}]}}]
    assert connect.node_addresses(nodes) == {"a": "1.2.3.4"}


def test_forward_targets_the_first_ready_pod_and_maps_a_service_port() -> None:
    from compiler.cluster import errors
    from compiler.cluster.view import forward
    ready = {"metadata": {"name": "w-b"}, "status": {"phase": "Running", "conditions": [
        {"type": "Ready", "status": "True"}]}}
    pending = {"metadata": {"name": "w-a"}, "status": {"phase": "Pending"}}
    svc = obj("Service", "w", {"ports": [{"port": 80, "targetPort": 8888}, {"port": 6006, "targetPort": "tb"}]})
    w = Workload("w", "ns", objects=[svc], pods=[pending, ready])
    assert forward.target(w, None) == ("w-b", 8888)
    assert forward.target(w, 80) == ("w-b", 8888) and forward.target(w, 9000) == ("w-b", 9000)
    assert forward.target(w, 6006) == ("w-b", 6006)  # a named targetPort: the Service port is tried as is
    try:
        forward.target(Workload("w", "ns", pods=[pending]), None)
    except errors.PermanentError as err:
        assert "no running pod" in str(err)
    else:
        raise AssertionError("a workload without a Ready pod has nothing to forward to")
