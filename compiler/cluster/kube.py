"""The one place that talks to the API server, through the ``kubernetes`` client's transport.

Paths are built from discovery (one request per group-version, cached), bodies are plain dicts,
every response is checked here and every failure becomes a ``ClusterError``. ``Kube.metrics``
counts requests by verb and the writes (non-dry-run POST, PATCH, PUT, DELETE). LISTs are read in
pages of ``page_size`` objects (``limit`` and ``continue``), so that a namespace with many
objects never makes the API server build one huge answer.
"""
from __future__ import annotations

import builtins
import json
import os
import sys
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import urllib3

# The client's package imports its dynamic client, which imports kubernetes_validate (and with it
# jsonschema) when it is installed, as it is beside wlc's compiler: about 50 ms of every start of
# a cluster command, for validation wlc never asks the client for. Hidden for that import only
# (None in sys.modules makes an import fail), so a later import of it works as always.
_HIDDEN = "kubernetes_validate" not in sys.modules
if _HIDDEN:
    sys.modules["kubernetes_validate"] = None  # type: ignore[assignment]
try:
    from kubernetes import client as kclient
    from kubernetes import config as kconfig
    from kubernetes import stream as kstream
finally:
    if _HIDDEN:
        del sys.modules["kubernetes_validate"]

from .. import labels as L
from . import errors

APPLY_TYPE = "application/apply-patch+yaml"
#: a LIST answered with the objects' metadata only
METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
#: objects per LIST page (kubectl's own default chunk size)
PAGE_SIZE = 500


#: what a request can fail with before the API server answered (connection, TLS, timeouts)
TRANSPORT_ERRORS = (urllib3.exceptions.HTTPError, kclient.ApiException, OSError)


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool

    def path(self, namespace: str = "", name: str = "") -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{quote(namespace, safe='')}"
        base += f"/{self.plural}"
        return base + (f"/{quote(name, safe='')}" if name else "")


def load_configuration(kubeconfig: str | None = None, context: str | None = None) -> kclient.Configuration:
    """Like kubectl: --kubeconfig, else $KUBECONFIG, else ~/.kube/config, else in-cluster."""
    cfg = kclient.Configuration()
    path = kubeconfig or os.environ.get("KUBECONFIG") or ""
    default = Path.home() / ".kube" / "config"
    try:
        if path or default.is_file() or not os.environ.get("KUBERNETES_SERVICE_HOST"):
            kconfig.load_kube_config(config_file=path or str(default), context=context,
                                     client_configuration=cfg, persist_config=False)  # type: ignore[no-untyped-call]
        else:
            kconfig.load_incluster_config(client_configuration=cfg)  # type: ignore[no-untyped-call]
    except (kconfig.ConfigException, OSError, ValueError, TypeError) as err:
        raise errors.PermanentError(f"no usable kubeconfig ({path or default}) and not in a cluster: {err}") from None
    return cfg


def _encode(body: Any, content_type: str) -> Any:
    """The transport JSON-encodes a body itself only for JSON content types."""
    if body is None or "json" in content_type:  # the transport encodes every JSON type itself
        return body
    return json.dumps(body)


class Kube:
    """A thin, counted REST client for the API server."""

    def __init__(self, configuration: kclient.Configuration, timeout: float = 30.0, page_size: int = PAGE_SIZE) -> None:
        self.api = kclient.ApiClient(configuration)
        self.timeout = timeout
        self.page_size = max(1, page_size)
        self.metrics: Counter[str] = Counter()
        self._lock = threading.Lock()  # workloads are synced from several threads
        self._groups: dict[tuple[str, str], dict[str, Resource] | None] = {}

    def close(self) -> None:
        self.api.close()  # type: ignore[no-untyped-call]

    # -- transport -----------------------------------------------------------------------------

    def request(self, method: str, path: str, what: str, query: dict[str, str] | None = None,
                body: Any = None, content_type: str = "application/json", accept: str = "application/json") -> Any:
        """Send one request; the decoded JSON answer, or a ClusterError."""
        self._count(method, query)
        try:
            resp = self._call(method, path, query, {"Accept": accept, "Content-Type": content_type},
                              _encode(body, content_type), self.timeout)
            data = resp.read()
        except TRANSPORT_ERRORS as err:
            raise errors.from_exception(err, what) from None
        if not 200 <= resp.status < 300:
            raise errors.from_status(resp.status, data, what)
        return json.loads(data) if data else {}

    def stream(self, path: str, what: str, query: dict[str, str] | None = None,
               timeout: float | tuple[float, float | None] | None = None) -> Any:
        """A GET whose answer is not JSON (pods/log): the response, status checked, body not read."""
        self._count("GET", query)
        try:
            resp = self._call("GET", path, query, {"Accept": "*/*"}, None,
                              self.timeout if timeout is None else timeout)
            if not 200 <= resp.status < 300:
                raise errors.from_status(resp.status, resp.read(), what)
        except TRANSPORT_ERRORS as err:
            raise errors.from_exception(err, what) from None
        return resp

    def portforward(self, namespace: str, pod: str, port: int) -> Any:
        """A socket to ``port`` of the pod, through the API server's pods/portforward stream."""
        forward = kstream.portforward(kclient.CoreV1Api(self.api).connect_get_namespaced_pod_portforward,
                                      pod, namespace, ports=str(port))
        return forward.socket(port)

    def _count(self, method: str, query: dict[str, str] | None) -> None:
        with self._lock:
            self.metrics["requests"] += 1
            self.metrics[f"requests.{method}"] += 1
            if method != "GET" and not (query or {}).get("dryRun"):
                self.metrics["writes"] += 1

    def _call(self, method: str, path: str, query: dict[str, str] | None, headers: dict[str, str],
              body: Any, timeout: float | tuple[float, float | None]) -> Any:
        _m, url, hdrs, _b, _p = self.api.param_serialize(method, path, header_params=headers,
                                                         auth_settings=["BearerToken"])
        url_query = ("?" + urlencode(query)) if query else ""
        return self.api.call_api(method, url + url_query, header_params=hdrs, body=body, _request_timeout=timeout)

    # -- discovery -----------------------------------------------------------------------------

    def resource(self, group: str, version: str, kind: str) -> Resource:
        """The REST resource of a kind; MissingKind when the cluster does not serve it."""
        key = (group, version)
        if key not in self._groups:
            discovered = self._discover(group, version)
            with self._lock:
                self._groups[key] = discovered
        found = (self._groups[key] or {}).get(kind)
        if found is None:
            gv = f"{group}/{version}" if group else version
            raise errors.MissingKind(f"the cluster does not serve {kind} ({gv}): its CustomResourceDefinition "
                                     "is not installed")
        return found

    def _discover(self, group: str, version: str) -> dict[str, Resource] | None:
        path = f"/apis/{group}/{version}" if group else f"/api/{version}"
        try:
            data = self.request("GET", path, f"discovery of {path}")
        except errors.NotFound:
            return None
        out = {}
        for r in data.get("resources") or []:
            if "/" not in r.get("name", ""):
                out[str(r["kind"])] = Resource(group, version, str(r["kind"]), str(r["name"]), bool(r["namespaced"]))
        return out

    def forget(self, group: str, version: str) -> None:
        self._groups.pop((group, version), None)

    # -- verbs ---------------------------------------------------------------------------------

    def get(self, res: Resource, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self.request("GET", res.path(namespace, name), f"get {res.kind} {name}")
        except errors.NotFound:
            return None
        return found

    def list(self, res: Resource, namespace: str, selector: str) -> list[dict[str, Any]]:
        items = self._pages(res, namespace, {"labelSelector": selector}, "application/json")
        for item in items:  # a list's items carry no apiVersion/kind
            item.setdefault("apiVersion", f"{res.group}/{res.version}" if res.group else res.version)
            item.setdefault("kind", res.kind)
        return items

    def list_metadata(self, res: Resource, namespace: str) -> builtins.list[dict[str, Any]]:
        """Every object of the resource in the namespace, metadata only (names, labels, owners)."""
        return self._pages(res, namespace, {}, METADATA_LIST)

    def _pages(self, res: Resource, namespace: str, query: dict[str, str], accept: str) -> builtins.list[dict[str, Any]]:
        """Every item of a LIST, page by page; read again from the start once when the server
        says the continue token expired (410 Gone: the pages would not be one snapshot)."""
        items: builtins.list[dict[str, Any]] = []
        token, restarted = "", False
        while True:
            page = {**query, "limit": str(self.page_size)} | ({"continue": token} if token else {})
            try:
                data = self.request("GET", res.path(namespace), f"list {res.plural}", query=page, accept=accept)
            except errors.ClusterError as err:
                if err.status != 410 or not token or restarted:
                    raise
                items, token, restarted = [], "", True
                continue
            items.extend(data.get("items") or [])
            token = str((data.get("metadata") or {}).get("continue") or "")
            if not token:
                return items

    def apply(self, res: Resource, body: dict[str, Any], force: bool, dry_run: bool = False) -> dict[str, Any]:
        meta = body["metadata"]
        query = {"fieldManager": L.FIELD_MANAGER, "force": "true" if force else "false"}
        if dry_run:
            query["dryRun"] = "All"
        out: dict[str, Any] = self.request("PATCH", res.path(meta.get("namespace", ""), meta["name"]),
                                           f"apply {res.kind} {meta['name']}", query=query, body=body,
                                           content_type=APPLY_TYPE)
        return out

    def merge_patch(self, res: Resource, namespace: str, name: str, body: dict[str, Any],
                    manager: str) -> dict[str, Any]:
        """A JSON merge patch of an existing object (NotFound when it is gone: never creates)."""
        out: dict[str, Any] = self.request("PATCH", res.path(namespace, name), f"patch {res.kind} {name}",
                                           query={"fieldManager": manager}, body=body,
                                           content_type="application/merge-patch+json")
        return out

    def replace(self, res: Resource, namespace: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """PUT (optimistic: Conflict when ``body``'s resourceVersion is not the stored one)."""
        out: dict[str, Any] = self.request("PUT", res.path(namespace, name), f"update {res.kind} {name}", body=body)
        return out

    def create(self, res: Resource, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = self.request("POST", res.path(namespace), f"create {res.kind}", body=body)
        return out

    def delete(self, res: Resource, namespace: str, name: str, uid: str, propagation: str) -> None:
        body = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": propagation,
                "preconditions": {"uid": uid}}
        try:
            self.request("DELETE", res.path(namespace, name), f"delete {res.kind} {name}", body=body)
        except errors.NotFound:
            pass

    def preferred_version(self, group: str) -> str | None:
        """The version discovery prefers for ``group``; None when the group is not served."""
        if not group:
            return "v1"
        try:
            data = self.request("GET", f"/apis/{group}", f"discovery of {group}")
        except errors.NotFound:
            return None
        version = (data.get("preferredVersion") or {}).get("version")
        return str(version) if version else None
