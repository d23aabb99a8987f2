"""A tiny wlc repository in a temporary folder for overlay tests."""
from __future__ import annotations

import textwrap
from pathlib import Path

from compiler import pipeline

ORG = """\
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
spec: {department: research, nodePools: [h100, a100]}
---
apiVersion: wlc.dev/v1alpha1
kind: Project
metadata: {name: recsys}
spec: {department: product}
"""

TRAIN = """\
apiVersion: wlc.dev/v1alpha1
kind: TrainingWorkload
metadata:
  name: {name}
  labels: {{tier: {tier}}}
spec:
  image: nvcr.io/nvidia/pytorch:24.10-py3
  command: python train.py
  tolerations:
    - name: spot
      key: cloud.example.com/spot
      operator: Exists
      effect: NoSchedule
"""

SHELL = """\
apiVersion: wlc.dev/v1alpha1
kind: InteractiveWorkload
metadata:
  name: {name}
spec:
  image: python:3.12
  command: sleep infinity
  exposedUrls:
    - container: 8888
"""


def make_repo(root: Path, overlays: dict[str, str], extra: dict[str, str] | None = None) -> Path:
    """wlc.yaml, two projects, three workloads, and ``overlays`` (name → YAML text of its spec)."""
    files = {
        "wlc.yaml": "apiVersion: wlc.dev/v1alpha1\nkind: Repository\nmetadata: {name: t}\n",
        "org.yaml": ORG,
        "workloads/nlp/train-a.yaml": TRAIN.format(name="train-a", tier="gold"),
        "workloads/nlp/shell.yaml": SHELL.format(name="shell"),
        "workloads/recsys/train-b.yaml": TRAIN.format(name="train-b", tier="silver"),
    }
    for name, spec in overlays.items():
        files[f"overlays/{name}/overlay.yaml"] = (
            f"apiVersion: wlc.dev/v1alpha1\nkind: Overlay\nmetadata:\n  name: {name}\nspec:\n"
            + textwrap.indent(textwrap.dedent(spec).strip("\n") or "{}", "  ") + "\n")
    files.update(extra or {})
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def build(root: Path, overlay: str | None) -> pipeline.Result:
    return pipeline.build(root, overlay)


def specs(root: Path, overlay: str | None) -> pipeline.Result:
    """The spec stages only (up to the policy rules)."""
    return pipeline.specs(root, overlay)


def errors(res: pipeline.Result) -> list[str]:
    return [p.text() for p in res.problems if p.severity == "error"]


def workload(res: pipeline.Result, name: str):  # type: ignore[no-untyped-def]
    return next(rw for rw in res.workloads if rw.name == name)


def objects(res: pipeline.Result, workload_name: str) -> list[dict]:  # type: ignore[type-arg]
    return next(b.objects for b in res.bundles if b.name == workload_name)


def obj(res: pipeline.Result, workload_name: str, kind: str) -> dict:  # type: ignore[type-arg]
    return next(o for o in objects(res, workload_name) if o["kind"] == kind)
