"""Infinite and NaN numbers (``.inf``, ``-.inf``, ``.nan``) are located problems wherever a number
is written, not a crash while lowering."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.nameskit import make_repo, problems, training

POLICY = """apiVersion: wlc.dev/v1alpha1
kind: Policy
metadata:
  name: ceiling
spec:
  scope:
    cluster: true
  rules:
    compute:
      cpuCoreRequest:
        max: .inf
"""


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", ".NaN", ".Inf"])
def test_non_finite_cpu_request_is_a_problem_at_its_line(tmp_path: Path, value: str) -> None:
    text = training("a").replace("spec:\n", f"spec:\n  compute:\n    cpuCoreRequest: {value}\n")
    root = make_repo(tmp_path, {"workloads/vision/a.yaml": text})
    lines = problems(root)
    assert len(lines) == 1, lines
    assert lines[0].startswith("workloads/vision/a.yaml:7:21: error[schema.number]: "
                               "spec.compute.cpuCoreRequest: "), lines


def test_non_finite_number_in_a_policy_is_a_problem_at_its_line(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"workloads/vision/a.yaml": training("a"), "policies/p.yaml": POLICY})
    lines = problems(root)
    assert [line.split(": error")[0] for line in lines] == ["policies/p.yaml:11:14"], lines
    assert "schema.number" in lines[0]


def test_finite_numbers_still_pass(tmp_path: Path) -> None:
    text = training("a").replace("spec:\n", "spec:\n  compute:\n    cpuCoreRequest: 0.5\n")
    root = make_repo(tmp_path, {"workloads/vision/a.yaml": text})
    assert problems(root) == []
