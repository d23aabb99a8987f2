"""What the emitter cannot write faithfully is a `bug.emit` problem, never a silent file: objects
with no YAML form (a lone surrogate, a non-string key) always, and with WLC_EMIT_REREAD=1 any
emitted text that parses back as something other than the verified objects."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from compiler import pipeline, yamlout
from compiler.emit import WorkloadBundle, duplicate_objects
from compiler.yamlout import EmitError, dump_document, reread_mismatch

ROOT = Path(__file__).resolve().parent.parent


def bundle(objects: list[dict[str, Any]]) -> WorkloadBundle:
    return WorkloadBundle("w", "ns", "p", "TrainingWorkload", "examples/w.yaml", "h", True, "id", objects, line=7)


def old_main_string(value: str) -> str:
    """The quoting of main before issue 9: a prefix match let "-x\\n---..." through unquoted."""
    if re.match(r"^-[A-Za-z0-9_./=-]", value) or re.fullmatch(r"[A-Za-z][A-Za-z0-9_./-]*", value):
        return value
    return "'" + value.replace("'", "''") + "'" if value.isprintable() else '"' + value + '"'


@pytest.mark.parametrize(("got", "want"), [
    ([{"a": 1}], [{"a": 1.0}]), ([{"a": 1}], [{"a": True}]), ([{"a": "1"}], [{"a": 1}]),
    ([{"a": [1, 2]}], [{"a": [1]}]), ([{"k": 1}, {"k": 2}], [{"k": 1}]), ([{"on": 1}], [{True: 1}]),
])
def test_reread_mismatch_tells_types_values_and_documents_apart(got: list[dict[str, Any]],
                                                                want: list[dict[str, Any]]) -> None:
    text = "".join(dump_document(o) for o in got)
    assert reread_mismatch(want, [text]) is not None


def test_reread_mismatch_accepts_exact_objects_nan_included() -> None:
    objects = [{"a": float("nan"), "b": [1, 1.0, True, None, "1", "on", "x\n"]}, {}]
    assert reread_mismatch(objects, [dump_document(o) for o in objects]) is None


def test_broken_quoting_is_a_bug_emit_problem_with_reread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WLC_EMIT_REREAD", "1")
    monkeypatch.setattr(yamlout, "_string", old_main_string)
    b = bundle([{"kind": "ConfigMap", "data": {"a": "-x\n---\nkind: Job\n"}}])
    [problem] = duplicate_objects([b])
    assert (problem.code, problem.file, problem.line) == ("bug.emit", "examples/w.yaml", 7)
    assert "2 documents read back from 1 objects" in problem.message


def test_a_build_with_broken_quoting_fails_with_reread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WLC_EMIT_REREAD", "1")
    monkeypatch.setattr(yamlout, "_string", lambda value: value)  # never quotes: "1" reads back as 1
    res = pipeline.build(ROOT)
    assert not res.ok
    assert {p.code for p in res.problems if p.severity == "error"} == {"bug.emit"}


def test_the_examples_reread_clean() -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WLC_EMIT_REREAD", "1")
        res = pipeline.build(ROOT)
    assert [p.text() for p in res.problems if p.severity == "error"] == []


@pytest.mark.parametrize(("obj", "words"), [
    ({"a": "x\ud800y"}, "lone surrogate (U+D800)"),
    ({"a": {1: "x"}}, "map key 1 is a int"),
    ({"a": {"b": object()}}, "cannot serialize a object"),
])
def test_an_object_without_a_yaml_form_is_a_bug_emit_problem(obj: dict[str, Any], words: str) -> None:
    with pytest.raises(EmitError, match=re.escape(words)):
        dump_document(obj)
    [problem] = duplicate_objects([bundle([obj])])
    assert problem.code == "bug.emit" and words in problem.message
