"""SARIF 2.1.0 and GitLab Code Quality reports: valid against their published schemas (copies in
tests/data, origin in tests/data/README.md), stable fingerprints, raw text carried safely."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from compiler.cli import main
from compiler.problems import Problem
from compiler.report import fingerprints, render
from tests.nameskit import make_repo, training

DATA = Path(__file__).parent / "data"
FORGE = "x\n::error file=README.md,line=1::forged\r\u2028"
PROBLEMS = [
    Problem("workloads/vision/a b.yaml", 9, 5, "policy.max", "8 is greater than 4", field="spec.compute.gpuDevicesRequest"),
    Problem("workloads/vision/b.yaml", 0, 0, "load.yaml", "cannot parse"),
    Problem("policies/cluster.yaml", 3, 1, "policy.unused", "unused rule", severity="warning"),
    Problem(f"w{FORGE}.yaml", 2, 2, f"c{FORGE}", f"m{FORGE}"),
    Problem("", 0, 0, "config.x", "no file"),
]


def _schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DATA / name).read_text())
    return loaded


def _validate(doc: object, schema_file: str) -> None:
    schema = _schema(schema_file)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    cls(schema, format_checker=cls.FORMAT_CHECKER).validate(doc)


@pytest.mark.parametrize("problems", [PROBLEMS, []])
def test_sarif_output_is_valid_sarif_2_1_0(problems: list[Problem]) -> None:
    doc = json.loads(render(problems, "sarif"))
    _validate(doc, "sarif-schema-2.1.0.json")
    assert doc["version"] == "2.1.0" and len(doc["runs"][0]["results"]) == len(problems)


def test_the_schema_rejects_a_broken_sarif_log() -> None:
    doc = json.loads(render(PROBLEMS, "sarif"))
    doc["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        _validate(doc, "sarif-schema-2.1.0.json")


def test_sarif_result_points_at_file_line_and_column_with_an_encoded_uri() -> None:
    result = json.loads(render(PROBLEMS, "sarif"))["runs"][0]["results"][0]
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "workloads/vision/a%20b.yaml", "uriBaseId": "SRCROOT"}
    assert physical["region"] == {"startLine": 9, "startColumn": 5}
    assert result["ruleId"] == "policy.max" and result["level"] == "error"
    assert result["properties"] == {"field": "spec.compute.gpuDevicesRequest"}


def test_sarif_whole_file_problem_points_at_line_1_and_warnings_are_warnings() -> None:
    results = json.loads(render(PROBLEMS, "sarif"))["runs"][0]["results"]
    assert results[1]["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
    assert results[2]["level"] == "warning"


def test_sarif_rules_list_every_code_once_and_results_index_them() -> None:
    run = json.loads(render(PROBLEMS + PROBLEMS[:1], "sarif"))["runs"][0]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert ids == sorted(set(ids)) and len(ids) == 5
    assert all(ids[r["ruleIndex"]] == r["ruleId"] for r in run["results"])


@pytest.mark.parametrize("problems", [PROBLEMS, []])
def test_gitlab_output_is_a_valid_code_quality_report(problems: list[Problem]) -> None:
    doc = json.loads(render(problems, "gitlab"))
    _validate(doc, "gitlab-codequality.schema.json")
    assert len(doc) == len(problems)


def test_gitlab_whole_file_problem_begins_at_line_1_and_severity_maps() -> None:
    doc = json.loads(render(PROBLEMS, "gitlab"))
    assert doc[1]["location"] == {"path": "workloads/vision/b.yaml", "lines": {"begin": 1}}
    assert [d["severity"] for d in doc[:3]] == ["major", "major", "minor"]
    assert doc[4]["location"]["path"] == "wlc.yaml"
    assert "locations" not in json.loads(render(PROBLEMS, "sarif"))["runs"][0]["results"][4]


def test_fingerprint_ignores_the_line_so_a_moved_problem_keeps_it() -> None:
    moved = Problem("workloads/vision/a b.yaml", 30, 1, "policy.max", "8 is greater than 4",
                    field="spec.compute.gpuDevicesRequest")
    assert fingerprints([PROBLEMS[0]]) == fingerprints([moved])


@pytest.mark.parametrize("change", [{"file": "other.yaml"}, {"code": "policy.min"}, {"field": "spec.x"},
                                    {"message": "9 is greater than 4"}])
def test_fingerprint_changes_with_file_code_field_or_message(change: dict[str, str]) -> None:
    base = PROBLEMS[0]
    other = Problem(**{**base.__dict__, **change})
    assert fingerprints([base]) != fingerprints([other])


def test_repeated_problems_get_distinct_fingerprints() -> None:
    twice = [PROBLEMS[0], Problem(**{**PROBLEMS[0].__dict__, "line": 12})]
    assert len(set(fingerprints(twice))) == 2


def test_forged_text_round_trips_raw_and_stays_inside_json_strings() -> None:
    for fmt in ("sarif", "gitlab"):
        out = render(PROBLEMS, fmt)
        assert "\n::" not in out and "\r" not in out and "\u2028" not in out
    issue = json.loads(render(PROBLEMS, "gitlab"))[3]
    assert issue["description"] == f"m{FORGE}" and issue["location"]["path"] == f"w{FORGE}.yaml"


@pytest.mark.parametrize("verb", ["validate", "build"])
@pytest.mark.parametrize(("fmt", "schema"), [("sarif", "sarif-schema-2.1.0.json"),
                                              ("gitlab", "gitlab-codequality.schema.json")])
def test_cli_prints_a_valid_report_of_a_real_problem(tmp_path: Path, verb: str, fmt: str, schema: str) -> None:
    root = make_repo(tmp_path / "r", {"workloads/vision/a.yaml": training("a", gpuDevicesRequest="two")})
    result = CliRunner().invoke(main, [verb, "--repo", str(root), "--format", fmt])
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    _validate(doc, schema)
    text = json.dumps(doc)
    assert "workloads/vision/a.yaml" in text and "schema." in text
