"""A tiny wlc repository written into a temporary folder, for the names / text / exit tests."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from compiler import pipeline

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
"""


def training(name: str = "train", **spec: Any) -> str:
    """A TrainingWorkload document; ``spec`` fields as JSON (a YAML subset) on one line each."""
    spec.setdefault("image", "busybox:1.36")
    lines = "".join(f"  {k}: {json.dumps(v)}\n" for k, v in spec.items())
    return (f"apiVersion: wlc.dev/v1alpha1\nkind: TrainingWorkload\nmetadata:\n"
            f"  name: {json.dumps(name)}\nspec:\n{lines}")


def make_repo(root: Path, files: dict[str, str], wlc_spec: str = "", org: str = ORG) -> Path:
    """wlc.yaml (with ``wlc_spec`` lines under spec:), the org file and ``files`` under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "wlc.yaml").write_text("apiVersion: wlc.dev/v1alpha1\nkind: Repository\nmetadata:\n"
                                   "  name: t\nspec:\n  workloadRoots: [workloads]\n" + wlc_spec)
    (root / "org.yaml").write_text(org)
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def problems(root: Path, overlay: str | None = None) -> list[str]:
    """Every problem of a build, as text lines."""
    return [p.text() for p in pipeline.build(root, overlay).problems]
