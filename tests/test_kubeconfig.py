"""compiler/cluster/kubeconfig.py: kubeconfigs read like kubectl reads them, odd and hostile ones
refused with a message naming the file and the entry; and the transport (compiler/cluster/kube.py)
over real TLS: a local HTTPS server that asks for a client certificate (openssl makes the keys).

The real API server's path (CA file and token) is the cluster tests'; the client certificate,
its ``-data`` forms and relative paths are tested here against a real TLS handshake."""
from __future__ import annotations

import base64
import json
import os
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from compiler.cluster import errors, kube
from compiler.cluster import kubeconfig as kc


def write(path: Path, doc: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return path


def config(server: str = "https://127.0.0.1:6443", cluster: dict[str, Any] | None = None,
           user: dict[str, Any] | None = None, current: str | None = "one", name: str = "one") -> dict[str, Any]:
    doc: dict[str, Any] = {
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": f"c-{name}", "cluster": {"server": server, **(cluster or {})}}],
        "users": [{"name": f"u-{name}", "user": user if user is not None else {"token": f"tok-{name}"}}],
        "contexts": [{"name": name, "context": {"cluster": f"c-{name}", "user": f"u-{name}"}}],
    }
    if current is not None:
        doc["current-context"] = current
    return doc


def load(path: Path, context: str | None = None) -> kc.Connection:
    return kube.load_configuration(str(path), context)


@pytest.fixture(autouse=True)
def no_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


# -- reading ---------------------------------------------------------------------------------

def test_the_current_context_and_a_token(tmp_path: Path) -> None:
    conn = load(write(tmp_path / "kc", config(server="https://example.test:6443/")))
    assert conn.server == "https://example.test:6443"
    assert conn.authorization() == "Bearer tok-one" and conn.verify and conn.ca is None


def test_a_missing_context_names_the_file_and_the_contexts(tmp_path: Path) -> None:
    path = write(tmp_path / "kc", config())
    with pytest.raises(kc.KubeconfigError, match=r"has no context 'nope' \(contexts: one\)") as err:
        load(path, "nope")
    assert str(path) in str(err.value)
    with pytest.raises(kc.KubeconfigError, match="no current-context: give --context"):
        load(write(tmp_path / "kc2", config(current=None)))
    assert load(write(tmp_path / "kc3", config(current=None)), "one").token == "tok-one"


def test_a_context_naming_an_undefined_cluster_or_user(tmp_path: Path) -> None:
    doc = config()
    doc["contexts"][0]["context"]["cluster"] = "ghost"
    with pytest.raises(kc.KubeconfigError, match="names cluster 'ghost', which it does not define"):
        load(write(tmp_path / "a", doc))
    doc = config()
    doc["contexts"][0]["context"]["user"] = "ghost"
    with pytest.raises(kc.KubeconfigError, match="names user 'ghost', which it does not define"):
        load(write(tmp_path / "b", doc))


@pytest.mark.parametrize("text, message", [
    ("clusters: [unclosed", "is not YAML"),
    ("- a\n- b\n", "is not a mapping"),
    ("clusters: {a: 1}\n", "clusters is not a list"),
    ("clusters: [{cluster: {server: 'https://x'}}]\n", r"clusters\[0\] has no name"),
    ("users: [{name: u, user: [1]}]\n", "users 'u': user is not a mapping"),
    ("\xff\xfe", "not UTF-8"),
])
def test_malformed_files_are_refused_clearly(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "kc"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(kc.KubeconfigError, match=message):
        load(path)


@pytest.mark.parametrize("server", ["", "example.test:6443", "ftp://x", "https://x\nHost: evil", None, 42])
def test_a_server_that_is_no_url(tmp_path: Path, server: Any) -> None:
    doc = config()
    doc["clusters"][0]["cluster"]["server"] = server
    with pytest.raises(kc.KubeconfigError, match="has no server URL"):
        load(write(tmp_path / "kc", doc))


def test_bad_base64_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "kc", config(cluster={"certificate-authority-data": "not base64!"}))
    with pytest.raises(kc.KubeconfigError, match="cluster 'c-one': certificate-authority-data is not base64"):
        load(path)
    path = write(tmp_path / "kc2", config(user={"client-certificate-data": "%%%", "client-key-data": "QQ=="}))
    with pytest.raises(kc.KubeconfigError, match="user 'u-one': client-certificate-data is not base64"):
        load(path)


def test_base64_split_over_lines_is_read(tmp_path: Path) -> None:
    data = base64.b64encode(b"-----BEGIN CERTIFICATE-----\n" + b"x" * 100).decode()
    split = "\n".join(data[i:i + 64] for i in range(0, len(data), 64)) + "\n"
    conn = load(write(tmp_path / "kc", config(cluster={"certificate-authority-data": split})))
    assert conn.ca is not None and conn.ca.data.startswith(b"-----BEGIN CERTIFICATE-----")


def test_relative_paths_are_resolved_against_the_kubeconfigs_folder(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "conf"
    (folder / "pki").mkdir(parents=True)
    for name in ("ca.crt", "me.crt", "me.key", "token"):
        (folder / "pki" / name).write_text("x\n")
    write(folder / "kc", config(cluster={"certificate-authority": "pki/ca.crt"},
                                       user={"client-certificate": "pki/me.crt", "client-key": "./pki/me.key",
                                             "tokenFile": "pki/token"}))
    monkeypatch.chdir(tmp_path)  # not the kubeconfig's folder
    conn = load(Path("conf/kc"))
    assert conn.ca == kc.Pem(path=str(folder.resolve() / "pki" / "ca.crt"))
    assert conn.client_cert == kc.Pem(path=str(folder.resolve() / "pki" / "me.crt"))
    assert conn.client_key == kc.Pem(path=str(folder.resolve() / "pki" / "me.key"))
    assert conn.authorization() == "Bearer x"


def test_a_missing_certificate_file_or_half_a_key_pair(tmp_path: Path) -> None:
    with pytest.raises(kc.KubeconfigError, match=r"certificate-authority .*ca\.crt does not exist"):
        load(write(tmp_path / "kc", config(cluster={"certificate-authority": "ca.crt"})))
    (tmp_path / "me.crt").write_text("x")
    with pytest.raises(kc.KubeconfigError, match="client certificate without its key"):
        load(write(tmp_path / "kc2", config(user={"client-certificate": "me.crt"})))


def test_a_token_file_is_read_again_after_its_ttl(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("first\n")
    conn = load(write(tmp_path / "kc", config(user={"tokenFile": str(token)})))
    assert conn.authorization() == "Bearer first"
    token.write_text("second\n")
    assert conn.authorization() == "Bearer first"  # cached for a minute
    assert conn.token_file is not None
    conn.token_file.ttl = 0.0
    assert conn.authorization() == "Bearer second"
    token.unlink()
    assert conn.authorization() == "Bearer second"  # the last token while the file is being replaced


def test_a_missing_or_empty_token_file(tmp_path: Path) -> None:
    with pytest.raises(kc.KubeconfigError, match="cannot read the token file"):
        load(write(tmp_path / "kc", config(user={"tokenFile": "nope"})))
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(kc.KubeconfigError, match="token file .*empty is empty"):
        load(write(tmp_path / "kc2", config(user={"tokenFile": "empty"})))


@pytest.mark.parametrize("user", [{"token": "tok\r\nX-Forged: 1"}, {"token": "tok\n"},
                                  {"username": "ann\nX-Forged: 1", "password": "p"}, {"username": "ann", "password": "p\x7f"}])
def test_a_control_character_in_a_credential_never_reaches_a_header(tmp_path: Path, user: dict[str, Any]) -> None:
    with pytest.raises(kc.KubeconfigError, match="control character"):
        load(write(tmp_path / "kc", config(user=user)))


def test_a_token_file_with_a_line_break_inside_is_refused(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("tok\nX-Forged: 1\n")  # the trailing line break is stripped, the inner one is not
    with pytest.raises(kc.KubeconfigError, match="holds a control character"):
        load(write(tmp_path / "kc", config(user={"tokenFile": str(token)})))


def test_basic_auth_and_insecure_and_tls_server_name(tmp_path: Path) -> None:
    conn = load(write(tmp_path / "kc", config(cluster={"insecure-skip-tls-verify": True, "tls-server-name": "api"},
                                              user={"username": "ann", "password": "p:w"})))
    assert not conn.verify and conn.tls_server_name == "api"
    assert conn.authorization() == "Basic " + base64.b64encode(b"ann:p:w").decode()


def test_kubeconfig_files_merge_like_kubectl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = config(name="one")
    first["clusters"].append({"name": "c-two", "cluster": {"server": "https://first.test"}})
    second = config(name="two", current="two")
    paths = [tmp_path / "missing", write(tmp_path / "a", first), write(tmp_path / "b", second)]
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join(str(p) for p in paths))
    conn = kube.load_configuration()
    assert conn.token == "tok-one"  # current-context: the first file that sets it
    two = kube.load_configuration(None, "two")
    assert two.server == "https://first.test" and two.token == "tok-two"  # the first c-two wins


def test_no_kubeconfig_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    with pytest.raises(kc.KubeconfigError, match=r"none of the \$KUBECONFIG files exists"):
        kube.load_configuration()
    monkeypatch.delenv("KUBECONFIG")
    with pytest.raises(kc.KubeconfigError, match=r"cannot read the kubeconfig .*\.kube/config"):
        kube.load_configuration()


def test_in_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    account = tmp_path / "sa"
    account.mkdir()
    (account / "ca.crt").write_text("x")
    (account / "token").write_text("sa-token")
    conn = kc.in_cluster({"KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"}, account)
    assert conn.server == "https://[fd00::1]:443" and conn.authorization() == "Bearer sa-token"
    with pytest.raises(kc.KubeconfigError, match="not in a cluster"):
        kc.in_cluster({}, account)
    (account / "ca.crt").unlink()
    with pytest.raises(kc.KubeconfigError, match="service account's CA .* does not exist"):
        kc.in_cluster({"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}, account)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    assert kc.kubeconfig_paths(None) is None  # no ~/.kube/config in a pod: in-cluster


def test_exec_users_go_to_the_clients_loader(tmp_path: Path) -> None:
    merged = kc.read_files([write(tmp_path / "kc", config(user={"exec": {"command": "get-token"}}))])
    assert kc.needs_client(merged, None)
    assert not kc.needs_client(kc.read_files([write(tmp_path / "kc2", config())]), None)


# -- the transport over real TLS -------------------------------------------------------------

def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    d = tmp_path_factory.mktemp("pki")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
            "-subj", "/CN=test-ca", cwd=d)
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:api.test\n")
    for name, subject in (("server", "/CN=api"), ("client", "/CN=ann/O=team")):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                "-subj", subject, cwd=d)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", f"{name}.crt", "-days", "2", *(["-extfile", "san.ext"] if name == "server" else []), cwd=d)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key", "-out", "other.crt",
            "-days", "2", "-subj", "/CN=other-ca", cwd=d)
    return d


class Seen:
    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []


@pytest.fixture
def server(pki: Path) -> Iterator[tuple[str, Seen]]:
    """An HTTPS server that requires a client certificate signed by the test CA and answers
    JSON naming the client certificate's subject."""
    seen = Seen()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            cert = self.connection.getpeercert()
            subject = dict(x[0] for x in cert["subject"]) if cert else {}
            seen.requests.append({"path": self.path, "authorization": self.headers.get("Authorization", ""),
                                  "agent": self.headers.get("User-Agent", ""), "cn": str(subject.get("commonName"))})
            body = json.dumps({"kind": "APIVersions", "cn": subject.get("commonName")}).encode()
            if self.path.startswith("/apis/example.test/"):  # discovery of a group-version
                time.sleep(0.05)  # long enough for the other threads to ask meanwhile
                body = json.dumps({"kind": "APIResourceList", "resources": [
                    {"name": "widgets", "kind": "Widget", "namespaced": True},
                    {"name": "widgets/status", "kind": "Widget", "namespaced": True},
                    {"name": "gadgets", "kind": "Gadget", "namespaced": False}]}).encode()
            code = 404 if self.path.startswith("/missing") else 200
            if code == 404:
                body = json.dumps({"kind": "Status", "reason": "NotFound", "message": "no such thing"}).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(pki / "server.crt", pki / "server.key")
    ctx.load_verify_locations(pki / "ca.crt")
    ctx.verify_mode = ssl.CERT_REQUIRED
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def cert_files_config(path: Path, url: str, pki: Path) -> Path:
    """A kubeconfig for the test server: its CA and the client certificate, as absolute files."""
    return write(path, config(server=url, cluster={"certificate-authority": str(pki / "ca.crt")},
                              user={"client-certificate": str(pki / "client.crt"), "client-key": str(pki / "client.key")}))


def b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def test_client_certificate_files_relative_to_the_kubeconfig(tmp_path: Path, pki: Path, server: tuple[str, Seen],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    url, seen = server
    folder = tmp_path / "conf"
    shutil.copytree(pki, folder / "pki")
    write(folder / "kc", config(server=url, cluster={"certificate-authority": "pki/ca.crt"},
                                       user={"client-certificate": "pki/client.crt", "client-key": "pki/client.key"}))
    monkeypatch.chdir(tmp_path)
    client = kube.Kube(load(Path("conf/kc")))
    assert client.request("GET", "/api", "discovery")["cn"] == "ann"
    assert seen.requests[-1]["authorization"] == "" and seen.requests[-1]["agent"].startswith("wlc-client/")
    with pytest.raises(errors.NotFound, match="get x: 404 NotFound: no such thing"):
        client.request("GET", "/missing", "get x")
    assert client.metrics["requests"] == 2
    client.close()


def test_certificate_data_and_a_token(tmp_path: Path, pki: Path, server: tuple[str, Seen]) -> None:
    url, seen = server
    path = write(tmp_path / "kc", config(server=url, cluster={"certificate-authority-data": b64(pki / "ca.crt")},
                                         user={"client-certificate-data": b64(pki / "client.crt"),
                                               "client-key-data": b64(pki / "client.key"), "token": "t0k"}))
    client = kube.Kube(load(path))
    assert client.request("GET", "/api", "discovery", query={"a": "b c"})["cn"] == "ann"
    assert seen.requests[-1] == {"path": "/api?a=b+c", "authorization": "Bearer t0k",
                                 "agent": kube.USER_AGENT, "cn": "ann"}
    assert not list(Path(os.environ.get("TMPDIR", "/tmp")).glob("wlc-tls-*"))  # the key's copy is gone
    client.close()


def test_tls_server_name_checks_that_name(tmp_path: Path, pki: Path, server: tuple[str, Seen]) -> None:
    url, _seen = server
    user = {"client-certificate-data": b64(pki / "client.crt"), "client-key-data": b64(pki / "client.key")}
    ok = write(tmp_path / "ok", config(server=url, cluster={"certificate-authority-data": b64(pki / "ca.crt"),
                                                            "tls-server-name": "api.test"}, user=user))
    assert kube.Kube(load(ok)).request("GET", "/api", "discovery")["cn"] == "ann"
    bad = write(tmp_path / "bad", config(server=url, cluster={"certificate-authority-data": b64(pki / "ca.crt"),
                                                              "tls-server-name": "elsewhere.test"}, user=user))
    with pytest.raises(errors.TemporaryError, match="cannot reach the API server"):
        kube.Kube(load(bad), timeout=5).request("GET", "/api", "discovery")


def test_the_wrong_ca_or_no_client_certificate_fails(tmp_path: Path, pki: Path, server: tuple[str, Seen]) -> None:
    url, _seen = server
    user = {"client-certificate-data": b64(pki / "client.crt"), "client-key-data": b64(pki / "client.key")}
    wrong = write(tmp_path / "wrong", config(server=url, cluster={"certificate-authority": str(pki / "other.crt")},
                                             user=user))
    with pytest.raises(errors.TemporaryError, match="cannot reach the API server"):
        kube.Kube(load(wrong), timeout=5).request("GET", "/api", "discovery")
    anonymous = write(tmp_path / "anon", config(server=url, cluster={"certificate-authority": str(pki / "ca.crt")},
                                                user={}))
    with pytest.raises(errors.TemporaryError, match="cannot reach the API server"):
        kube.Kube(load(anonymous), timeout=5).request("GET", "/api", "discovery")
    insecure = write(tmp_path / "insecure", config(server=url, cluster={"insecure-skip-tls-verify": True}, user=user))
    assert kube.Kube(load(insecure)).request("GET", "/api", "discovery")["cn"] == "ann"


def test_a_key_that_does_not_match_its_certificate(tmp_path: Path, pki: Path) -> None:
    path = write(tmp_path / "kc", config(cluster={"certificate-authority-data": b64(pki / "ca.crt")},
                                         user={"client-certificate-data": b64(pki / "client.crt"),
                                               "client-key-data": b64(pki / "other.key")}))
    with pytest.raises(kc.KubeconfigError, match="certificates or key cannot be used"):
        kube.Kube(load(path))
    garbage = write(tmp_path / "kc2", config(cluster={"certificate-authority-data": base64.b64encode(b"junk").decode()}))
    with pytest.raises(kc.KubeconfigError, match="certificates or key cannot be used"):
        kube.Kube(load(garbage))


def test_reading_the_cluster_does_not_import_the_kubernetes_client(tmp_path: Path, pki: Path,
                                                                 server: tuple[str, Seen]) -> None:
    """What `wlc get` runs (the loader, the transport, a request) loads no ``kubernetes`` module."""
    import subprocess
    import sys
    url, _seen = server
    path = cert_files_config(tmp_path / "kc", url, pki)
    code = ("import sys; from compiler.cluster import fetch, kube; from compiler.cli import view; "
            f"k = kube.Kube(kube.load_configuration({str(path)!r})); k.request('GET', '/api', 'x'); "
            "sys.exit(sorted(m for m in sys.modules if m.split('.')[0] == 'kubernetes') or None)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("server, no_proxy, expected", [
    ("https://api.example.test:6443", "", "http://proxy:3128"),
    ("https://api.example.test:6443", "example.test", ""),
    ("https://api.example.test:6443", ".example.test", ""),
    ("https://api.example.test:6443", "other.test, api.example.test:6443", ""),
    ("https://api.example.test:6443", "*", ""),
    ("https://10.1.2.3:6443", "10.0.0.0/8", ""),
    ("https://10.1.2.3:6443", "192.168.0.0/16", "http://proxy:3128"),
    ("https://127.0.0.1:6443", "", ""),  # never a loopback address, as kubectl
    ("https://[::1]:6443", "", ""),
    ("https://localhost:6443", "", ""),
])
def test_the_environments_proxy_like_kubectl(server: str, no_proxy: str, expected: str) -> None:
    assert kc.env_proxy(server, {"https": "http://proxy:3128", "no": no_proxy}) == expected


def test_proxy_url_wins_over_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://env-proxy:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert load(write(tmp_path / "a", config(server="https://api.test"))).proxy == "http://env-proxy:3128"
    assert load(write(tmp_path / "b", config(server="https://api.test",
                                             cluster={"proxy-url": "http://mine:8080"}))).proxy == "http://mine:8080"


def test_an_exec_user_gets_its_token_from_the_plugin(tmp_path: Path, pki: Path, server: tuple[str, Seen]) -> None:
    """The client's loader runs the plugin (a real script); this transport sends its token."""
    import sys
    url, seen = server
    plugin = tmp_path / "plugin.py"
    plugin.write_text("import json\nprint(json.dumps({'apiVersion': 'client.authentication.k8s.io/v1', "
                      "'kind': 'ExecCredential', 'status': {'token': 'from-exec'}}))\n")
    user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": sys.executable,
                     "args": [str(plugin)], "interactiveMode": "Never"},
            "client-certificate": str(pki / "client.crt"), "client-key": str(pki / "client.key")}
    path = write(tmp_path / "kc", config(server=url, cluster={"certificate-authority": str(pki / "ca.crt")}, user=user))
    client = kube.Kube(load(path))
    assert client.request("GET", "/api", "discovery")["cn"] == "ann"
    assert seen.requests[-1]["authorization"] == "Bearer from-exec"
    client.close()


def test_one_discovery_per_group_version_from_many_threads(tmp_path: Path, pki: Path,
                                                          server: tuple[str, Seen]) -> None:
    from concurrent.futures import ThreadPoolExecutor
    url, seen = server
    path = cert_files_config(tmp_path / "kc", url, pki)
    client = kube.Kube(load(path))
    with ThreadPoolExecutor(8) as pool:
        found = list(pool.map(lambda k: client.resource("example.test", "v1", k), ["Widget", "Gadget"] * 8))
    assert {(r.kind, r.plural, r.namespaced) for r in found} == {("Widget", "widgets", True), ("Gadget", "gadgets", False)}
    assert [r["path"] for r in seen.requests] == ["/apis/example.test/v1"]
    with pytest.raises(errors.MissingKind, match="does not serve Gizmo"):
        client.resource("example.test", "v1", "Gizmo")
    client.forget_all()
    assert client.resource("example.test", "v1", "Widget").path("ns", "w") == "/apis/example.test/v1/namespaces/ns/widgets/w"
    assert client.metrics["requests"] == 2 == len(seen.requests)
    client.close()


def test_a_socks_proxy_goes_through_pysocks_or_says_it_is_missing(tmp_path: Path) -> None:
    import importlib.util
    path = write(tmp_path / "kc", config(server="https://api.test", cluster={"proxy-url": "socks5://p:1080"}))
    if importlib.util.find_spec("socks") is None:
        with pytest.raises(kc.KubeconfigError, match="needs PySocks"):
            kube.Kube(load(path))
        return
    from urllib3.contrib.socks import SOCKSProxyManager
    assert isinstance(kube.Kube(load(path)).pool, SOCKSProxyManager)
    http = write(tmp_path / "kc2", config(server="https://api.test", cluster={"proxy-url": "http://p:3128"}))
    assert type(kube.Kube(load(http)).pool).__name__ == "ProxyManager"
