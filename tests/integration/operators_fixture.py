"""Session fixtures for the real operators (tests/cluster/operators.py), imported by the
test_operator_*.py modules. The binaries come from tests/cluster/build-operators.sh, which builds
them into ~/.cache/wlc/operators/ when missing (its step lines are shown while it runs)."""
from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import buildprogress
import operators
import pytest
from controlplane import Cluster, ClusterError

#: what each operator's first build is called on the terminal and how long it took, cold, on the
#: 2-core machine while other work ran (docs/cluster.md: 451 s and 1,035 s)
BUILDS = {"training-operator": ("the Kubeflow training operator", "up to 8 min on a busy 2-core machine"),
          "mpi-operator": ("the Kubeflow MPI operator", "up to 17 min on a busy 2-core machine")}


def _unavailable(reason: str) -> NoReturn:
    """Skip outside CI; fail in CI (CI=true), where the operators must run."""
    if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


def operator_binary(name: str, config: pytest.Config) -> Path:
    """The cached binary of ``name``, built by build-operators.sh when missing."""
    binary = operators.binary_path(name)
    if os.access(binary, os.X_OK):
        return binary
    what, first_run = BUILDS[name]
    reason = buildprogress.cannot_build(what, "tests/cluster/build-operators.sh")
    if reason:
        _unavailable(reason)
    log = binary.parent.parent / f"{name}-build.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    capture = config.pluginmanager.getplugin("capturemanager")
    with open(log, "w") as out, capture.global_and_fixture_disabled():
        rc = buildprogress.run_with_progress(
            ["bash", str(operators.BUILD_SH), name], out, sys.stderr, cache=binary.parent,
            skip_hint="skip with: python -m pytest -m 'not cluster'", what=what, first_run=first_run)
    if rc != 0 or not os.access(binary, os.X_OK):
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        pytest.fail(f"build-operators.sh {name} failed ({rc}), log {log}:\n{tail}", pytrace=False)
    return binary


@pytest.fixture(scope="session")
def training_operator(cluster: Cluster, pytestconfig: pytest.Config) -> Iterator[operators.Operator]:
    """The Kubeflow training operator (PyTorchJob, TFJob, XGBoostJob) running against ``cluster``."""
    if not operators.can_use_private_tmp():
        _unavailable("the training operator needs root and unshare (a private /tmp for its certs)")
    binary = operator_binary("training-operator", pytestconfig)
    try:
        op = operators.start_training_operator(cluster, binary)
    except ClusterError as err:
        pytest.fail(f"training operator did not start: {err}", pytrace=False)
    try:
        yield op
    finally:
        op.stop()


@pytest.fixture(scope="session")
def mpi_operator(cluster: Cluster, pytestconfig: pytest.Config) -> Iterator[operators.Operator]:
    """The Kubeflow MPI operator (MPIJob v2beta1) running against ``cluster``."""
    if not operators.port_free(operators.MPI_HEALTH_PORT):
        _unavailable(f"port {operators.MPI_HEALTH_PORT} is taken (the MPI operator's fixed health port)")
    binary = operator_binary("mpi-operator", pytestconfig)
    try:
        op = operators.start_mpi_operator(cluster, binary)
    except ClusterError as err:
        pytest.fail(f"MPI operator did not start: {err}", pytrace=False)
    try:
        yield op
    finally:
        op.stop()
