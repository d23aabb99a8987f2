"""Loading keeps every position and turns YAML mistakes into problems."""
from __future__ import annotations

from pathlib import Path

from compiler.load import find_yaml_files, parse_documents


def test_values_keep_line_and_column() -> None:
    docs, problems = parse_documents("kind: X\nspec:\n  compute:\n    gpuDevicesRequest: 2\n", "a.yaml")
    assert problems == []
    assert docs[0].locs[("spec", "compute", "gpuDevicesRequest")] == (4, 24)
    assert docs[0].key_locs[("spec", "compute", "gpuDevicesRequest")] == (4, 5)


def test_list_items_are_located() -> None:
    docs, _ = parse_documents("a:\n  - x: 1\n  - x: 2\n", "a.yaml")
    assert docs[0].locs[("a", 1, "x")] == (3, 8)


def test_duplicate_key_is_a_problem_naming_the_first() -> None:
    _, problems = parse_documents("a: 1\nb: 2\na: 3\n", "d.yaml")
    assert [p.text() for p in problems] == [
        'd.yaml:3:1: error[yaml.duplicate-key]: duplicate key "a" (first defined at line 1)']


def test_syntax_error_keeps_earlier_documents() -> None:
    docs, problems = parse_documents("a: 1\n---\nb: [1, 2\n", "s.yaml")
    assert [d.data for d in docs] == [{"a": 1}]
    assert len(problems) == 1 and problems[0].code == "yaml.syntax" and problems[0].line == 4


def test_dates_stay_strings() -> None:
    docs, _ = parse_documents("d: 2024-01-01\n", "a.yaml")
    assert docs[0].data == {"d": "2024-01-01"}


def test_merge_keys_are_refused() -> None:
    _, problems = parse_documents("base: &b {x: 1}\nother:\n  <<: *b\n", "m.yaml")
    assert [p.code for p in problems] == ["yaml.merge-key"]


def test_empty_documents_are_skipped() -> None:
    docs, problems = parse_documents("---\n---\na: 1\n", "e.yaml")
    assert problems == [] and [d.data for d in docs] == [{"a": 1}]


def test_find_skips_hidden_build_github_and_excluded(tmp_path: Path) -> None:
    for rel in ("a.yaml", "build/b.yaml", ".hidden/c.yaml", ".github/w.yml", "x/d.yml",
                "tests/e.yaml", "x/.f.yaml", "x/g.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("a: 1\n")
    assert find_yaml_files(tmp_path, ["tests/**"]) == ["a.yaml", "x/d.yml"]
