"""Small repositories for the policy tests: an organisation, then the files a test adds."""
from __future__ import annotations

import textwrap
from pathlib import Path

from compiler import pipeline
from compiler.model import ResolvedWorkload

ORG = """\
apiVersion: wlc.dev/v1alpha1
kind: Repository
metadata: {name: t}
spec: {workloadRoots: [workloads]}
"""
DEPTS = """\
apiVersion: wlc.dev/v1alpha1
kind: Department
metadata: {name: research}
---
apiVersion: wlc.dev/v1alpha1
kind: Department
metadata: {name: product}
---
apiVersion: wlc.dev/v1alpha1
kind: Project
metadata: {name: nlp}
spec: {department: research}
---
apiVersion: wlc.dev/v1alpha1
kind: Project
metadata: {name: vision}
spec: {department: research}
---
apiVersion: wlc.dev/v1alpha1
kind: Project
metadata: {name: recsys}
spec: {department: product}
"""


def policy(name: str, scope: str, body: str, types: str = "") -> str:
    """A Policy document; ``scope`` is ``cluster: true``, ``department: x`` or ``project: x``."""
    head = (f"apiVersion: wlc.dev/v1alpha1\nkind: Policy\nmetadata: {{name: {name}}}\n"
            f"spec:\n  scope: {{{scope}}}\n")
    if types:
        head += f"  workloadTypes: [{types}]\n"
    return head + textwrap.indent(textwrap.dedent(body).strip("\n"), "  ") + "\n"


def workload(name: str, spec: str, kind: str = "TrainingWorkload") -> str:
    return (f"apiVersion: wlc.dev/v1alpha1\nkind: {kind}\nmetadata:\n  name: {name}\nspec:\n"
            + textwrap.indent(textwrap.dedent(spec).strip("\n"), "  ") + "\n")


def make_repo(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "wlc.yaml").write_text(ORG)
    (root / "org.yaml").write_text(DEPTS)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def run(root: Path, files: dict[str, str]) -> pipeline.Result:
    return pipeline.specs(make_repo(root, files))


def texts(res: pipeline.Result) -> list[str]:
    return [p.text() for p in res.problems]


def codes(res: pipeline.Result) -> list[str]:
    return [p.code for p in res.problems]


def one(res: pipeline.Result, name: str) -> ResolvedWorkload:
    found = [w for w in res.workloads if w.name == name]
    assert found, f"workload {name} not kept; problems: {texts(res)}"
    return found[0]
