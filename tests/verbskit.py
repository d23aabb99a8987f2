"""Helpers of the verb tests: a copy of this project's own example repository (wlc.yaml,
examples/, policies/, overlays/) to edit, and the CLI run in it."""
from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from compiler.cli import main

ROOT = Path(__file__).resolve().parent.parent


def example_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(ROOT / "wlc.yaml", repo / "wlc.yaml")
    for folder in ("examples", "policies", "overlays"):
        shutil.copytree(ROOT / folder, repo / folder)
    return repo


def wlc(repo: Path, *args: str) -> tuple[int, str, str]:
    """``wlc ARGS --repo REPO`` (the option is put before a ``--``, if any)."""
    argv = list(args)
    at = argv.index("--") if "--" in argv else len(argv)
    argv[at:at] = ["--repo", str(repo)]
    result = CliRunner().invoke(main, argv)
    return result.exit_code, result.stdout, result.stderr


def tree(repo: Path) -> dict[str, bytes]:
    """Every file of the repository and its bytes (to show that nothing was written)."""
    return {str(p.relative_to(repo)): p.read_bytes() for p in sorted(repo.rglob("*")) if p.is_file()}
