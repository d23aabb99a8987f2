"""The one place that talks to the API server: a urllib3 pool with the kubeconfig's TLS and
credentials (compiler/cluster/kubeconfig.py), JSON bodies as plain dicts.

Paths are built from discovery (one request per group-version, cached), every response is
checked here and every failure becomes a ``ClusterError``. ``Kube.metrics`` counts requests by
verb and the writes (non-dry-run POST, PATCH, PUT, DELETE). LISTs are read in pages of
``page_size`` objects (``limit`` and ``continue``), so that a namespace with many objects never
makes the API server build one huge answer.

The ``kubernetes`` client is imported only where wlc still needs it: pods/portforward (its
WebSocket stream) and kubeconfig users with ``exec`` or ``auth-provider`` (its loader runs the
plugin; the token it gets is sent by this transport). Importing it costs more than most
commands' own work.
"""
from __future__ import annotations

import builtins
import json
import os
import ssl
import sys
import tempfile
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import urllib3
from urllib3.util.ssl_ import create_urllib3_context

from .. import labels as L
from . import errors
from . import kubeconfig as kc

if TYPE_CHECKING:
    from kubernetes import client as kclient

APPLY_TYPE = "application/apply-patch+yaml"
#: a LIST answered with the objects' metadata only
METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
#: objects per LIST page (kubectl's own default chunk size)
PAGE_SIZE = 500
#: connections kept open per host: the LISTs and the sync (``--concurrency``) run on several
#: threads; past this many at once, urllib3 opens more and drops them after use, with a warning
POOL_SIZE = 32
#: the User-Agent; the API server names the field manager of a create or update without
#: ``fieldManager`` (Events, the Lease) after it: not ``wlc``, the manager of wlc's applies
USER_AGENT = "wlc-client/0.1 (python urllib3)"

#: what a request can fail with before the API server answered (connection, TLS, timeouts)
TRANSPORT_ERRORS = (urllib3.exceptions.HTTPError, OSError)


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


def load_configuration(kubeconfig: str | None = None, context: str | None = None) -> kc.Connection:
    """Like kubectl: --kubeconfig, else $KUBECONFIG, else ~/.kube/config, else in-cluster."""
    paths = kc.kubeconfig_paths(kubeconfig)
    if paths is None:
        return kc.in_cluster()
    merged = kc.read_files(paths)
    if kc.needs_client(merged, context):
        return _client_loader(paths, context)
    return kc.connection(merged, context)


def _import_client() -> Any:
    """The ``kubernetes`` package, imported on first use. Its package imports its dynamic client,
    which imports kubernetes_validate (and with it jsonschema) when it is installed, as it is
    beside wlc's compiler: validation wlc never asks the client for. Hidden for that import only
    (None in sys.modules makes an import fail), so a later import of it works as always."""
    hidden = "kubernetes_validate" not in sys.modules
    if hidden:
        sys.modules["kubernetes_validate"] = None  # type: ignore[assignment]
    try:
        import kubernetes
        import kubernetes.client
        import kubernetes.config
        import kubernetes.stream
    finally:
        if hidden:
            del sys.modules["kubernetes_validate"]
    return kubernetes


def _client_loader(paths: builtins.list[Path], context: str | None) -> kc.Connection:
    """An ``exec`` or ``auth-provider`` user: the client's loader runs the plugin (and again when
    its token expires); this transport sends the header it makes."""
    k8s = _import_client()
    cfg = k8s.client.Configuration()
    where = os.pathsep.join(str(p) for p in paths)
    try:
        k8s.config.load_kube_config(config_file=where, context=context, client_configuration=cfg,
                                    persist_config=False)
    except (k8s.config.ConfigException, OSError, ValueError, TypeError) as err:
        raise kc.KubeconfigError(f"the kubeconfig {where}: {err}") from None

    def header() -> str | None:
        value = cfg.get_api_key_with_prefix("BearerToken", alias="authorization")
        return str(value) if value else None

    def pem(path: object) -> kc.Pem | None:
        return kc.Pem(path=str(path)) if path else None
    return kc.Connection(server=str(cfg.host).rstrip("/"), source=where, ca=pem(cfg.ssl_ca_cert),
                         client_cert=pem(cfg.cert_file), client_key=pem(cfg.key_file), verify=bool(cfg.verify_ssl),
                         tls_server_name=str(cfg.tls_server_name or ""), proxy=str(cfg.proxy or ""), header=header)


def _private_file(path: Path, data: bytes) -> str:
    """``data`` in a new file only this user may read (a key's PEM); its path."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return str(path)


def _with_files(pems: builtins.list[kc.Pem], use: Any) -> Any:
    """Call ``use(paths)`` with a file for each PEM (its own, or a private copy of its data, removed after)."""
    with tempfile.TemporaryDirectory(prefix="wlc-tls-") as tmp:
        paths = []
        for i, pem in enumerate(pems):
            if pem.path and not pem.data:
                paths.append(pem.path)
                continue
            paths.append(_private_file(Path(tmp) / f"{i}.pem", pem.data))
        return use(paths)


def ssl_context(conn: kc.Connection) -> ssl.SSLContext:
    """The TLS context of a connection: its CA (else the system's), its client certificate."""
    ctx = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED if conn.verify else ssl.CERT_NONE)
    if not conn.verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    where = f"the kubeconfig {conn.source}"
    try:
        if conn.verify and conn.ca is not None:
            ctx.load_verify_locations(cadata=conn.ca.read().decode("ascii", errors="replace"))
        elif conn.verify:
            ctx.load_default_certs()
        if conn.client_cert is not None and conn.client_key is not None:
            _with_files([conn.client_cert, conn.client_key], lambda p: ctx.load_cert_chain(p[0], p[1]))
    except ssl.SSLError as err:
        raise kc.KubeconfigError(f"{where}: its certificates or key cannot be used: {err.reason or err}") from None
    except (ValueError, OSError) as err:
        raise kc.KubeconfigError(f"{where}: its certificates or key cannot be used: {err}") from None
    return ctx


def _pool(conn: kc.Connection) -> urllib3.PoolManager:
    kwargs: dict[str, Any] = {"maxsize": POOL_SIZE, "block": False}
    if conn.server.startswith("https://"):
        kwargs |= {"ssl_context": ssl_context(conn), "cert_reqs": "CERT_REQUIRED" if conn.verify else "CERT_NONE"}
        if conn.tls_server_name:
            kwargs["server_hostname"] = conn.tls_server_name
        if not conn.verify:
            kwargs["assert_hostname"] = False
    if conn.proxy:
        if conn.proxy.startswith(("socks4", "socks5")):
            try:
                from urllib3.contrib.socks import SOCKSProxyManager
            except ImportError:
                raise kc.KubeconfigError(f"the kubeconfig {conn.source}: the SOCKS proxy {conn.proxy} needs "
                                         "PySocks (pip install pysocks)") from None
            return SOCKSProxyManager(conn.proxy, **kwargs)
        return urllib3.ProxyManager(conn.proxy, **kwargs)
    return urllib3.PoolManager(**kwargs)


def _encode(body: Any) -> bytes | None:
    """JSON for every content type sent (JSON is YAML too: apply patches)."""
    return None if body is None else json.dumps(body).encode()


def _timeout(value: float | tuple[float, float | None]) -> urllib3.Timeout:
    if isinstance(value, tuple):
        return urllib3.Timeout(connect=value[0], read=value[1])
    return urllib3.Timeout(total=value)


class Kube:
    """A thin, counted REST client for the API server."""

    def __init__(self, connection: kc.Connection, timeout: float = 30.0, page_size: int = PAGE_SIZE) -> None:
        self.connection = connection
        self.pool = _pool(connection)
        self.timeout = timeout
        self.page_size = max(1, page_size)
        self.metrics: Counter[str] = Counter()
        self._lock = threading.Lock()  # workloads are synced from several threads
        self._groups: dict[tuple[str, str], dict[str, Resource] | None] = {}
        self._discovering: dict[tuple[str, str], threading.Lock] = {}
        self._forward_client: Any = None
        self._forward_files: tempfile.TemporaryDirectory[str] | None = None

    def close(self) -> None:
        self.pool.clear()
        if self._forward_client is not None:
            self._forward_client.close()
            self._forward_client = None
        if self._forward_files is not None:
            self._forward_files.cleanup()
            self._forward_files = None

    # -- transport -----------------------------------------------------------------------------

    def request(self, method: str, path: str, what: str, query: dict[str, str] | None = None,
                body: Any = None, content_type: str = "application/json", accept: str = "application/json") -> Any:
        """Send one request; the decoded JSON answer, or a ClusterError."""
        self._count(method, query)
        headers = {"Accept": accept} | ({"Content-Type": content_type} if body is not None else {})
        try:
            resp = self._call(method, path, query, headers, _encode(body), self.timeout)
            data = resp.data
        except TRANSPORT_ERRORS as err:
            raise errors.from_exception(err, what) from None
        if not 200 <= resp.status < 300:
            raise errors.from_status(resp.status, data, what)
        try:
            return json.loads(data) if data else {}
        except ValueError:
            raise errors.TemporaryError(f"{what}: the API server's answer is not JSON: {data[:200]!r}") from None

    def stream(self, path: str, what: str, query: dict[str, str] | None = None,
               timeout: float | tuple[float, float | None] | None = None) -> Any:
        """A GET whose answer is not JSON (pods/log): the urllib3 response, status checked, body
        not read (``read()`` it, or ``stream()`` it and ``release_conn()``)."""
        self._count("GET", query)
        try:
            resp = self._call("GET", path, query, {"Accept": "*/*"}, None,
                              self.timeout if timeout is None else timeout, preload=False)
            if not 200 <= resp.status < 300:
                raise errors.from_status(resp.status, resp.read(), what)
        except TRANSPORT_ERRORS as err:
            raise errors.from_exception(err, what) from None
        return resp

    def portforward(self, namespace: str, pod: str, port: int) -> Any:
        """A socket to ``port`` of the pod, through the API server's pods/portforward stream
        (the kubernetes client's WebSocket stream, imported here only)."""
        k8s = _import_client()
        if self._forward_client is None:
            self._forward_client = k8s.client.ApiClient(self._client_configuration(k8s))
        forward = k8s.stream.portforward(k8s.client.CoreV1Api(self._forward_client).connect_get_namespaced_pod_portforward,
                                         pod, namespace, ports=str(port))
        return forward.socket(port)

    def _client_configuration(self, k8s: Any) -> kclient.Configuration:
        """The client's Configuration of this connection (its WebSocket stream wants files: the
        PEM data of the kubeconfig is written to a private folder, removed by ``close``)."""
        conn = self.connection
        cfg = k8s.client.Configuration()
        cfg.host = conn.server
        cfg.verify_ssl = conn.verify
        cfg.tls_server_name = conn.tls_server_name or None
        cfg.proxy = conn.proxy or None
        if any(p is not None and p.data for p in (conn.ca, conn.client_cert, conn.client_key)):
            self._forward_files = tempfile.TemporaryDirectory(prefix="wlc-forward-")
        for attr, pem in (("ssl_ca_cert", conn.ca), ("cert_file", conn.client_cert), ("key_file", conn.client_key)):
            if pem is None:
                continue
            if pem.data and self._forward_files is not None:
                setattr(cfg, attr, _private_file(Path(self._forward_files.name) / attr, pem.data))
            else:
                setattr(cfg, attr, pem.path)

        def refresh(c: Any) -> None:
            header = conn.authorization()
            if header:
                c.api_key["BearerToken"] = header
        refresh(cfg)  # the client sends the header only when the key is set beforehand
        cfg.refresh_api_key_hook = refresh
        made: kclient.Configuration = cfg
        return made

    def _count(self, method: str, query: dict[str, str] | None) -> None:
        with self._lock:
            self.metrics["requests"] += 1
            self.metrics[f"requests.{method}"] += 1
            if method != "GET" and not (query or {}).get("dryRun"):
                self.metrics["writes"] += 1

    def _call(self, method: str, path: str, query: dict[str, str] | None, headers: dict[str, str],
              body: bytes | None, timeout: float | tuple[float, float | None], preload: bool = True) -> Any:
        url = self.connection.server + path + (("?" + urlencode(query)) if query else "")
        headers = headers | {"User-Agent": USER_AGENT}
        auth = self.connection.authorization()
        if auth:
            headers["Authorization"] = auth
        return self.pool.request(method, url, body=body, headers=headers, timeout=_timeout(timeout),
                                 preload_content=preload)

    # -- discovery -----------------------------------------------------------------------------

    def resource(self, group: str, version: str, kind: str) -> Resource:
        """The REST resource of a kind; MissingKind when the cluster does not serve it."""
        found = (self._group((group, version)) or {}).get(kind)
        if found is None:
            gv = f"{group}/{version}" if group else version
            raise errors.MissingKind(f"the cluster does not serve {kind} ({gv}): its CustomResourceDefinition "
                                     "is not installed")
        return found

    def _group(self, key: tuple[str, str]) -> dict[str, Resource] | None:
        """A group-version's resources, discovered once (threads asking for kinds of one
        group-version at the same time wait for one discovery request)."""
        with self._lock:
            if key in self._groups:
                return self._groups[key]
            lock = self._discovering.setdefault(key, threading.Lock())
        with lock:
            with self._lock:
                if key in self._groups:
                    return self._groups[key]
            discovered = self._discover(*key)
            with self._lock:
                self._groups[key] = discovered
            return discovered

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
        with self._lock:
            self._groups.pop((group, version), None)

    def forget_all(self) -> None:
        """Discover every group-version again when next asked (kinds installed since, or removed)."""
        with self._lock:
            self._groups.clear()

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
