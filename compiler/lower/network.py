"""``ports`` → Services, ``exposedUrls`` → an Ingress (and the ClusterIP Service it needs).

One Service per service type, named ``<w>`` (ClusterIP), ``<w>-nodeport`` (NodePort) and
``<w>-lb`` (LoadBalancer), selecting the workload's pod labels; port names ``port-<container>``.
For ClusterIP and LoadBalancer the Service port is ``external`` (default: the container port);
for NodePort the Service port is the container port and ``external`` is the node port.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from compiler.labels import pod_labels
from compiler.lower.common import DNS_1035, DNS_SUBDOMAIN, Ctx, int_or_none, metadata
from compiler.model import Path, ResolvedWorkload
from compiler.shapes import K8sObject, ServicePort, SpecTree
from compiler.templates import fill

SERVICE_TYPES = {"clusterip": "ClusterIP", "nodeport": "NodePort", "loadbalancer": "LoadBalancer",
                 "portforward": "ClusterIP"}
SUFFIX = {"ClusterIP": "", "NodePort": "-nodeport", "LoadBalancer": "-lb"}
NODE_PORTS = (30000, 32767)


@dataclass
class _Service:
    type: str
    ports: list[ServicePort] = field(default_factory=list)

    def port_for(self, container: int) -> ServicePort | None:
        return next((p for p in self.ports if p["targetPort"] == container), None)


def service_name(workload: str, service_type: str) -> str:
    return workload + SUFFIX[service_type]


def lower_network(parent: Ctx, spec: SpecTree | None = None) -> list[K8sObject]:
    """Services and the Ingress of a workload's ports and exposed URLs (``spec``: default the
    workload's); problems go to ``parent``'s collector."""
    ctx = parent.at(spec)
    services: dict[str, _Service] = {}
    for i, item in ctx.items("ports"):
        _add_port(ctx, ("ports", i), item, services)
    ingress = _ingress(ctx, services)
    objects = [_service_object(ctx, svc) for svc in services.values() if svc.ports]
    if ingress is not None:
        objects.append(ingress)
    return objects


def headless_service(rw: ResolvedWorkload, name: str) -> K8sObject:
    """A headless Service governing a StatefulSet's pod DNS names."""
    return {"apiVersion": "v1", "kind": "Service", "metadata": metadata(rw, name),
            "spec": {"clusterIP": "None", "selector": pod_labels(rw.name, rw.project.name),
                     "publishNotReadyAddresses": True}}


def _port_number(ctx: Ctx, where: Path, value: object, what: str) -> int | None:
    number = int_or_none(value)
    if number is None or not 0 < number < 65536:
        ctx.problem(where, "lower.port", f"{what} {value!r} must be a port number (1-65535)")
        return None
    return number


def _add_port(ctx: Ctx, where: Path, item: SpecTree, services: dict[str, _Service]) -> None:
    container = _port_number(ctx, where + ("container",), item.get("container"), "container port")
    if container is None:
        return
    raw_type = str(item.get("serviceType") or "ClusterIP")
    stype = SERVICE_TYPES.get(raw_type.lower())
    if stype is None:
        ctx.problem(where + ("serviceType",), "lower.service-type",
                    f"serviceType {raw_type!r} must be ClusterIP, NodePort or LoadBalancer")
        return
    svc = services.setdefault(stype, _Service(stype))
    port: ServicePort = {"name": f"port-{container}", "port": container, "targetPort": container,
                            "protocol": "TCP"}
    external = item.get("external")
    if external is not None:
        number = _port_number(ctx, where + ("external",), external, "external port")
        if number is None:
            return
        if stype == "NodePort":
            if not NODE_PORTS[0] <= number <= NODE_PORTS[1]:
                ctx.problem(where + ("external",), "lower.node-port",
                            f"external port {number} of a NodePort service must be in the node "
                            f"port range {NODE_PORTS[0]}-{NODE_PORTS[1]}")
                return
            port["nodePort"] = number
        else:
            port["port"] = number
    clash = next((p for p in svc.ports if p["port"] == port["port"] or p["name"] == port["name"]), None)
    if clash is not None:
        ctx.problem(where, "lower.port", f"{stype} service port {port['port']} (container "
                    f"{container}) is already used by container port {clash['targetPort']}")
        return
    svc.ports.append(port)


def _service_object(ctx: Ctx, svc: _Service) -> K8sObject:
    name = service_name(ctx.rw.name, svc.type)
    if not DNS_1035.match(name) or len(name) > 63:
        ctx.problem(("ports",), "lower.service-name",
                    f"Service name {name!r} must be a DNS-1035 label (start with a letter, at most "
                    "63 characters); rename the workload")
    spec: K8sObject = {"type": svc.type, "selector": pod_labels(ctx.rw.name, ctx.rw.project.name),
                            "ports": svc.ports}
    return {"apiVersion": "v1", "kind": "Service", "metadata": metadata(ctx.rw, name), "spec": spec}


def _host_and_path(ctx: Ctx, where: Path, url: object) -> tuple[str, str] | None:
    text = str(url or "").strip()
    if "://" in text:
        parts = urlsplit(text)
        host, path = parts.netloc, parts.path
    elif text.startswith("/"):
        host, path = "", text
    else:
        host, _, rest = text.partition("/")
        path = "/" + rest
    if not host:
        host = fill(ctx.target.host_pattern, {"workload": ctx.rw.name, "project": ctx.rw.project.name,
                                              "namespace": ctx.rw.namespace})
    host = host.lower()
    bare = host.removeprefix("*.")
    if not DNS_SUBDOMAIN.match(bare):
        ctx.problem(where + ("url",), "lower.url",
                    f"host {host!r} of exposed URL {text!r} is not a DNS name (no port, no user)")
        return None
    return host, path or "/"


def _ingress(ctx: Ctx, services: dict[str, _Service]) -> K8sObject | None:
    rules: dict[str, list[K8sObject]] = {}
    seen: set[tuple[str, str]] = set()
    for i, item in ctx.items("exposedUrls"):
        where: Path = ("exposedUrls", i)
        container = _port_number(ctx, where + ("container",), item.get("container"), "container port")
        located = _host_and_path(ctx, where, item.get("url"))
        if container is None or located is None:
            continue
        if item.get("authorizedUsers") or item.get("authorizedGroups"):
            ctx.problem(where, "lower.url-auth",
                        f"authorizedUsers/authorizedGroups of exposed URL for port {container} "
                        "cannot be enforced by a plain Ingress; the URL is reachable by anyone who "
                        "can reach the ingress controller", "warning")
        if located in seen:
            ctx.problem(where + ("url",), "lower.url",
                        f"exposed URL {located[0]}{located[1]} is used twice")
            continue
        seen.add(located)
        port = _url_port(ctx, where, container, services)
        if port is None:
            continue
        backend = {"service": {"name": service_name(ctx.rw.name, "ClusterIP"),
                               "port": {"number": port["port"]}}}
        rules.setdefault(located[0], []).append(
            {"path": located[1], "pathType": "Prefix", "backend": backend})
    if not rules:
        return None
    spec = {"ingressClassName": ctx.target.ingress_class,
            "rules": [{"host": host, "http": {"paths": paths}} for host, paths in rules.items()]}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": metadata(ctx.rw, ctx.rw.name), "spec": spec}


def _url_port(ctx: Ctx, where: Path, container: int, services: dict[str, _Service]) -> ServicePort | None:
    """The ClusterIP Service port an exposed URL's backend uses (added when it is missing)."""
    svc = services.setdefault("ClusterIP", _Service("ClusterIP"))
    port = svc.port_for(container)
    if port is not None:
        return port
    if any(p["port"] == container for p in svc.ports):
        ctx.problem(where + ("container",), "lower.port",
                    f"ClusterIP service port {container} is already used by another "
                    "container port; expose that port with a different external port")
        return None
    new: ServicePort = {"name": f"port-{container}", "port": container, "targetPort": container, "protocol": "TCP"}
    svc.ports.append(new)
    return new
