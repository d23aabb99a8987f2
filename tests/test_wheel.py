"""An installed wheel checks what a checkout checks (issue 9, item 8: it never checked CRDs).

The wheel is built from this checkout, installed into a fresh virtual environment outside the
source tree, and run from a temporary folder: the same bad PyTorchJob must give the same CRD
errors there as here.
"""
from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from compiler import verify

REPO = Path(__file__).resolve().parent.parent
BAD_PYTORCHJOB = {
    "apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob",
    "metadata": {"name": "bad", "namespace": "team-a"},
    "spec": {"runPolicy": {"cleanPodPolicy": "Sometimes"},
             "pytorchReplicaSpecs": {"Master": {"replicas": "one", "template": {"spec": {}}}}},
}
PROBE = """
import json, sys
import compiler
from compiler import verify
obj = json.loads(sys.argv[1])
print(json.dumps({"file": compiler.__file__, "errors": verify.verify_objects([obj], "1.37"),
                  "unknown": verify.unknown_kinds([obj], "1.37")}))
"""


def _run(*args: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def installed_python(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(python of a fresh venv with only the wheel installed, the venv folder)."""
    tmp = tmp_path_factory.mktemp("wheel")
    _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", tmp / "dist", REPO)
    [wheel] = sorted((tmp / "dist").glob("wlc-*.whl"))
    venv = tmp / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    _run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel)
    # wlc's dependencies come from this test environment, after the venv's own site-packages
    # (a .pth line is a plain path: the editable install of the checkout is not processed there)
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    (site / "test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python, venv


def test_installed_wheel_reports_the_crd_errors_a_checkout_reports(installed_python: tuple[Path, Path],
                                                                   tmp_path: Path) -> None:
    python, venv = installed_python
    out = json.loads(_run(python, "-c", PROBE, json.dumps(BAD_PYTORCHJOB), cwd=tmp_path))
    assert Path(out["file"]).resolve().is_relative_to(venv.resolve())
    here = verify.verify_objects([BAD_PYTORCHJOB], "1.37")
    assert len(here) >= 2 and all("PyTorchJob/team-a/bad" in m for m in here)
    assert out["errors"] == here
    assert out["unknown"] == [] == verify.unknown_kinds([BAD_PYTORCHJOB], "1.37")
