"""One problem is one line: control characters and line separators in file names, field names
and messages are escaped in text output, and GitHub annotations cannot be forged."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from compiler.cli import main
from compiler.problems import Problem
from compiler.report import one_line, render
from tests.nameskit import make_repo, training

FORGE = "x\n::error file=README.md,line=1::forged\r::warning::also"


@pytest.mark.parametrize("char", ["\n", "\r", "\x1b", "\x00", "\x0b", "\x0c", "\x1c", "\x7f", "\x85",
                                  "\u2028", "\u2029"])
def test_every_line_breaking_or_control_character_is_escaped(char: str) -> None:
    text = one_line(f"a{char}b")
    assert len(f"{text}\n".splitlines()) == 1 and text.isprintable() and text.startswith("a\\")


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_a_forged_message_and_file_name_stay_on_one_line(fmt: str) -> None:
    out = render([Problem(f"a{FORGE}.yaml", 1, 2, f"c{FORGE}", f"m{FORGE}")], fmt)
    assert len(out.splitlines()) == 1 and out.count("\n") == 1
    assert not any(line.startswith("::") for line in out.replace("\r", "\n").splitlines()[1:])


def test_github_properties_escape_colon_comma_and_percent() -> None:
    out = render([Problem("a:b,c%d.yaml", 3, 4, "x", "50% done\nnext")], "github")
    assert out == "::error file=a%3Ab%2Cc%25d.yaml,line=3,col=4,title=x::50%25 done%0Anext\n"


def test_json_output_round_trips_the_raw_text() -> None:
    problem = Problem(f"a{FORGE}", 1, 1, "c", f"m{FORGE}")
    body = json.loads(render([problem], "json"))
    assert body["problems"][0]["file"] == problem.file and body["problems"][0]["message"] == problem.message


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_a_field_name_with_a_newline_gives_one_line_per_problem(tmp_path: Path, fmt: str) -> None:
    text = training("a").replace("spec:\n", 'spec:\n  "bad\\n::error file=x.yaml::forged": 1\n')
    root = make_repo(tmp_path, {"workloads/vision/a.yaml": text})
    result = CliRunner().invoke(main, ["validate", "--repo", str(root), "--format", fmt])
    assert result.exit_code == 1
    assert len(result.stdout.splitlines()) == 1, result.stdout
    assert "schema.unknown-field" in result.stdout
    assert result.stdout.startswith("workloads/vision/a.yaml:6:3: " if fmt == "text" else "::error file=workloads")


def test_a_file_name_with_a_newline_gives_one_line(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"workloads/vision/a\n::error file=x::b.yaml": training("a", gpuDevicesRequest="two")})
    result = CliRunner().invoke(main, ["validate", "--repo", str(root)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("workloads/vision/a\\n::error file=x::b.yaml:6:"), lines
