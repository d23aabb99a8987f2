"""Golden edits: every verb (stop, activate, copy, copy to another project, delete) on every
document shape (native, Run:ai v2alpha1 and v1alpha1, several documents in a file, comments
everywhere, flow style, CRLF) gives exactly the bytes of tests/data/verbs-golden/expected/, both
as a function (compiler/edit/) and through the CLI in a repository; nothing but the lines the
verb must change differs from the input."""
from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from compiler.edit.active import set_active
from compiler.edit.copy import copied, remove
from compiler.edit.documents import Found, find
from compiler.model import WORKLOAD_KINDS
from tests.verbskit import example_repo, wlc

DATA = Path(__file__).resolve().parent / "data" / "verbs-golden"
SHAPES = sorted(p.stem for p in (DATA / "input").glob("*.yaml"))
NAME = "target"


def _found(text: str) -> Found:
    found = find(text, NAME, WORKLOAD_KINDS)
    assert found is not None
    return found


VERBS: dict[str, Callable[[str], str | None]] = {
    "stop": lambda text: set_active(text, _found(text), False).text,
    "activate": lambda text: set_active(text, _found(text), True).text,
    "copy": lambda text: copied(_found(text), "copied", None),
    "copy-project": lambda text: copied(_found(text), "copied", "recsys"),
    "delete": lambda text: remove(text, _found(text)),
}


def _input(shape: str) -> str:
    with open(DATA / "input" / f"{shape}.yaml", encoding="utf-8", newline="") as fh:
        return fh.read()


def _compare(shape: str, verb: str, after: str | None, update: bool) -> None:
    path = DATA / "expected" / f"{shape}.{verb}.yaml"
    gone = path.with_suffix(".gone")
    if update:
        path.unlink(missing_ok=True)
        gone.unlink(missing_ok=True)
        if after is None:
            gone.write_bytes(b"")
        else:
            path.write_bytes(after.encode())
        return
    if after is None:
        assert gone.exists() and not path.exists(), f"{shape} {verb}: the edit removes the file"
    else:
        assert not gone.exists() and path.read_bytes() == after.encode()


def test_every_shape_is_there() -> None:
    assert SHAPES == ["bom", "comments", "crlf", "flow", "native", "runai-v1alpha1", "runai-v2alpha1", "several"]


@pytest.mark.parametrize("verb", VERBS)
@pytest.mark.parametrize("shape", SHAPES)
def test_edit_gives_the_golden_bytes(shape: str, verb: str, update_golden: bool) -> None:
    _compare(shape, verb, VERBS[verb](_input(shape)), update_golden)


def _diff(before: str, after: str) -> list[str]:
    lines = difflib.unified_diff(before.splitlines(True), after.splitlines(True), n=0)
    return [line for line in lines if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def _hunks(before: str, after: str) -> int:
    matcher = difflib.SequenceMatcher(None, before.splitlines(True), after.splitlines(True), autojunk=False)
    return sum(tag != "equal" for tag, *_ in matcher.get_opcodes())


@pytest.mark.parametrize("verb", ["stop", "activate"])
@pytest.mark.parametrize("shape", SHAPES)
def test_stop_and_activate_change_only_the_active_lines(shape: str, verb: str) -> None:
    before = _input(shape)
    after = VERBS[verb](before)
    assert after is not None
    changed = _diff(before, after)
    assert _hunks(before, after) <= 1
    removed = [line[1:] for line in changed if line.startswith("-")]
    added = [line[1:] for line in changed if line.startswith("+")]
    word = "true" if verb == "activate" else "false"
    if removed:  # a value replaced in place (or set inside a flow mapping): the same line but the word
        assert len(removed) == 1 == len(added)
        assert _without_active(added[0]) == _without_active(removed[0])
        assert f"active: {word}" in added[0] or f"value: {word}" in added[0]
    elif added:  # inserted: `active: WORD`, or Run:ai's `active:` / `value: WORD`
        assert [line.strip() for line in added] in ([f"active: {word}"], ["active:", f"value: {word}"])
    else:  # already so: nothing changed
        assert f"active: {word}" in before or f"value: {word}" in before
    assert len(list(yaml.safe_load_all(after))) == len(list(yaml.safe_load_all(before)))


def _without_active(line: str) -> str:
    for word in ("true", "false"):
        line = line.replace(f"active: {word}, ", "").replace(f"active: {word}", "").replace(f"value: {word}", "")
    return line


@pytest.mark.parametrize("shape", SHAPES)
def test_copy_changes_only_the_renamed_lines_of_its_document(shape: str) -> None:
    found = _found(_input(shape))
    own = found.text.split("\n", 1)[1] if found.text.startswith("---") else found.text
    for verb in ("copy", "copy-project"):
        after = VERBS[verb](_input(shape))
        assert after is not None
        changed = _diff(own, after)
        removed = [line[1:] for line in changed if line.startswith("-")]
        added = [line[1:] for line in changed if line.startswith("+")]
        renamed = [line.replace(NAME, "copied").replace(f"runai-{_project(own)}", "runai-recsys") for line in removed]
        assert added == renamed and all(NAME in line or "namespace" in line for line in removed), (verb, changed)
        doc = yaml.safe_load(after)
        assert doc["metadata"]["name"] == "copied"


def _project(text: str) -> str:
    namespace = (yaml.safe_load(text)["metadata"].get("namespace") or "runai-")
    return str(namespace).removeprefix("runai-")


@pytest.mark.parametrize("shape", SHAPES)
def test_delete_cuts_out_exactly_its_document(shape: str) -> None:
    before = _input(shape)
    found = _found(before)
    after = VERBS["delete"](before)
    if after is None:
        assert len([d for d in yaml.safe_load_all(before) if d]) == 1
        return
    assert after == before[:found.chunk.start] + before[found.chunk.end:]
    assert NAME not in [d["metadata"]["name"] for d in yaml.safe_load_all(after) if d]
    assert len([d for d in yaml.safe_load_all(after) if d]) == len([d for d in yaml.safe_load_all(before) if d]) - 1


#: the CLI's words for each verb of the golden table, with the folder the result lands in
CLI = {"stop": (["stop", NAME], None), "activate": (["activate", NAME], None),
       "copy": (["copy", NAME, "copied"], "same"), "copy-project": (["copy", NAME, "copied", "-p", "recsys"], "recsys"),
       "delete": (["delete", NAME], None)}


def _project_of(text: str) -> str:
    return "vision" if "runai-vision" in text else "nlp"


@pytest.mark.parametrize("verb", VERBS)
@pytest.mark.parametrize("shape", SHAPES)
def test_the_cli_writes_the_golden_bytes(tmp_path: Path, shape: str, verb: str) -> None:
    """The same edits through the CLI, in a copy of the example repository: the file it reads and
    writes (CRLF kept) is byte for byte the golden one."""
    text = _input(shape)
    repo = example_repo(tmp_path)
    project = _project_of(text)
    rel = repo / "examples" / "workloads" / project / f"{shape}.yaml"
    rel.write_bytes(text.encode())
    words, lands = CLI[verb]
    code, out, err = wlc(repo, *words)
    assert code == 0, out + err
    if "is already active; nothing changed" in err:  # active by default: the CLI compares the resolved value
        assert verb == "activate" and "false" not in _found(text).text and rel.read_bytes() == text.encode()
    elif lands is None:
        expected = VERBS[verb](text)
        assert (rel.read_bytes() if rel.exists() else None) == (expected.encode() if expected is not None else None)
    else:
        folder = project if lands == "same" else lands
        assert (repo / "examples" / "workloads" / folder / "copied.yaml").read_bytes() == \
            (DATA / "expected" / f"{shape}.{verb}.yaml").read_bytes()
        assert rel.read_bytes() == text.encode()
