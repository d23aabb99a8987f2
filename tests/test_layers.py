"""Layering contracts (DESIGN.md): the import rules are import-linter contracts in
pyproject.toml (stages do not import the CLI, only the CLI imports click, only the cluster
package imports the kubernetes client, core modules import no stage, the layers); what an
import graph cannot say is checked here: the middle stages never touch the file system."""
from __future__ import annotations

import ast
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


def local_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement inside a function of ``tree``."""
    return [node for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
            for node in ast.walk(fn) if isinstance(node, ast.Import | ast.ImportFrom)]


def lazy_cluster_import(node: ast.Import | ast.ImportFrom) -> bool:
    """A relative import of the package's own modules (``from ..cluster import kube``,
    ``from .. import pipeline``, ``from . import outcome``): the CLI's way of loading only what
    the verb that runs needs (no kubernetes client for a build, no pipeline for ``wlc get``).
    The CLI is the top layer, which nothing imports, so such an import cannot hide a cycle."""
    return isinstance(node, ast.ImportFrom) and node.level in (1, 2)


#: third-party modules a module imports late, where it needs them: the transport's kubernetes
#: client (port-forward, exec users; importing it is most of a short command's start) and
#: urllib3's SOCKS support (PySocks, optional). Not wlc's modules, so they cannot hide a cycle.
DEFERRED = {"cluster/kube.py": ("kubernetes", "urllib3.contrib.socks")}


def deferred_import(rel: str, node: ast.Import | ast.ImportFrom) -> bool:
    names = [a.name for a in node.names] if isinstance(node, ast.Import) else [str(node.module)]
    allowed = DEFERRED.get(rel, ())
    return (isinstance(node, ast.Import) or node.level == 0) and all(
        any(n == a or n.startswith(a + ".") for a in allowed) for n in names)


def test_function_local_imports_are_only_the_clis_lazy_cluster_imports() -> None:
    """An import inside a function hides a cycle from import-linter (issue 10 found 29 of them);
    the only ones allowed are the CLI's late imports of the package's own modules, so that each
    verb loads only what it needs (tests/test_cli_lazy.py), and the third-party ones of DEFERRED."""
    offenders = []
    for p in modules():
        rel = p.relative_to(PKG)
        for node in local_imports(ast.parse(p.read_text())):
            if deferred_import(rel.as_posix(), node):
                continue
            if rel.parts[0] != "cli" or not lazy_cluster_import(node):
                offenders.append(f"{rel}:{node.lineno}: {ast.unparse(node)}")
    assert offenders == []


def test_the_local_import_check_catches_one_in_a_stage() -> None:
    tree = ast.parse("def f():\n    import yaml\n    from ...x import y\n    from ..cluster import kube\n")
    assert [lazy_cluster_import(n) for n in local_imports(tree)] == [False, False, True]
    kube = ast.parse("def f():\n    import kubernetes.client\n    import yaml\n    from ..x import kubernetes\n")
    assert [deferred_import("cluster/kube.py", n) for n in local_imports(kube)] == [True, False, False]
    assert not any(deferred_import("cluster/fetch.py", n) for n in local_imports(kube))
