"""Properties of the edits on generated files (several documents, block or flow style, comment
lines, LF or CRLF): after stop/activate every document reads back as before but the target's
``spec.active``; delete removes exactly the target; copy reads back as the target renamed; the
file's line ends stay what they were."""
from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.edit.active import set_active
from compiler.edit.copy import copied, remove
from compiler.edit.documents import find
from compiler.model import WORKLOAD_KINDS

_NAMES = st.lists(st.from_regex(r"[a-z]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True), min_size=1, max_size=4,
                  unique=True)
_SPEC = st.fixed_dictionaries({"image": st.sampled_from(["nvcr.io/nvidia/pytorch:24.10-py3", "busybox", "a b"])}, optional={
    "active": st.booleans(), "compute": st.fixed_dictionaries({"gpuDevicesRequest": st.integers(0, 8)}),
    "args": st.sampled_from(["python train.py", "--- not a marker", "# not a comment", "x\ny"]),
    "environmentVariables": st.lists(st.fixed_dictionaries({"name": st.just("A"), "value": st.text(max_size=8)}),
                                     max_size=2)})


@st.composite
def files(draw: st.DrawFn) -> tuple[str, list[dict[str, Any]], str]:
    names = draw(_NAMES)
    docs = [{"apiVersion": "wlc.dev/v1alpha1", "kind": draw(st.sampled_from(sorted(WORKLOAD_KINDS))),
             "metadata": {"name": n}, "spec": draw(_SPEC)} for n in names]
    parts = []
    for doc in docs:
        flow = draw(st.sampled_from([False, None, True]))
        text = yaml.safe_dump(doc, default_flow_style=flow, sort_keys=draw(st.booleans()), width=10_000)
        if flow is False and draw(st.booleans()):  # a comment line before a top-level key
            lines = text.splitlines(True)
            at = draw(st.sampled_from([i for i, line in enumerate(lines) if line[:1].isalpha()]))
            text = "".join(lines[:at] + ["# a comment\n"] + lines[at:])
        parts.append(text)
    text = "---\n".join(parts)
    if draw(st.booleans()):
        text = "---\n" + text
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    return text, docs, draw(st.sampled_from(names))


def _docs(text: str) -> list[Any]:
    return [d for d in yaml.safe_load_all(text) if d is not None]


def _line_ends_kept(before: str, after: str) -> bool:
    crlf = "\r\n" in before
    return ("\r\n" in after or "\n" not in after) if crlf else "\r" not in after


@settings(max_examples=40, deadline=None)
@given(files(), st.booleans())
def test_stop_and_activate_change_only_the_targets_active(case: tuple[str, list[dict[str, Any]], str],
                                                          value: bool) -> None:
    text, docs, name = case
    found = find(text, name, WORKLOAD_KINDS)
    assert found is not None
    after = set_active(text, found, value).text
    expected = [dict(d, spec={**d["spec"], "active": value}) if d["metadata"]["name"] == name else d for d in docs]
    assert _docs(after) == expected
    assert _line_ends_kept(text, after) and after.count("\n") - text.count("\n") in (0, 1)


@settings(max_examples=25, deadline=None)
@given(files())
def test_delete_removes_exactly_the_target(case: tuple[str, list[dict[str, Any]], str]) -> None:
    text, docs, name = case
    found = find(text, name, WORKLOAD_KINDS)
    assert found is not None
    after = remove(text, found)
    rest = [d for d in docs if d["metadata"]["name"] != name]
    assert (after is None) == (not rest)
    if after is not None:
        assert _docs(after) == rest and _line_ends_kept(text, after)


@settings(max_examples=25, deadline=None)
@given(files())
def test_copy_reads_back_as_the_target_renamed(case: tuple[str, list[dict[str, Any]], str]) -> None:
    text, docs, name = case
    found = find(text, name, WORKLOAD_KINDS)
    assert found is not None
    after = copied(found, "the-copy", None)
    (target,) = [d for d in docs if d["metadata"]["name"] == name]
    assert _docs(after) == [dict(target, metadata={"name": "the-copy"})] and _line_ends_kept(text, after)
