"""Where the API server is and how to authenticate to it, read like kubectl reads it, without the
``kubernetes`` client (importing it is most of a short command's start).

``--kubeconfig FILE``, else ``$KUBECONFIG`` (several files joined by ``os.pathsep``, merged like
kubectl: the first file that names a cluster, user or context, or sets ``current-context``, wins;
files that do not exist are skipped), else ``~/.kube/config``, else the in-cluster service account
(``KUBERNETES_SERVICE_HOST``, the token and CA under ``/var/run/secrets/kubernetes.io/serviceaccount``).

Read here: ``current-context`` or ``--context``; the cluster's ``server``,
``certificate-authority(-data)``, ``insecure-skip-tls-verify``, ``tls-server-name``, ``proxy-url``;
the user's ``client-certificate(-data)``/``client-key(-data)``, ``token``/``tokenFile``,
``username``/``password``. File paths are resolved against the folder of the kubeconfig file that
named them (as kubectl does); token files are read again after a minute (rotated service-account
tokens). Without ``proxy-url``, ``$HTTPS_PROXY``/``$HTTP_PROXY`` and ``$NO_PROXY`` apply, as they do
for kubectl (never to a loopback address). A user with ``exec`` or ``auth-provider`` is not handled here: :func:`needs_client` tells,
and ``kube.load_configuration`` hands such a kubeconfig to the client's own loader.
"""
from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from . import errors

SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")
#: seconds a token file's content is used before the file is read again
TOKEN_FILE_TTL = 60.0


class KubeconfigError(errors.PermanentError):
    """The kubeconfig cannot be used: the message says which file and which entry."""


@dataclass(frozen=True)
class Pem:
    """A PEM file's content, or its path (read when the TLS context is built)."""

    data: bytes = b""
    path: str = ""

    def read(self) -> bytes:
        if self.data or not self.path:
            return self.data
        try:
            return Path(self.path).read_bytes()
        except OSError as err:
            raise KubeconfigError(f"cannot read {self.path}: {err.strerror or err}") from None


class TokenFile:
    """A bearer token read from a file, read again after :data:`TOKEN_FILE_TTL` seconds."""

    def __init__(self, path: str, ttl: float = TOKEN_FILE_TTL) -> None:
        self.path, self.ttl = path, ttl
        self._lock = threading.Lock()
        self._token, self._read_at = "", -ttl - 1.0
        self.token()  # a missing or empty file is an error now, not at the first request

    def token(self) -> str:
        with self._lock:
            now = time.monotonic()
            if now - self._read_at >= self.ttl:
                try:
                    text = Path(self.path).read_text(encoding="utf-8", errors="replace").strip()
                except OSError as err:
                    if not self._token:
                        raise KubeconfigError(f"cannot read the token file {self.path}: {err.strerror or err}") from None
                    text = self._token  # keep the last token while the file is being replaced
                if not text:
                    raise KubeconfigError(f"the token file {self.path} is empty")
                if not _header_safe(text):
                    raise KubeconfigError(f"the token file {self.path} holds a control character: not a token")
                self._token, self._read_at = text, now
            return self._token


@dataclass(frozen=True)
class Connection:
    """What a transport needs: the server, TLS material and the Authorization header."""

    server: str
    source: str  # where it was read from, for messages
    ca: Pem | None = None
    client_cert: Pem | None = None
    client_key: Pem | None = None
    verify: bool = True
    tls_server_name: str = ""
    proxy: str = ""
    token: str = ""
    token_file: TokenFile | None = None
    basic: str = ""  # "user:password"
    #: an Authorization header of the client's loader (exec and auth-provider users)
    header: Callable[[], str | None] | None = field(default=None, compare=False)

    def authorization(self) -> str | None:
        if self.header is not None:
            return self.header()
        if self.token_file is not None:
            return f"Bearer {self.token_file.token()}"
        if self.token:
            return f"Bearer {self.token}"
        if self.basic:
            return "Basic " + base64.b64encode(self.basic.encode()).decode()
        return None


def kubeconfig_paths(kubeconfig: str | None) -> list[Path] | None:
    """The kubeconfig files to read, in order; None when none is given or found (in-cluster then)."""
    if kubeconfig:
        return [Path(kubeconfig).expanduser()]
    env = os.environ.get("KUBECONFIG") or ""
    if env:
        found = [Path(p).expanduser() for p in env.split(os.pathsep) if p]
        existing = [p for p in found if p.exists()]
        if existing:
            return existing
        if not os.environ.get("KUBERNETES_SERVICE_HOST"):
            raise KubeconfigError(f"none of the $KUBECONFIG files exists ({env})")
        return None
    default = Path.home() / ".kube" / "config"
    if default.is_file() or not os.environ.get("KUBERNETES_SERVICE_HOST"):
        return [default]
    return None


@dataclass
class Merged:
    """Named clusters, users and contexts of the merged files, each with the folder of its file."""

    current: str = ""
    clusters: dict[str, tuple[Mapping[str, Any], Path]] = field(default_factory=dict)
    users: dict[str, tuple[Mapping[str, Any], Path]] = field(default_factory=dict)
    contexts: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)


def read_files(paths: list[Path]) -> Merged:
    merged = Merged(files=paths)
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as err:
            raise KubeconfigError(f"cannot read the kubeconfig {path}: {err.strerror or err}") from None
        except UnicodeDecodeError:
            raise KubeconfigError(f"the kubeconfig {path} is not UTF-8 text") from None
        try:
            doc = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError as err:
            raise KubeconfigError(f"the kubeconfig {path} is not YAML: {str(err).splitlines()[0]}") from None
        if doc is None:
            continue  # kubectl accepts an empty file
        if not isinstance(doc, dict):
            raise KubeconfigError(f"the kubeconfig {path} is not a mapping")
        folder = path.resolve().parent
        if not merged.current and isinstance(doc.get("current-context"), str):
            merged.current = doc["current-context"]
        for key, inner, target in (("clusters", "cluster", merged.clusters), ("users", "user", merged.users)):
            for name, body in _named(doc, key, inner, path):
                target.setdefault(name, (body, folder))
        for name, body in _named(doc, "contexts", "context", path):
            merged.contexts.setdefault(name, body)
    return merged


def _named(doc: Mapping[str, Any], key: str, inner: str, path: Path) -> list[tuple[str, Mapping[str, Any]]]:
    entries = doc.get(key) or []
    if not isinstance(entries, list):
        raise KubeconfigError(f"the kubeconfig {path}: {key} is not a list")
    out: list[tuple[str, Mapping[str, Any]]] = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise KubeconfigError(f"the kubeconfig {path}: {key}[{i}] has no name")
        body = entry.get(inner) or {}
        if not isinstance(body, dict):
            raise KubeconfigError(f"the kubeconfig {path}: {key} {entry['name']!r}: {inner} is not a mapping")
        out.append((entry["name"], body))
    return out


def needs_client(merged: Merged, context: str | None) -> bool:
    """Whether the context's user authenticates with ``exec`` or ``auth-provider`` (the client's loader)."""
    try:
        ctx = _context(merged, context)
    except KubeconfigError:
        return False
    user = merged.users.get(str(ctx.get("user") or ""))
    return user is not None and bool(user[0].get("exec") or user[0].get("auth-provider"))


def _where(merged: Merged) -> str:
    return os.pathsep.join(str(p) for p in merged.files)


def _context(merged: Merged, context: str | None) -> Mapping[str, Any]:
    name = context or merged.current
    if not name:
        raise KubeconfigError(f"the kubeconfig {_where(merged)} has no current-context: give --context "
                              f"(contexts: {', '.join(sorted(merged.contexts)) or 'none'})")
    if name not in merged.contexts:
        raise KubeconfigError(f"the kubeconfig {_where(merged)} has no context {name!r} "
                              f"(contexts: {', '.join(sorted(merged.contexts)) or 'none'})")
    return merged.contexts[name]


def connection(merged: Merged, context: str | None = None) -> Connection:
    """The connection of ``context`` (default: the current one) of the merged files."""
    ctx = _context(merged, context)
    where = _where(merged)
    cluster_name, user_name = str(ctx.get("cluster") or ""), str(ctx.get("user") or "")
    if cluster_name not in merged.clusters:
        raise KubeconfigError(f"the kubeconfig {where}: context {context or merged.current!r} names "
                              f"cluster {cluster_name!r}, which it does not define")
    cluster, cfolder = merged.clusters[cluster_name]
    user, ufolder = merged.users.get(user_name, ({}, cfolder))
    if user_name and user_name not in merged.users:
        raise KubeconfigError(f"the kubeconfig {where}: context {context or merged.current!r} names "
                              f"user {user_name!r}, which it does not define")
    server = cluster.get("server")
    if not _url(server):
        raise KubeconfigError(f"the kubeconfig {where}: cluster {cluster_name!r} has no server URL "
                              f"(https://HOST:PORT), got {server!r}")
    what = f"the kubeconfig {where}"
    ca = _pem(cluster, "certificate-authority", cfolder, f"{what}: cluster {cluster_name!r}")
    cert = _pem(user, "client-certificate", ufolder, f"{what}: user {user_name!r}")
    key = _pem(user, "client-key", ufolder, f"{what}: user {user_name!r}")
    if (cert is None) != (key is None):
        raise KubeconfigError(f"{what}: user {user_name!r} has a client certificate without its key, or a key "
                              "without its certificate")
    token, token_file = user.get("token") or "", None
    if not token and user.get("tokenFile"):
        token_file = TokenFile(str(_resolve(str(user["tokenFile"]), ufolder)))
    basic = ""
    if user.get("username") and user.get("password"):
        basic = f"{user['username']}:{user['password']}"
    if not _header_safe(str(token)) or not _header_safe(basic):
        raise KubeconfigError(f"{what}: user {user_name!r} has a token, username or password with a control "
                              "character (a line break would forge a header of every request)")
    skip = cluster.get("insecure-skip-tls-verify")
    return Connection(server=str(server).rstrip("/"), source=where, ca=ca, client_cert=cert, client_key=key,
                      verify=not (skip is True or str(skip).lower() == "true"),
                      tls_server_name=str(cluster.get("tls-server-name") or ""),
                      proxy=str(cluster.get("proxy-url") or "") or env_proxy(str(server)),
                      token=str(token), token_file=token_file,
                      basic=basic)


def env_proxy(server: str, proxies: Mapping[str, str] | None = None) -> str:
    """The proxy of ``$HTTPS_PROXY``/``$HTTP_PROXY`` for ``server`` ("" for none): not for a
    host ``$NO_PROXY`` names (a name, a domain suffix, ``host:port``, an address or CIDR, ``*``),
    nor for localhost and loopback addresses (as Go's ProxyFromEnvironment, kubectl's)."""
    found = urllib.request.getproxies() if proxies is None else proxies
    parts = urlsplit(server)
    proxy = found.get(parts.scheme or "https", "")
    host = (parts.hostname or "").lower()
    if not proxy or not host or host == "localhost" or host.endswith(".localhost"):
        return ""
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None and address.is_loopback:
        return ""
    for entry in (e.strip().lower() for e in found.get("no", "").split(",")):
        if not entry:
            continue
        if entry == "*":
            return ""
        if address is not None:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return ""
            except ValueError:
                pass
        entry = entry.lstrip(".")
        netloc = parts.netloc.lower().rpartition("@")[2]
        if host == entry or host.endswith("." + entry) or netloc == entry:
            return ""
    return proxy


def _header_safe(value: str) -> bool:
    """No control character (a CR or LF would end the Authorization header and start another)."""
    return not any(ord(c) < 32 or ord(c) == 127 for c in value)


def _url(server: object) -> bool:
    """An http(s) URL with a host and no whitespace or control character (it goes into requests)."""
    if not isinstance(server, str) or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in server):
        return False
    parts = urlsplit(server)
    return parts.scheme in ("https", "http") and bool(parts.hostname) and not parts.query and not parts.fragment


def _resolve(path: str, folder: Path) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else folder / p


def _pem(entry: Mapping[str, Any], key: str, folder: Path, what: str) -> Pem | None:
    data = entry.get(f"{key}-data")
    if data:
        try:
            # line breaks are ignored, as Go's decoder (kubectl's) ignores them
            return Pem(data=base64.b64decode("".join(str(data).split()), validate=True))
        except (binascii.Error, ValueError):
            raise KubeconfigError(f"{what}: {key}-data is not base64") from None
    if entry.get(key):
        path = _resolve(str(entry[key]), folder)
        if not path.is_file():
            raise KubeconfigError(f"{what}: {key} {path} does not exist")
        return Pem(path=str(path))
    return None


def in_cluster(env: Mapping[str, str] | None = None, account: Path = SERVICE_ACCOUNT) -> Connection:
    """The pod's service account: the API server's Service address, the mounted token and CA."""
    env = os.environ if env is None else env
    host, port = env.get("KUBERNETES_SERVICE_HOST", ""), env.get("KUBERNETES_SERVICE_PORT", "")
    if not host or not port:
        raise KubeconfigError("no kubeconfig and not in a cluster (KUBERNETES_SERVICE_HOST/PORT are not set)")
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    ca = account / "ca.crt"
    if not ca.is_file():
        raise KubeconfigError(f"in-cluster: the service account's CA {ca} does not exist")
    return Connection(server=f"https://{host}:{port}", source="the in-cluster service account",
                      ca=Pem(path=str(ca)), token_file=TokenFile(str(account / "token")))
