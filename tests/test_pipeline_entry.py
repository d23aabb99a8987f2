"""The pipeline's entry points pass values: each is a prefix of the next, none changes its inputs."""
from __future__ import annotations

import ast
import dataclasses
import shutil
from pathlib import Path

import pytest

from compiler import pipeline, policy
from tests.treekit import items

ROOT = Path(__file__).resolve().parent.parent
BASE = Path(__file__).resolve().parent / "invalid" / "_base"

POLICY = """apiVersion: wlc.dev/v1alpha1
kind: Policy
metadata:
  name: env-defaults
spec:
  scope:
    cluster: true
  defaults:
    environmentVariables:
      instances:
        - name: AUDIT
          value: "on"
  rules:
    environmentVariables:
      instances:
        locked: [AUDIT]
"""

#: the first patch selects team a and removes the locked AUDIT; the second moves the workload
#: to team b, so that the first patch no longer selects what it already changed
RELABEL = """apiVersion: wlc.dev/v1alpha1
kind: Overlay
metadata:
  name: prod
spec:
  specPatches:
    - select: {labels: {team: a}}
      patch:
        environmentVariables:
          - name: AUDIT
            exclude: true
    - patch:
        labels:
          - name: team
            value: b
"""


def make_repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(BASE, root)
    (root / "policy.yaml").write_text(POLICY)
    (root / "overlay.yaml").write_text(RELABEL)
    (root / "workloads" / "vision").mkdir(parents=True)
    (root / "workloads" / "vision" / "t.yaml").write_text(
        "apiVersion: wlc.dev/v1alpha1\nkind: TrainingWorkload\nmetadata:\n  name: t\nspec:\n  image: x\n"
        "  labels:\n    - name: team\n      value: a\n")
    return root


def test_check_finds_what_build_finds_without_rendering() -> None:
    checked, built = pipeline.check(ROOT), pipeline.build(ROOT)
    assert checked.files == {} and "index.json" in built.files
    assert checked.problems == built.problems
    assert [b.relpath for b in checked.bundles] == [b.relpath for b in built.bundles]


def test_specs_stops_before_lowering() -> None:
    res = pipeline.specs(ROOT)
    assert res.workloads and res.bundles == [] and res.files == {}


def test_repository_reads_and_classifies_only() -> None:
    loaded = pipeline.repository(ROOT)
    assert loaded.repo is not None and loaded.repo.workloads


def test_result_is_a_frozen_value() -> None:
    res = pipeline.specs(ROOT)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.problems = []  # type: ignore[misc]


def test_fill_defaults_returns_new_workloads_and_leaves_its_input_alone(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    (root / "overlay.yaml").unlink()
    loaded = pipeline.repository(root)
    assert loaded.repo is not None
    resolved = pipeline.specs(root).workloads  # AUDIT defaulted
    policies, problems = policy.read(loaded.repo)
    assert problems == []
    bare = [dataclasses.replace(rw, spec={"image": "x"}, prov={}) for rw in resolved]
    filled = policy.fill_defaults(policies, loaded.repo, bare)
    assert bare[0].spec == {"image": "x"}
    assert [e["name"] for e in items(filled[0].spec, "environmentVariables")] == ["AUDIT"]


def test_an_overlay_exclusion_counts_even_when_a_later_patch_changes_the_selection(tmp_path: Path) -> None:
    res = pipeline.specs(make_repo(tmp_path), "prod")
    assert [p.code for p in res.problems] == ["policy.locked"]
    assert res.problems[0].file == "overlay.yaml" and res.workloads == []


def test_parallel_helper_does_not_import_the_pipeline() -> None:
    tree = ast.parse((ROOT / "compiler" / "parallel.py").read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                for alias in node.names} | {node.module or "" for node in ast.walk(tree)
                                            if isinstance(node, ast.ImportFrom)}
    assert not any("pipeline" in name for name in imported)
