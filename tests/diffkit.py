"""Real git repositories for the ``wlc diff`` tests: a small wlc repository committed with the
real ``git``, then changed and committed again."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from compiler.cli import main
from tests.nameskit import make_repo

ORG = """apiVersion: wlc.dev/v1alpha1
kind: Department
metadata:
  name: research
---
apiVersion: wlc.dev/v1alpha1
kind: Project
metadata:
  name: vision
spec:
  department: research
  nodePools: [a100, h100]
---
apiVersion: wlc.dev/v1alpha1
kind: Project
metadata:
  name: nlp
spec:
  department: research
"""


def doc(kind: str, name: str, **spec: Any) -> str:
    """A workload document (``kind`` without "Workload"); spec fields as one-line JSON."""
    spec.setdefault("image", "busybox:1.36")
    lines = "".join(f"  {k}: {json.dumps(v)}\n" for k, v in spec.items())
    return (f"apiVersion: wlc.dev/v1alpha1\nkind: {kind}Workload\nmetadata:\n  name: {name}\n"
            f"spec:\n{lines}")


def policy(name: str, project: str, defaults: dict[str, Any]) -> str:
    return (f"apiVersion: wlc.dev/v1alpha1\nkind: Policy\nmetadata:\n  name: {name}\nspec:\n"
            f"  scope:\n    project: {project}\n  defaults: {json.dumps(defaults)}\n")


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(root), "-c", "user.name=wlc", "-c", "user.email=wlc@example.com",
                           "-c", "commit.gpgsign=false", *args], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def init(root: Path, files: dict[str, str]) -> Path:
    """A committed repository (branch main) with wlc.yaml, the org file and ``files``."""
    make_repo(root, files, org=ORG)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root


def change(root: Path, files: dict[str, str | None], commit: bool = True) -> str:
    """Write (text) or delete (None) files, and commit them unless ``commit`` is false."""
    for rel, text in files.items():
        path = root / rel
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if commit:
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "change")
    return git(root, "rev-parse", "HEAD")


def wlc_diff(root: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["diff", "--repo", str(root), *args])


def diff_json(root: Path, *args: str) -> dict[str, Any]:
    result = wlc_diff(root, "--format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    body: dict[str, Any] = json.loads(result.stdout)
    return body


def changes(body: dict[str, Any], overlay: int = 0) -> dict[str, dict[str, Any]]:
    """The workload changes of one overlay by namespace/name."""
    return {f"{c['namespace']}/{c['name']}": c for c in body["overlays"][overlay]["changes"]}
