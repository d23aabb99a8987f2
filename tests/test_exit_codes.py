"""Exit codes: a bug in wlc exits 4 and says so (no traceback unless WLC_DEBUG=1), a usage error
stays 2; --jobs is capped at the CPUs; wlc.yaml's defaultOverlay is used without --overlay."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from compiler import cli, lower, pipeline
from tests.nameskit import make_repo, training

OVERLAY = ("apiVersion: wlc.dev/v1alpha1\nkind: Overlay\nmetadata:\n  name: dev\nspec:\n"
           "  namespaces:\n    vision: vision-dev\n")


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli.main, list(args), env=env)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", {"workloads/vision/a.yaml": training("a"), "overlays/dev.yaml": OVERLAY})


def test_an_unexpected_exception_exits_4_and_says_it_is_a_bug(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: Any, **__: Any) -> Any:
        raise RuntimeError("oops")
    monkeypatch.setattr(pipeline, "check", boom)
    result = invoke("validate", "--repo", str(repo))
    assert result.exit_code == 4
    assert "RuntimeError: oops" in result.stderr and "bug in wlc" in result.stderr
    assert "report it" in result.stderr and "Traceback" not in result.stderr


def test_wlc_debug_shows_the_traceback_and_still_exits_4(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: Any, **__: Any) -> Any:
        raise RuntimeError("oops")
    monkeypatch.setattr(pipeline, "check", boom)
    result = invoke("validate", "--repo", str(repo), env={"WLC_DEBUG": "1"})
    assert result.exit_code == 4 and "Traceback" in result.stderr


def test_a_bug_problem_exits_4(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: Any, **__: Any) -> Any:
        raise ZeroDivisionError("x")
    monkeypatch.setattr(lower, "lower_workload", broken)
    for verb in ("validate", "build"):
        result = invoke(verb, "--repo", str(repo))
        assert result.exit_code == 4, (verb, result.output)
        assert "error[bug.lowering]" in result.stdout and "bug in wlc" in result.stderr


def test_usage_errors_stay_2(repo: Path) -> None:
    assert invoke("validate", "--repo", str(repo), "--overlay", "nope").exit_code == 2
    assert invoke("build", "--repo", str(repo), "--overlay", "dev", "--all-overlays").exit_code == 2


def test_problems_exit_1_and_clean_exits_0(repo: Path) -> None:
    assert invoke("validate", "--repo", str(repo)).exit_code == 0
    (repo / "workloads/vision/b.yaml").write_text(training("b", gpuDevicesRequest="two"))
    assert invoke("validate", "--repo", str(repo)).exit_code == 1


def spy_runs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every call of the pipeline's entry points, with the overlay (and jobs) it was given."""
    calls: list[dict[str, Any]] = []
    for name in ("check", "specs", "build"):
        real = getattr(pipeline, name)

        def spy(root: Path, overlay: str | None = None, *args: Any, _real: Any = real, **kwargs: Any) -> Any:
            call: dict[str, Any] = {"overlay": overlay}
            if args:
                call["jobs"] = args[0]
            calls.append(call)
            return _real(root, overlay, *args, **kwargs)
        monkeypatch.setattr(pipeline, name, spy)
    return calls


def test_jobs_is_capped_at_the_cpus_this_process_may_use(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = spy_runs(monkeypatch)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1}, raising=False)
    assert invoke("validate", "--repo", str(repo), "--jobs", "64").exit_code == 0
    assert invoke("validate", "--repo", str(repo), env={"WLC_JOBS": "500"}).exit_code == 0
    assert [c["jobs"] for c in calls] == [2, 2]


def test_default_overlay_is_used_by_build_validate_and_explain(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with (repo / "wlc.yaml").open("a") as f:
        f.write("  defaultOverlay: dev\n")
    out = repo.parent / "out"
    result = invoke("build", "--repo", str(repo), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert (out / "dev" / "vision-dev" / "a.yaml").is_file() and not (out / "base").exists()
    calls = spy_runs(monkeypatch)
    assert invoke("validate", "--repo", str(repo)).exit_code == 0
    assert invoke("explain", "a", "--repo", str(repo)).exit_code == 0
    assert [c["overlay"] for c in calls] == ["dev", "dev"]


def test_an_explicit_overlay_wins_over_the_default(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with (repo / "wlc.yaml").open("a") as f:
        f.write("  defaultOverlay: nope\n")
    calls = spy_runs(monkeypatch)
    assert invoke("validate", "--repo", str(repo), "--overlay", "dev").exit_code == 0
    assert invoke("validate", "--repo", str(repo)).exit_code == 2  # the default names no overlay
    assert [c["overlay"] for c in calls] == ["dev", "nope"]
