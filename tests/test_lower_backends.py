"""Backends are a dispatch table: every backend the target schema offers has one, and an
unknown one is a located problem, not a crash."""
from __future__ import annotations

from typing import Any

import pytest

from compiler import schemas
from compiler.lower import LOWERERS, distributed, inference
from compiler.model import WORKLOAD_KINDS
from tests.lowerkit import lower, only, target, workload


def _target_enum(name: str) -> list[str]:
    values = schemas.node(schemas.common_defs(), "target", "properties", name)["enum"]
    assert isinstance(values, list)
    return sorted(str(v) for v in values)


def test_every_target_backend_in_the_schema_has_a_lowering_backend() -> None:
    assert sorted(distributed.BACKENDS) == _target_enum("distributed")
    assert sorted(inference.BACKENDS) == _target_enum("inference")


def test_every_workload_kind_has_a_lowering() -> None:
    assert sorted(LOWERERS) == sorted(WORKLOAD_KINDS)


@pytest.mark.parametrize(("kind", "setting", "spec"), [
    ("distributed", "distributed", {"framework": "PyTorch"}),
    ("inference", "inference", {"servingPort": {"container": 8080}}),
])
def test_an_unknown_backend_is_a_target_problem(kind: str, setting: str, spec: dict[str, Any]) -> None:
    objs, problems = lower(workload(kind, **spec), target(**{setting: "nope"}), check=False)
    assert objs == []
    assert "'nope'" in only(problems, "lower.target").message


def test_a_pod_problem_shared_by_every_role_is_reported_once_with_the_others() -> None:
    """Master and worker pods lower the same field: its problem comes once, beside the
    backend's and the metadata check's, all from the workload's one collector."""
    rw = workload("distributed", framework="PyTorch", workers=2, image="", meta_labels={"bad key!": "x"},
                  completions=2)
    _, problems = lower(rw, check=False)
    assert sorted(p.code for p in problems) == ["lower.metadata", "lower.no-image", "lower.not-applicable"]
