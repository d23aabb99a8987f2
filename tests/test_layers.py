"""Layering contracts (DESIGN.md): the import rules are import-linter contracts in
pyproject.toml (stages do not import the CLI, only the CLI imports click, only the cluster
package imports the kubernetes client, core modules import no stage, the layers); what an
import graph cannot say is checked here: the middle stages never touch the file system."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from importlinter.cli import lint_imports

REPO = Path(__file__).resolve().parent.parent
PKG = REPO / "compiler"
PURE_STAGES = ("normalize", "validate", "resolve", "merge", "bundle", "verify", "repo", "policy", "overlay", "lower")


def modules() -> list[Path]:
    return sorted(PKG.rglob("*.py"))


def test_import_contracts_hold(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(REPO)
    code = lint_imports(config_filename=os.fspath(REPO / "pyproject.toml"), no_cache=True, no_logo=True)
    assert code == 0, capsys.readouterr().out


WRITES = ("write_text(", "write_bytes(", "shutil.", "os.replace(", "os.remove(", ".unlink(", "mkdir(", '"w")', "'w')")


def test_pure_stages_never_write_files() -> None:
    offenders = []
    for p in modules():
        rel = p.relative_to(PKG)
        if rel.parts[0].removesuffix(".py") in PURE_STAGES:
            text = p.read_text()
            offenders += [f"{rel}: {w}" for w in WRITES if w in text]
    assert offenders == []
