"""Network: ``ports`` and ``exposedUrls`` items, and the spec-wide ``serviceType``.

``serviceType`` is every port's default: ``ingress`` becomes ``ClusterIP`` plus an exposed URL
per port, ``portforward`` becomes ``ClusterIP`` with a warning.
"""
from __future__ import annotations

from ..model import Path
from ..shapes import YamlMap
from .builder import Out
from .items import ItemKind
from .values import Bad, Conv, as_int, as_str, as_str_list, field_value, one_of

_service_type = one_of({"clusterip": "ClusterIP", "nodeport": "NodePort", "loadbalancer": "LoadBalancer"})

_PORT: dict[str, tuple[Path, Conv]] = {
    "container": (("container",), as_int), "external": (("external",), as_int),
    "serviceType": (("serviceType",), _service_type), "name": (("name",), as_str),
    "toolType": (("toolType",), as_str), "toolName": (("toolName",), as_str)}

#: the network item kinds, by Run:ai field (an item without a container port takes it from a
#: label such as ``port-8080``)
NETWORK_ITEMS: dict[str, ItemKind] = {
    "ports": ItemKind(("ports",), "container", _PORT, label_is_key=False),
    "exposedUrls": ItemKind(("exposedUrls",), "container", {
        "container": (("container",), as_int), "url": (("url",), as_str),
        "authorizedUsers": (("authorizedUsers",), as_str_list),
        "authorizedGroups": (("authorizedGroups",), as_str_list), "name": (("name",), as_str),
        "toolType": (("toolType",), as_str), "toolName": (("toolName",), as_str)}, label_is_key=False),
}


def service_type(out: Out, spec: YamlMap) -> None:
    """Apply the spec's ``serviceType`` to every port that has none."""
    found = field_value(out, spec, "serviceType")
    if found is None:
        return
    value, vpath = found
    text = str(value).lower()
    ports = out.data["spec"].get("ports", [])
    if not ports:
        out.dropped(vpath, "there are no ports to expose")
        return
    if text == "ingress":
        for port in ports:
            if not port.get("exclude"):
                _append_url(out, port["container"], vpath)
        stype = "ClusterIP"
    elif text == "portforward":
        out.problem(vpath, "runai.service-type", "portforward becomes a ClusterIP Service "
                    "(reach it with kubectl port-forward)", severity="warning", key=True)
        stype = "ClusterIP"
    else:
        try:
            stype = _service_type(value)
        except Bad as bad:
            out.problem(vpath, "runai.bad-value", f"serviceType: {bad}")
            return
    for index, port in enumerate(ports):
        if "serviceType" not in port and not port.get("exclude"):
            out.put(("spec", "ports", index, "serviceType"), stype, vpath)


def _append_url(out: Out, container: object, vpath: Path) -> None:
    urls = out.data["spec"].get("exposedUrls", [])
    if any(u.get("container") == container for u in urls):
        return
    index = len(urls)
    out.put(("spec", "exposedUrls", index), {}, vpath)
    out.put(("spec", "exposedUrls", index, "container"), container, vpath)
