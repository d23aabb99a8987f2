"""The documented order: policy defaults, then overlay spec patches, then policy rules."""
from __future__ import annotations

import shutil
from pathlib import Path

from compiler import pipeline
from tests.treekit import items

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
        - name: TEAM_BUCKET
          value: s3://team
        - name: AUDIT
          value: "on"
  rules:
    environmentVariables:
      instances:
        locked: [AUDIT]
    compute:
      gpuDevicesRequest:
        max: 2
"""


def overlay(patch: str) -> str:
    return ("apiVersion: wlc.dev/v1alpha1\nkind: Overlay\nmetadata:\n  name: prod\nspec:\n  specPatches:\n"
            "    - patch:\n" + "".join(f"        {line}\n" for line in patch.strip().splitlines()))


def repo(tmp_path: Path, patch: str) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(BASE, root)
    (root / "policy.yaml").write_text(POLICY)
    (root / "overlay.yaml").write_text(overlay(patch))
    (root / "workloads" / "vision").mkdir(parents=True)
    (root / "workloads" / "vision" / "t.yaml").write_text(
        "apiVersion: wlc.dev/v1alpha1\nkind: TrainingWorkload\nmetadata:\n  name: t\nspec:\n  image: x\n")
    return root


def env_names(res: pipeline.Result) -> list[object]:
    spec = res.workloads[0].spec
    return [e["name"] for e in items(spec, "environmentVariables")] if "environmentVariables" in spec else []


def test_overlay_can_remove_an_instance_that_policy_defaults_added(tmp_path: Path) -> None:
    res = pipeline.specs(repo(tmp_path, "environmentVariables:\n  - name: TEAM_BUCKET\n    exclude: true"),
                       overlay="prod")
    assert [p.text() for p in res.problems] == []
    assert env_names(res) == ["AUDIT"]


def test_overlay_cannot_remove_a_locked_policy_instance(tmp_path: Path) -> None:
    res = pipeline.specs(repo(tmp_path, "environmentVariables:\n  - name: AUDIT\n    exclude: true"),
                       overlay="prod")
    assert [p.code for p in res.problems] == ["policy.locked"]
    assert res.problems[0].file == "overlay.yaml" and res.workloads == []


def test_rules_judge_the_value_an_overlay_set(tmp_path: Path) -> None:
    res = pipeline.specs(repo(tmp_path, "compute:\n  gpuDevicesRequest: 4"), overlay="prod")
    assert [p.code for p in res.problems] == ["policy.max"]
    assert "4 is greater than 2" in res.problems[0].message and "overlay" in res.problems[0].message


def test_overlay_value_wins_over_a_policy_default(tmp_path: Path) -> None:
    res = pipeline.specs(repo(tmp_path, "environmentVariables:\n  - name: TEAM_BUCKET\n    value: s3://prod"),
                       overlay="prod")
    env = {e["name"]: e["value"] for e in items(res.workloads[0].spec, "environmentVariables")}
    assert env["TEAM_BUCKET"] == "s3://prod"
    assert res.workloads[0].prov[("environmentVariables", 0, "value")].kind == "overlay"
