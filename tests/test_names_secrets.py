"""A literal value for an environment variable named like a secret is a warning that names the
Credential mechanism; references (secret, credential, SECRET:<secret>,<key>) are not."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from compiler import pipeline
from compiler.cli import main
from tests.nameskit import make_repo, training


def run_with_env(tmp_path: Path, env: list[dict[str, Any]]) -> pipeline.Result:
    root = make_repo(tmp_path, {"workloads/vision/a.yaml": training("a", environmentVariables=env)})
    return pipeline.build(root)


@pytest.mark.parametrize("name", ["DB_PASSWORD", "password", "MY_SECRET_X", "hf_token", "API_KEY",
                                  "aws_secret_access_key"])
def test_literal_secret_looking_value_is_a_warning(tmp_path: Path, name: str) -> None:
    res = run_with_env(tmp_path, [{"name": name, "value": "hunter2"}])
    assert res.ok
    assert [(p.severity, p.code, p.field) for p in res.problems] == [
        ("warning", "schema.secret-literal", "spec.environmentVariables[0].value")]
    assert "Credential" in res.problems[0].message and res.problems[0].line == 6


@pytest.mark.parametrize("item", [
    {"name": "DB_PASSWORD", "secret": {"name": "db", "key": "password"}},
    {"name": "HF_TOKEN", "value": "SECRET:hf,token"},
    {"name": "KEYBOARD", "value": "us"}, {"name": "MONKEY", "value": "x"},
    {"name": "DB_PASSWORD", "value": ""},
])
def test_references_and_ordinary_names_are_not_warned(tmp_path: Path, item: dict[str, Any]) -> None:
    assert run_with_env(tmp_path, [item]).problems == []


def test_validate_exits_zero_with_only_warnings(tmp_path: Path) -> None:
    env = [{"name": "HF_TOKEN", "value": "abc"}]
    root = make_repo(tmp_path, {"workloads/vision/a.yaml": training("a", environmentVariables=env)})
    result = CliRunner().invoke(main, ["validate", "--repo", str(root)])
    assert result.exit_code == 0, result.output
    assert "warning[schema.secret-literal]" in result.output
