"""The steps of the wlc GitHub Action (action.yml at the repository root), as one script that
reads what a runner sets, so that it can be tested without a runner:

- ``WLC_REPO`` (default ``.``), ``WLC_OVERLAY`` or ``WLC_ALL_OVERLAYS=true``;
- ``WLC_BASE``: the revision to diff against (the action passes the pull request's base commit;
  empty: no diff); ``WLC_COMMENT=true``: also post the markdown as a pull-request comment
  through ``gh`` (``GH_TOKEN``, ``WLC_PR``);
- ``GITHUB_STEP_SUMMARY``, ``GITHUB_OUTPUT``, ``RUNNER_TEMP``: the runner's files.

It runs ``wlc validate --format github`` (annotations on the pull request) and ``--format
sarif`` into ``$RUNNER_TEMP/wlc.sarif`` (output ``sarif``, for github/codeql-action/upload-sarif),
then ``wlc diff --format markdown`` into the job summary (outputs ``diff``, the file, and
``differs``). Exit status: validate's (1 when the head has errors), else diff's.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

WLC = [sys.executable, "-m", "compiler.cli"]


def main() -> int:
    repo = os.environ.get("WLC_REPO") or "."
    selection = _selection()
    out_dir = Path(os.environ.get("RUNNER_TEMP") or tempfile.mkdtemp(prefix="wlc-action-"))
    sarif = out_dir / "wlc.sarif"
    validate = _run([*WLC, "validate", "--repo", repo, *selection[:2], "--format", "github"])
    sys.stdout.write(validate.stdout)
    sys.stderr.write(validate.stderr)
    sarif.write_text(_run([*WLC, "validate", "--repo", repo, *selection[:2], "--format", "sarif"]).stdout)
    outputs = {"sarif": str(sarif), "valid": str(validate.returncode == 0).lower()}
    code = validate.returncode
    base = os.environ.get("WLC_BASE", "")
    if base:
        diff_code = _diff(repo, base, selection, out_dir / "wlc-diff.md", outputs)
        code = code or diff_code
    _append("GITHUB_OUTPUT", "".join(f"{k}={v}\n" for k, v in sorted(outputs.items())))
    return code


def _selection() -> list[str]:
    if os.environ.get("WLC_ALL_OVERLAYS", "").lower() == "true":
        return ["--all-overlays"]
    overlay = os.environ.get("WLC_OVERLAY", "")
    return ["--overlay", overlay] if overlay else []


def _diff(repo: str, base: str, selection: list[str], md: Path, outputs: dict[str, str]) -> int:
    """``wlc diff`` into the job summary (and a comment); 0, or diff's status when it failed."""
    done = _run([*WLC, "diff", "--repo", repo, "--base", base, *selection, "--format", "markdown", "--exit-code"])
    sys.stderr.write(done.stderr)
    if done.returncode not in (0, 1) or not done.stdout:
        _append("GITHUB_STEP_SUMMARY", f"wlc diff failed (exit {done.returncode}): {done.stderr.strip()}\n")
        return done.returncode or 1
    md.write_text(done.stdout)
    _append("GITHUB_STEP_SUMMARY", done.stdout)
    outputs.update({"diff": str(md), "differs": str(done.returncode == 1).lower()})
    if os.environ.get("WLC_COMMENT", "").lower() == "true" and os.environ.get("WLC_PR"):
        return _comment(os.environ["WLC_PR"], md)
    return 0


def _comment(pr: str, md: Path) -> int:
    """One comment per pull request, edited on each push (``gh pr comment --edit-last``)."""
    edited = _run(["gh", "pr", "comment", pr, "--edit-last", "--body-file", str(md)])
    if edited.returncode == 0:
        return 0
    posted = _run(["gh", "pr", "comment", pr, "--body-file", str(md)])
    sys.stderr.write(posted.stderr)
    return posted.returncode


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False)


def _append(variable: str, text: str) -> None:
    path = os.environ.get(variable)
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    sys.exit(main())
