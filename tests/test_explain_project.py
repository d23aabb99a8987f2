"""`wlc explain --project P`: the project as the cluster gets it, each value with its source."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from compiler.cli import main

ROOT = Path(__file__).resolve().parent.parent


def explain(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["explain", "--repo", str(ROOT), *args])
    return result.exit_code, result.stdout, result.stderr


def test_a_project_shows_its_namespace_quota_department_quota_and_members_with_their_lines() -> None:
    code, out, _ = explain("--project", "nlp")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Project nlp" and lines[1] == "source examples/org/organisation.yaml"
    fields = {line.split("  ")[0].strip(): line for line in lines[3:]}
    assert "runai-nlp" in fields["namespace"]
    assert "research  (examples/org/organisation.yaml:" in fields["department"]
    assert '{"gpuDevices": 12}  (examples/org/organisation.yaml:' in fields["quota [h100]"]
    assert "department quota [h100]" in fields
    assert "ClusterRole wlc-researcher" in fields["members[0]"]


def test_json_lists_every_field_with_its_source() -> None:
    code, out, _ = explain("--project", "nlp", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["project"] == "nlp"
    assert {r["field"] for r in doc["fields"]} >= {"namespace", "department", "podSecurity", "overQuota"}
    assert all(set(r) == {"field", "value", "source"} for r in doc["fields"])


def test_an_unknown_project_names_the_known_ones_and_exits_2() -> None:
    code, _, err = explain("--project", "nope")
    assert code == 2 and 'no project named "nope" (projects: nlp, recsys, vision)' in err


def test_a_workload_and_a_project_together_or_neither_is_a_usage_error() -> None:
    assert explain()[0] == 2
    assert explain("llama-finetune", "--project", "nlp")[0] == 2
