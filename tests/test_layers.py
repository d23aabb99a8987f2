"""Layering contracts (DESIGN.md): only the CLI imports click; only the cluster side would
import the kubernetes client; the middle stages never touch the file system."""
from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "compiler"
PURE_STAGES = ("normalize", "validate", "resolve", "merge", "bundle", "verify", "repo", "policy", "overlay", "lower")


def imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def modules() -> list[Path]:
    return sorted(PKG.rglob("*.py"))


def test_only_the_cli_imports_click() -> None:
    offenders = [str(p.relative_to(PKG)) for p in modules() if "click" in imports(p) and p.name != "cli.py"]
    assert offenders == []


def test_only_the_cluster_package_imports_the_kubernetes_client() -> None:
    assert [str(p.relative_to(PKG)) for p in modules()
            if "kubernetes" in imports(p) and p.relative_to(PKG).parts[0] != "cluster"] == []


WRITES = ("write_text(", "write_bytes(", "shutil.", "os.replace(", "os.remove(", ".unlink(", "mkdir(", '"w")', "'w')")


def test_pure_stages_never_write_files() -> None:
    offenders = []
    for p in modules():
        rel = p.relative_to(PKG)
        if rel.parts[0].removesuffix(".py") in PURE_STAGES:
            text = p.read_text()
            offenders += [f"{rel}: {w}" for w in WRITES if w in text]
    assert offenders == []
