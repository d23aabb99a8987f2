"""The GitHub Action's steps (.github/scripts/wlc_action.py) run as a runner runs them: with
GITHUB_STEP_SUMMARY, GITHUB_OUTPUT, RUNNER_TEMP and the action's inputs in the environment, on
a real git repository; ``gh`` is a stand-in script that records its arguments."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.diffkit import change, doc, init

SCRIPT = Path(__file__).resolve().parent.parent / ".github" / "scripts" / "wlc_action.py"
FILES = {"workloads/nlp/d.yaml": doc("Training", "d")}


def _run(tmp_path: Path, root: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], dict[str, str], str]:
    runner = tmp_path / "runner"
    runner.mkdir(exist_ok=True)
    summary, output = runner / "summary.md", runner / "output"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    gh = bin_dir / "gh"
    gh.write_text(f"#!/bin/sh\necho \"$@\" >> {runner / 'gh.log'}\n[ \"$4\" = --edit-last ] && exit 1\nexit 0\n")
    gh.chmod(0o755)
    full = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output),
            "RUNNER_TEMP": str(runner), "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", **env}
    done = subprocess.run([sys.executable, str(SCRIPT)], cwd=root, env=full, capture_output=True, text=True,
                          check=False)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines()) if output.exists() else {}
    return done, outputs, summary.read_text() if summary.exists() else ""


def test_a_pull_request_gets_annotations_sarif_and_the_diff_in_the_summary(tmp_path: Path) -> None:
    root = init(tmp_path / "r", FILES)
    base = change(root, {"workloads/nlp/e.yaml": doc("Training", "e")}, commit=False)
    done, outputs, summary = _run(tmp_path, root, WLC_BASE=base)
    assert done.returncode == 0, done.stderr
    assert outputs["valid"] == "true" and outputs["differs"] == "true"
    assert json.loads(Path(outputs["sarif"]).read_text())["version"] == "2.1.0"
    assert "| base | <code>runai-nlp/e</code> | Training | added |" in summary
    assert Path(outputs["diff"]).read_text() == summary


def test_problems_become_annotations_and_fail_the_step(tmp_path: Path) -> None:
    root = init(tmp_path / "r", FILES)
    change(root, {"workloads/nlp/d.yaml": doc("Training", "d", compute={"gpuDevicesRequest": "two"})}, commit=False)
    done, outputs, summary = _run(tmp_path, root, WLC_BASE="HEAD")
    assert done.returncode == 1
    assert done.stdout.startswith("::error file=workloads/nlp/d.yaml,line=")
    assert outputs["valid"] == "false" and json.loads(Path(outputs["sarif"]).read_text())["runs"][0]["results"]
    assert "does not build" in summary


def test_without_a_base_there_is_no_diff(tmp_path: Path) -> None:
    root = init(tmp_path / "r", FILES)
    done, outputs, summary = _run(tmp_path, root, WLC_BASE="")
    assert done.returncode == 0 and "diff" not in outputs and summary == ""


def test_comment_posts_once_when_there_is_no_comment_to_edit(tmp_path: Path) -> None:
    root = init(tmp_path / "r", FILES)
    done, outputs, _ = _run(tmp_path, root, WLC_BASE="HEAD", WLC_COMMENT="true", WLC_PR="7")
    assert done.returncode == 0, done.stderr
    log = (tmp_path / "runner" / "gh.log").read_text().splitlines()
    assert log == [f"pr comment 7 --edit-last --body-file {outputs['diff']}",
                   f"pr comment 7 --body-file {outputs['diff']}"]
