"""The edits themselves (compiler/edit/): the exact bytes after stop/activate, delete and copy on
every document shape, and that nothing but the expected line changes."""
from __future__ import annotations

import difflib

import pytest

from compiler.edit.active import set_active
from compiler.edit.copy import copied, remove
from compiler.edit.documents import EditError, Found, find
from compiler.model import WORKLOAD_KINDS

NATIVE = """\
# a training run, commented everywhere
apiVersion: wlc.dev/v1alpha1   # the api
kind: TrainingWorkload
metadata:
  name: train-a  # the name
spec:
    # first comment inside spec
    image: "nvcr.io/nvidia/pytorch:24.10-py3"   # quoted
    compute: {gpuDevicesRequest: 2}
    args: >-
      --epochs 3
"""

RUNAI_V2 = """\
apiVersion: run.ai/v2alpha1
kind: TrainingWorkload
metadata:
  name: train-r
  namespace: runai-nlp
spec:
  name:
    value: train-r
  image:
    value: python:3.12
"""

RUNAI_V1 = """\
apiVersion: run.ai/v1alpha1
kind: InferenceWorkload
metadata:
  name: serve-r
  namespace: runai-nlp
spec:
  active:
    value: true   # running
  image:
    value: "runai/example-triton-server"
"""

SEVERAL = """\
# file header
apiVersion: wlc.dev/v1alpha1
kind: TrainingWorkload
metadata: {name: first}
spec:
  image: a
---
# second
apiVersion: wlc.dev/v1alpha1
kind: TrainingWorkload
metadata:
  name: second
spec:
  active: true
  image: b
---
apiVersion: wlc.dev/v1alpha1
kind: InteractiveWorkload
metadata:
  name: third
spec: {image: c, compute: {gpuDevicesRequest: 1}}
"""


def _found(text: str, name: str) -> Found:
    found = find(text, name, WORKLOAD_KINDS)
    assert found is not None
    return found


def _stop(text: str, name: str, value: bool = False) -> str:
    return set_active(text, _found(text, name), value).text


def _changed(before: str, after: str) -> list[str]:
    """The changed lines, as a unified diff without its headers."""
    diff = difflib.unified_diff(before.splitlines(True), after.splitlines(True), n=0)
    return [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_stop_inserts_one_line_at_the_spec_indentation_and_keeps_every_comment() -> None:
    after = _stop(NATIVE, "train-a")
    assert after == NATIVE.replace("spec:\n", "spec:\n    active: false\n")
    assert _changed(NATIVE, after) == ["+    active: false\n"]


def test_activate_replaces_only_the_value_characters() -> None:
    text = SEVERAL.replace("active: true", "active: false  # stopped for the weekend")
    after = _stop(text, "second", True)
    assert after == SEVERAL.replace("active: true", "active: true  # stopped for the weekend")


def test_stop_touches_only_its_document_of_a_file_with_several() -> None:
    after = _stop(SEVERAL, "second")
    assert _changed(SEVERAL, after) == ["-  active: true\n", "+  active: false\n"]


def test_stop_in_flow_style_spec_inserts_inside_the_braces() -> None:
    after = _stop(SEVERAL, "third")
    assert _changed(SEVERAL, after) == [
        "-spec: {image: c, compute: {gpuDevicesRequest: 1}}\n",
        "+spec: {active: false, image: c, compute: {gpuDevicesRequest: 1}}\n"]


def test_stop_runai_v2alpha1_inserts_a_value_wrapper_in_block_style() -> None:
    after = _stop(RUNAI_V2, "train-r")
    assert after == RUNAI_V2.replace("spec:\n", "spec:\n  active:\n    value: false\n")


def test_stop_runai_v1alpha1_changes_the_wrapped_value_only() -> None:
    after = _stop(RUNAI_V1, "serve-r")
    assert after == RUNAI_V1.replace("value: true   # running", "value: false   # running")


def test_crlf_file_keeps_crlf_and_every_other_byte() -> None:
    text = NATIVE.replace("\n", "\r\n")
    after = _stop(text, "train-a")
    assert after == text.replace("spec:\r\n", "spec:\r\n    active: false\r\n")


def test_changed_line_is_reported() -> None:
    edit = set_active(SEVERAL, _found(SEVERAL, "second"), False)
    assert edit.text.splitlines()[edit.line - 1] == "  active: false"


def test_a_spec_that_is_not_a_mapping_is_refused() -> None:
    text = "apiVersion: wlc.dev/v1alpha1\nkind: TrainingWorkload\nmetadata: {name: x}\nspec: []\n"
    with pytest.raises(EditError, match="no spec mapping"):
        set_active(text, _found(text, "x"), False)


def test_delete_removes_only_that_document_and_its_separator() -> None:
    after = remove(SEVERAL, _found(SEVERAL, "second"))
    assert after == SEVERAL.replace(SEVERAL[SEVERAL.index("---\n# second"):SEVERAL.index("---\napiVersion")], "")


def test_delete_of_the_first_document_leaves_valid_yaml() -> None:
    after = remove(SEVERAL, _found(SEVERAL, "first"))
    assert after == SEVERAL[SEVERAL.index("---\n# second"):]


def test_delete_of_the_only_document_deletes_the_file() -> None:
    assert remove(NATIVE, _found(NATIVE, "train-a")) is None


def test_copy_renames_and_keeps_comments() -> None:
    assert copied(_found(NATIVE, "train-a"), "train-b", None) == NATIVE.replace("name: train-a", "name: train-b")


def test_copy_of_a_later_document_drops_its_separator() -> None:
    text = copied(_found(SEVERAL, "second"), "second-copy", None)
    assert text.startswith("# second\n") and "name: second-copy\n" in text and "---" not in text


def test_copy_of_a_runai_document_to_another_project_moves_its_namespace_and_name() -> None:
    text = copied(_found(RUNAI_V2, "train-r"), "train-s", "vision")
    assert text == (RUNAI_V2.replace("name: train-r", "name: train-s").replace("value: train-r", "value: train-s")
                    .replace("runai-nlp", "runai-vision"))


def test_copy_to_another_project_rewrites_spec_project() -> None:
    text = NATIVE.replace("spec:\n", "spec:\n    project: nlp\n")
    assert copied(_found(text, "train-a"), "b", "vision") == text.replace("project: nlp", "project: vision") \
        .replace("name: train-a", "name: b")


def test_delete_and_copy_keep_crlf() -> None:
    text = SEVERAL.replace("\n", "\r\n")
    after = remove(text, _found(text, "second"))
    assert after == SEVERAL.replace(SEVERAL[SEVERAL.index("---\n# second"):SEVERAL.index("---\napiVersion")], "") \
        .replace("\n", "\r\n")
    copy = copied(_found(text, "second"), "again", None)
    assert copy.startswith("# second\r\n") and "name: again\r\n" in copy and "\n" not in copy.replace("\r\n", "")


def test_stop_keeps_a_document_end_marker_and_the_next_document() -> None:
    text = "apiVersion: wlc.dev/v1alpha1\nkind: TrainingWorkload\nmetadata: {name: a}\nspec:\n  image: x\n...\n" \
           "---\napiVersion: wlc.dev/v1alpha1\nkind: TrainingWorkload\nmetadata: {name: b}\nspec:\n  image: y\n"
    assert _stop(text, "b") == text.replace("spec:\n  image: y", "spec:\n  active: false\n  image: y")
    assert _stop(text, "a") == text.replace("spec:\n  image: x", "spec:\n  active: false\n  image: x")


@pytest.mark.parametrize(("value", "after"), [
    ("", " false"), (" ~", " false"), (" &on true", " &on false"), (" !!bool true  # typed", " !!bool false  # typed"),
    (" &on", " &on false"), (' "true"', " false"),
])
def test_stop_keeps_an_anchor_or_tag_and_gives_an_empty_value_its_space(value: str, after: str) -> None:
    text = f"apiVersion: wlc.dev/v1alpha1\nkind: TrainingWorkload\nmetadata: {{name: a}}\nspec:\n  active:{value}\n" \
           "  image: x\n"
    assert _stop(text, "a") == text.replace(f"  active:{value}\n", f"  active:{after}\n")


def test_stop_of_an_empty_value_in_flow_style_and_in_a_runai_wrapper() -> None:
    flow = "apiVersion: wlc.dev/v1alpha1\nkind: TrainingWorkload\nmetadata: {name: a}\nspec: {active: , image: x}\n"
    assert _stop(flow, "a") == flow.replace("{active: ,", "{active: false ,")
    runai = "apiVersion: run.ai/v2alpha1\nkind: TrainingWorkload\nmetadata: {name: a}\nspec:\n  active:\n    value:\n" \
            "  image: {value: x}\n"
    assert _stop(runai, "a") == runai.replace("    value:\n", "    value: false\n")


def test_copy_keeps_the_anchor_of_the_name() -> None:
    text = "apiVersion: wlc.dev/v1alpha1\nkind: TrainingWorkload\nmetadata:\n  name: &n a\nspec:\n  image: x\n"
    assert copied(_found(text, "a"), "b", None) == text.replace("&n a", "&n b")


def test_an_alias_is_refused_rather_than_editing_the_anchors_value() -> None:
    text = "apiVersion: wlc.dev/v1alpha1\nkind: TrainingWorkload\nmetadata:\n  name: a\n  labels: {on: &on 'true'}\n" \
           "spec:\n  active: *on\n  image: x\n"
    with pytest.raises(EditError, match="spec.active is an alias"):
        _stop(text, "a")
    named = "apiVersion: wlc.dev/v1alpha1\nkind: TrainingWorkload\nmetadata:\n  labels: {n: &n a}\n  name: *n\n" \
            "spec:\n  image: x\n"
    with pytest.raises(EditError, match="metadata.name is an alias"):
        copied(_found(named, "a"), "b", None)


def test_stop_of_an_empty_flow_spec_fills_the_braces() -> None:
    text = "apiVersion: wlc.dev/v1alpha1\nkind: TrainingWorkload\nmetadata: {name: a}\nspec: {}  # from the template\n"
    assert _stop(text, "a") == text.replace("spec: {}", "spec: {active: false}")
    runai = "apiVersion: run.ai/v2alpha1\nkind: TrainingWorkload\nmetadata: {name: a}\nspec: {}\n"
    assert _stop(runai, "a") == runai.replace("spec: {}", "spec: {active: {value: false}}")


DIRECTIVE = "%YAML 1.1\n---\napiVersion: wlc.dev/v1alpha1\nkind: TrainingWorkload\nmetadata: {name: a}\nspec:\n" \
            "  image: x\n---\napiVersion: wlc.dev/v1alpha1\nkind: TrainingWorkload\nmetadata: {name: b}\nspec:\n" \
            "  image: y\n"


def test_a_directive_before_the_first_document_goes_with_it() -> None:
    assert _stop(DIRECTIVE, "b") == DIRECTIVE.replace("  image: y", "  active: false\n  image: y")
    assert _stop(DIRECTIVE, "a") == DIRECTIVE.replace("  image: x", "  active: false\n  image: x")
    assert remove(DIRECTIVE, _found(DIRECTIVE, "b")) == DIRECTIVE[:DIRECTIVE.rindex("---")]
    assert remove(DIRECTIVE, _found(DIRECTIVE, "a")) == DIRECTIVE[DIRECTIVE.rindex("---"):]
    assert copied(_found(DIRECTIVE, "a"), "c", None).startswith("%YAML 1.1\n---\napiVersion")
