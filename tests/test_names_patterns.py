"""Schema patterns mean what JSON Schema (ECMA-262) means: ``$`` is the end of the string, so a
name, label or key with a trailing newline never passes."""
from __future__ import annotations

from pathlib import Path

import pytest

from compiler import pipeline
from compiler.lower.common import DNS_LABEL, DNS_SUBDOMAIN
from compiler.schemas import ecma_pattern, ecma_patterns, validator_for
from tests.nameskit import make_repo, training


@pytest.mark.parametrize("pattern, expected", [
    ("^a$", r"^a\Z"), (r"^a\$$", r"^a\$\Z"), ("^[$]x$", "^[$]x\\Z"), ("^[]$]$", "^[]$]\\Z"),
    ("^(a$|b$)", r"^(a\Z|b\Z)"), (r"\{project\}", r"\{project\}"),
])
def test_ecma_pattern_anchors_only_unescaped_dollars_outside_sets(pattern: str, expected: str) -> None:
    assert ecma_pattern(pattern) == expected


def test_pattern_properties_keys_are_rewritten_too() -> None:
    schema = {"patternProperties": {"^x$": {"pattern": "^y$"}}, "properties": {"pattern": {}}}
    assert ecma_patterns(schema) == {"patternProperties": {r"^x\Z": {"pattern": r"^y\Z"}},
                                     "properties": {"pattern": {}}}


def test_a_name_with_a_trailing_newline_fails_both_validators() -> None:
    doc = {"apiVersion": "wlc.dev/v1alpha1", "kind": "TrainingWorkload",
           "metadata": {"name": "dupe\n"}, "spec": {"image": "busybox"}}
    validator = validator_for("TrainingWorkload")
    assert not validator.full.is_valid(doc)
    assert not validator.compiled()(doc)


def test_two_workloads_dupe_and_dupe_newline_are_refused(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"workloads/vision/a.yaml": training("dupe"),
                                "workloads/vision/b.yaml": training("dupe\n")})
    res = pipeline.build(root)
    assert [(p.file, p.code, p.field) for p in res.problems if p.severity == "error"] == [
        ("workloads/vision/b.yaml", "schema.name", "metadata.name")]
    assert all("\n" not in b.name for b in res.bundles)


@pytest.mark.parametrize("name, value", [("team", "a\n"), ("team\n", "a"), ("example.com/x\n", "a")])
def test_label_values_and_keys_with_a_newline_are_refused(tmp_path: Path, name: str, value: str) -> None:
    labels = [{"name": name, "value": value}]
    root = make_repo(tmp_path, {"workloads/vision/a.yaml": training("a", labels=labels)})
    res = pipeline.build(root)
    assert any(p.severity == "error" and p.field.startswith("spec.labels") for p in res.problems), \
        [p.text() for p in res.problems]


def test_hand_written_name_checks_end_at_the_end_of_the_string() -> None:
    assert DNS_LABEL.match("a\n") is None and DNS_SUBDOMAIN.match("a.b\n") is None
    assert DNS_LABEL.match("a") is not None


@pytest.mark.parametrize("image", ["busybox\n---\nkind: Job", "busybox ", " busybox", "busy\tbox",
                                   "busybox\x85", "busybox\x7f", ""])
def test_an_image_with_a_space_a_line_break_or_a_control_character_is_refused(
        tmp_path: Path, image: str) -> None:
    root = make_repo(tmp_path, {"workloads/vision/a.yaml": training("a", image=image)})
    res = pipeline.build(root)
    assert [(p.code, p.field) for p in res.problems if p.severity == "error"] == [
        ("schema.pattern", "spec.image")], [p.text() for p in res.problems]
    assert not res.bundles


def test_an_ordinary_image_reference_passes(tmp_path: Path) -> None:
    image = "nvcr.io/nvidia/pytorch:24.05-py3@sha256:" + "0" * 64
    root = make_repo(tmp_path, {"workloads/vision/a.yaml": training("a", image=image)})
    assert not [p for p in pipeline.build(root).problems if p.severity == "error"]
