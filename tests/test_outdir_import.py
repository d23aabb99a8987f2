"""``wlc import runai --out DIR`` writes only validated names, only inside DIR, all or nothing."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from compiler import importer
from compiler.importer import import_files
from tests.outdirkit import run, tree

DOC = """apiVersion: run.ai/v1alpha1
kind: TrainingWorkload
metadata:
  name: {name}
  namespace: {namespace}
spec:
  image:
    value: python:3.12
"""


def _file(tmp_path: Path, name: str, namespace: str = "runai-team-a", file: str = "in.yaml") -> str:
    path = tmp_path / "in" / file
    path.parent.mkdir(exist_ok=True)
    path.write_text(DOC.format(name=name, namespace=namespace))
    return str(path)


def test_a_good_document_is_written_under_workloads_project(tmp_path: Path) -> None:
    problems = import_files([_file(tmp_path, "job-1")], str(tmp_path / "out"))
    assert problems == [] and list(tree(tmp_path / "out")) == ["workloads/team-a/job-1.yaml"]


@pytest.mark.parametrize("name", ["../../x", "/abs/x", "a/b", "..", "Bad_Name", "'x\\ny'"])
def test_a_name_that_is_not_a_label_is_a_located_problem_and_nothing_is_written(tmp_path: Path, name: str) -> None:
    good = _file(tmp_path, "job-1", file="good.yaml")
    bad = _file(tmp_path, name, file="bad.yaml")
    problems = import_files([good, bad], str(tmp_path / "out"))
    assert [(p.file, p.line, p.col, p.code) for p in problems] == [(bad, 4, 9, "runai.unsafe-name")]
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


@pytest.mark.parametrize("namespace", ["../../x", "/abs", "a/b"])
def test_a_namespace_that_is_not_a_label_is_a_located_problem(tmp_path: Path, namespace: str) -> None:
    bad = _file(tmp_path, "job-1", namespace=namespace)
    problems = import_files([bad], str(tmp_path / "out"))
    assert [(p.line, p.col) for p in problems if p.code == "runai.unsafe-name"] == [(5, 14)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


def test_a_symlink_that_leads_outside_out_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    (out / "workloads").mkdir(parents=True)
    elsewhere.mkdir()
    (out / "workloads" / "team-a").symlink_to(elsewhere)
    problems = import_files([_file(tmp_path, "job-1")], str(out))
    assert [p.code for p in problems] == ["runai.unsafe-path"]
    assert list(elsewhere.iterdir()) == []


def test_a_file_symlink_is_replaced_not_written_through(tmp_path: Path) -> None:
    out, victim = tmp_path / "out", tmp_path / "victim.txt"
    victim.write_text("keep\n")
    (out / "workloads" / "team-a").mkdir(parents=True)
    (out / "workloads" / "team-a" / "job-1.yaml").symlink_to(out / "inside.txt")
    (out / "inside.txt").write_text("old\n")
    assert import_files([_file(tmp_path, "job-1")], str(out), force=True) == []
    assert not (out / "workloads" / "team-a" / "job-1.yaml").is_symlink()
    assert (out / "inside.txt").read_text() == "old\n" and victim.read_text() == "keep\n"


def test_empty_import_out_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run("import", "runai", _file(tmp_path, "job-1"), "--out", "")
    assert code == 2 and "must not be empty" in err


def test_import_reads_its_input_within_the_same_bounds_as_a_build(tmp_path: Path) -> None:
    fifo, big = tmp_path / "pipe.yaml", tmp_path / "big.yaml"
    os.mkfifo(fifo)  # reading it would block forever
    with big.open("wb") as fh:  # sparse, over the 1 MiB default
        fh.write(b"a: 1\n")
        fh.truncate(5 << 20)
    codes = {}
    for path in (fifo, big):
        _, problems = importer.convert_file(str(path))
        codes[path.name] = [(p.file, p.code) for p in problems]
    assert codes == {"pipe.yaml": [(str(fifo), "file.not-regular")], "big.yaml": [(str(big), "file.too-large")]}
