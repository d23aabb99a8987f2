"""The invalid-input corpus: each folder under tests/invalid/ is laid over tests/invalid/_base/
(a small valid repo) and built; the problems must be exactly the lines in its expected.txt.

`python -m pytest tests/test_invalid_corpus.py --update-golden` rewrites expected.txt files;
read every changed line before committing.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from compiler import pipeline
from compiler.problems import ConfigError

CORPUS = Path(__file__).resolve().parent / "invalid"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and not p.name.startswith("_"))


def problem_lines(case: str, tmp_path: Path) -> list[str]:
    repo = tmp_path / "repo"
    shutil.copytree(CORPUS / "_base", repo)
    shutil.copytree(CORPUS / case, repo, dirs_exist_ok=True, ignore=shutil.ignore_patterns("expected.txt"))
    try:
        res = pipeline.build(repo)
    except ConfigError as err:
        return [f"config error: {err}"]
    return [p.text() for p in res.problems]


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40


def test_base_repo_is_valid(tmp_path: Path) -> None:
    shutil.copytree(CORPUS / "_base", tmp_path / "repo")
    assert [p.text() for p in pipeline.build(tmp_path / "repo").problems] == []


@pytest.mark.parametrize("case", CASES)
def test_invalid_input_gives_exactly_the_expected_problems(case: str, tmp_path: Path, update_golden: bool) -> None:
    lines = problem_lines(case, tmp_path)
    expected_file = CORPUS / case / "expected.txt"
    if update_golden:
        expected_file.write_text("".join(line + "\n" for line in lines))
        return
    assert lines, "an invalid case must produce at least one problem"
    assert lines == expected_file.read_text().splitlines()
