"""Run the real Kubeflow operators (built by build-operators.sh) against a running control plane.

``start_training_operator(cluster)`` runs github.com/kubeflow/training-operator (kubeflow.org/v1
PyTorchJob, TFJob and XGBoostJob) outside the cluster, like a developer runs a controller:

- namespace ``kubeflow`` and the Secret ``training-operator-webhook-cert`` are created first, with
  a CA of our own (key in PKCS#1 form, SAN ``training-operator-ca``, which is what its certificate
  rotator checks) and a serving certificate for ``training-operator.kubeflow.svc`` and
  ``127.0.0.1``; the rotator finds them valid and keeps them;
- its validating webhooks (PyTorchJob, TFJob, XGBoostJob) are registered at ``https://127.0.0.1:<port>/...``,
  so what the API server stores has passed the operator's own validation; stop() removes them
  again (with failurePolicy Fail they would block every later PyTorchJob);
- the operator reads its serving certificate from a fixed ``/tmp/k8s-webhook-server/
  serving-certs`` (in a pod, the Secret mounted by kubelet; the rotator waits until the files
  there match the Secret): as root it runs in a private mount namespace (``unshare -m``) in
  which a folder of ours, holding those files, is bind-mounted over ``/tmp``, so nothing is
  written to the real ``/tmp``;
- leader election is off, metrics and health probes listen on free ports of 127.0.0.1.
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from controlplane import Cluster, ClusterError, Proc, Spawner, free_port, stop_processes

HERE = Path(__file__).resolve().parent
BUILD_SH = HERE / "build-operators.sh"
NAMESPACE = "kubeflow"
SECRET = "training-operator-webhook-cert"
WEBHOOK_CONFIG = "validator.training-operator.kubeflow.org"
SERVICE_DNS = "training-operator.kubeflow.svc"
CA_NAME = "training-operator-ca"
WEBHOOK_KINDS = ("pytorchjob", "tfjob", "xgboostjob")


def binary_path(operator: str) -> Path:
    """Where build-operators.sh keeps ``operator`` for the current versions (may not exist)."""
    out = subprocess.run(["bash", str(BUILD_SH), "--bin", operator], check=True,
                         capture_output=True, text=True)
    return Path(out.stdout.strip().splitlines()[-1])


@dataclass
class Operator:
    """A running operator; ``stop()`` ends it and removes what it registered in the cluster."""

    name: str
    proc: Proc
    workdir: Path
    cluster: Cluster
    cleanup: tuple[tuple[str, ...], ...] = ()

    def log_tail(self, lines: int = 40) -> str:
        return self.proc.log_tail(lines)

    def stop(self) -> None:
        for args in self.cleanup:
            self.cluster.kubectl(*args, "--ignore-not-found", "--wait=false", check=False)
        stop_processes([self.proc])


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certs(folder: Path) -> dict[str, bytes]:
    """CA and serving certificate files the rotator accepts: ca.crt, ca.key, tls.crt, tls.key."""
    folder.mkdir(parents=True, exist_ok=True)
    _openssl("genrsa", "-traditional", "-out", "ca.key", "2048", cwd=folder)
    _openssl("req", "-x509", "-new", "-key", "ca.key", "-days", "3650", "-out", "ca.crt",
             "-subj", f"/O=training-operator/CN={CA_NAME}", "-addext", f"subjectAltName=DNS:{CA_NAME}",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,digitalSignature", cwd=folder)
    _openssl("genrsa", "-traditional", "-out", "tls.key", "2048", cwd=folder)
    _openssl("req", "-new", "-key", "tls.key", "-out", "tls.csr", "-subj", f"/CN={SERVICE_DNS}",
             cwd=folder)
    (folder / "ext.cnf").write_text(
        f"subjectAltName=DNS:{SERVICE_DNS},IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n")
    _openssl("x509", "-req", "-in", "tls.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "3650", "-extfile", "ext.cnf", "-out", "tls.crt", cwd=folder)
    return {name: (folder / name).read_bytes() for name in ("ca.crt", "ca.key", "tls.crt", "tls.key")}


def _apply(cluster: Cluster, obj: dict[str, object]) -> None:
    cluster.kubectl("apply", "--server-side", "--force-conflicts", "--field-manager=wlc-tests",
                    "-f", "-", input=json.dumps(obj))


def _secret(files: dict[str, bytes]) -> dict[str, object]:
    return {
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": SECRET, "namespace": NAMESPACE},
        "data": {name: base64.b64encode(data).decode() for name, data in files.items()},
    }


def _webhooks(port: int, ca: bytes) -> dict[str, object]:
    hooks = [{
        "name": f"validator.{kind}.training-operator.kubeflow.org",
        "admissionReviewVersions": ["v1"],
        "sideEffects": "None",
        "failurePolicy": "Fail",
        "timeoutSeconds": 10,
        "clientConfig": {"url": f"https://127.0.0.1:{port}/validate-kubeflow-org-v1-{kind}",
                         "caBundle": base64.b64encode(ca).decode()},
        "rules": [{"apiGroups": ["kubeflow.org"], "apiVersions": ["v1"],
                   "operations": ["CREATE", "UPDATE"], "resources": [f"{kind}s"]}],
    } for kind in WEBHOOK_KINDS]
    return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
            "metadata": {"name": WEBHOOK_CONFIG}, "webhooks": hooks}


def _flat_kubeconfig(cluster: Cluster, out: Path) -> None:
    """A kubeconfig with the CA inline: inside the private namespace /tmp is another folder."""
    text = cluster.kubectl("config", "view", "--raw", "--flatten", "-o", "json").stdout
    out.write_text(text)


def _private_tmp_argv(root: Path, argv: list[str]) -> list[str]:
    """argv run with ``root`` bind-mounted over /tmp in a private mount namespace (root only)."""
    script = 'mount --bind "$0" /tmp && exec "$@"'
    return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, str(root), *argv]


def can_use_private_tmp() -> bool:
    return os.geteuid() == 0 and shutil.which("unshare") is not None


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError):
        return False


def wait_ready(op: Operator, url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _ready(url):
            return
        if not op.proc.alive():
            raise ClusterError(f"{op.name} exited before it was ready:\n{op.log_tail()}")
        time.sleep(0.5)
    raise ClusterError(f"{op.name} not ready after {timeout:.0f}s:\n{op.log_tail()}")


def _binary_inside(binary: Path, root: Path) -> str:
    """The binary's path as the operator sees it once ``root`` is mounted over /tmp: a link (or a
    copy, across file systems) inside ``root``, since the real /tmp is hidden there."""
    target = root / binary.name
    if not target.exists():
        try:
            os.link(binary, target)
        except OSError:
            shutil.copy2(binary, target)
    return f"/tmp/{binary.name}"


def start_training_operator(cluster: Cluster, binary: Path) -> Operator:
    """Start the training operator for PyTorchJob, TFJob and XGBoostJob; returns once /readyz answers 200."""
    if not can_use_private_tmp():
        raise ClusterError("the training operator writes /tmp/k8s-webhook-server: "
                           "needs root and unshare for a private /tmp")
    work = cluster.workdir / "training-operator"
    root = work / "tmp"  # seen as /tmp by the operator
    root.mkdir(parents=True, exist_ok=True)
    files = make_certs(work / "certs")
    mounted = root / "k8s-webhook-server" / "serving-certs"  # what kubelet would mount from the Secret
    mounted.mkdir(parents=True, exist_ok=True)
    for file, data in files.items():
        (mounted / file).write_bytes(data)
    cluster.ensure_namespace(NAMESPACE)
    _apply(cluster, _secret(files))
    webhook_port, health_port, metrics_port = free_port(), free_port(), free_port()
    _apply(cluster, _webhooks(webhook_port, files["ca.crt"]))
    _flat_kubeconfig(cluster, root / "kubeconfig")
    inside = _binary_inside(binary, root)  # the cache may itself be under /tmp (XDG_CACHE_HOME)
    argv = [inside, "--kubeconfig=/tmp/kubeconfig", "--leader-elect=false",
            *(f"--enable-scheme={kind}" for kind in WEBHOOK_KINDS),
            f"--webhook-server-port={webhook_port}",
            f"--health-probe-bind-address=127.0.0.1:{health_port}",
            f"--metrics-bind-address=127.0.0.1:{metrics_port}"]
    proc = Spawner(cluster.workdir / "logs").spawn("training-operator", _private_tmp_argv(root, argv))
    op = Operator("training-operator", proc, work, cluster,
                  cleanup=(("delete", "validatingwebhookconfiguration", WEBHOOK_CONFIG),))
    try:
        wait_ready(op, f"http://127.0.0.1:{health_port}/readyz")
    except BaseException:
        op.stop()
        raise
    return op


MPI_HEALTH_PORT = 8080  # fixed by the MPI operator, on all interfaces


def port_free(port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Go does: TIME_WAIT is free
        try:
            sock.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def start_mpi_operator(cluster: Cluster, binary: Path) -> Operator:
    """Start github.com/kubeflow/mpi-operator (kubeflow.org/v2beta1 MPIJob). Leader election is
    always on: its lock lives in namespace mpi-operator. Health answers on :8080 (fixed)."""
    if not port_free(MPI_HEALTH_PORT):
        raise ClusterError(f"port {MPI_HEALTH_PORT} is taken: the MPI operator's health port is fixed")
    cluster.ensure_namespace("mpi-operator")
    argv = [str(binary), f"--kubeConfig={cluster.kubeconfig}", "--lock-namespace=mpi-operator",
            "--monitoring-port=0", "--threadiness=2"]
    proc = Spawner(cluster.workdir / "logs").spawn("mpi-operator", argv)
    op = Operator("mpi-operator", proc, cluster.workdir, cluster)
    try:
        wait_ready(op, f"http://127.0.0.1:{MPI_HEALTH_PORT}/healthz")
    except BaseException:
        op.stop()
        raise
    return op
