"""Run:ai's Connect: how to reach a workload, from its fetched Services, Ingresses, Knative and
KServe objects and the nodes' addresses (docs/view.md). Pure functions; no I/O.

Per port, the most direct way first: an Ingress URL, a Knative/KServe URL, a LoadBalancer's
external address, a NodePort on a node's address, and for a ClusterIP Service the
``kubectl port-forward`` command that reaches it from the user's machine.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .. import status as st
from ..fetch import Workload
from .table import text_table

Obj = dict[str, Any]
ADDRESS_TYPES = ("ExternalIP", "InternalIP")


@dataclass(frozen=True)
class Connection:
    name: str
    type: str
    port: int
    address: str
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "type": self.type, "port": self.port, "address": self.address, "note": self.note}


def node_addresses(nodes: Sequence[Obj]) -> dict[str, str]:
    """node name -> its ExternalIP, else InternalIP."""
    out = {}
    for n in nodes:
        found = {str(a.get("type")): str(a.get("address")) for a in (n.get("status") or {}).get("addresses") or []}
        address = next((found[t] for t in ADDRESS_TYPES if found.get(t)), "")
        if address:
            out[str(n["metadata"]["name"])] = address
    return out


def connections(w: Workload, nodes: Mapping[str, str], port: int | None = None) -> list[Connection]:
    """Every way to reach ``w`` (only ``port`` when given: a Service port or its target port)."""
    out: list[Connection] = []
    for obj in w.objects:
        kind = st.kind_key(obj)
        if kind == "Ingress":
            out += _ingress(obj)
        elif kind in ("Service.serving.knative.dev", "InferenceService"):
            out += _served_url(obj, kind)
        elif kind == "Service":
            out += _service(obj, w, nodes)
    return [c for c in out if port is None or c.port == port or _targets(w, c, port)]


def _targets(w: Workload, c: Connection, port: int) -> bool:
    for svc in (o for o in w.objects if o.get("kind") == "Service" and o["metadata"]["name"] == c.name):
        for p in (svc.get("spec") or {}).get("ports") or []:
            if p.get("port") == c.port and p.get("targetPort") == port:
                return True
    return False


def _ingress(obj: Obj) -> list[Connection]:
    spec = obj.get("spec") or {}
    tls = {str(h) for t in spec.get("tls") or [] for h in t.get("hosts") or []}
    out = []
    for rule in spec.get("rules") or []:
        host = str(rule.get("host") or "")
        for path in ((rule.get("http") or {}).get("paths") or []):
            backend = (path.get("backend") or {}).get("service") or {}
            number = int((backend.get("port") or {}).get("number") or 0)
            scheme = "https" if host in tls else "http"
            address = f"{scheme}://{host}{path.get('path') or '/'}" if host else _lb_address(obj, number, "http")
            out.append(Connection(str(backend.get("name") or obj["metadata"]["name"]), "Ingress", number,
                                  address or "pending: the ingress controller has not given it an address",
                                  f"ingress {obj['metadata']['name']}"))
    return out


def _served_url(obj: Obj, kind: str) -> list[Connection]:
    url = str((obj.get("status") or {}).get("url") or "")
    label = "Knative" if kind.startswith("Service") else "KServe"
    return [Connection(str(obj["metadata"]["name"]), label, 0,
                       url or f"pending: the {label} controller has not written status.url yet")]


def _lb_address(obj: Obj, port: int, scheme: str = "") -> str:
    for entry in ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []:
        host = entry.get("hostname") or entry.get("ip")
        if host:
            return f"{scheme}://{host}:{port}" if scheme else f"{host}:{port}"
    return ""


def _service(obj: Obj, w: Workload, nodes: Mapping[str, str]) -> list[Connection]:
    spec, name, ns = obj.get("spec") or {}, str(obj["metadata"]["name"]), w.namespace
    kind = str(spec.get("type") or "ClusterIP")
    if spec.get("clusterIP") == "None":
        return []  # headless: a distributed job's peers find each other, nobody connects to it
    out = []
    for p in spec.get("ports") or []:
        number, node_port = int(p.get("port") or 0), int(p.get("nodePort") or 0)
        if kind == "LoadBalancer":
            out.append(Connection(name, kind, number, _lb_address(obj, number) or
                                  "pending: no load balancer has given it an external address yet"))
        if kind in ("LoadBalancer", "NodePort") and node_port:
            host = _node_for(w, nodes)
            out.append(Connection(name, "NodePort", number, f"{host}:{node_port}" if host else f"<node>:{node_port}",
                                  "any node's address works" if host else "no node address readable"))
        if kind == "ClusterIP":
            out.append(Connection(name, kind, number, f"kubectl port-forward -n {ns} svc/{name} {number}:{number}",
                                  f"then open localhost:{number}"))
    return out


def _node_for(w: Workload, nodes: Mapping[str, str]) -> str:
    """The address of a node running one of the pods, else of any node."""
    for p in st.live(w.pods):
        node = str((p.get("spec") or {}).get("nodeName") or "")
        if node in nodes:
            return nodes[node]
    return next(iter(sorted(nodes.values())), "")


def render(found: Sequence[Connection]) -> str:
    return text_table(["NAME", "TYPE", "PORT", "ADDRESS", "NOTE"],
                      [[c.name, c.type, str(c.port or ""), c.address, c.note] for c in found])
