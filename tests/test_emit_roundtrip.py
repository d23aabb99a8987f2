"""The emitter's property: for every object, parsing the emitted text gives back exactly that
object (same types, same strings) in YAML 1.1 (PyYAML: libyaml and pure Python), YAML 1.2
(ruamel.yaml: pure and C) and Go's sigs.k8s.io/yaml behind kubectl's document splitter
(tests/yamlcheck, built from Go modules; skipped without Go outside CI, a failure with CI=true).
The same holds for every file of the golden bundles.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.emit import dump_documents
from compiler.yamlout import plain_ok
from tests.test_emit_quoting import KEYS, REPRODUCED
from tests.yamlcheck.gocheck import BuildError, GoReader, same_json
from tests.yamlcheck.readers import READERS, same

GOLDEN = Path(__file__).resolve().parent / "golden"
#: pieces that YAML gives a meaning: indicators, line breaks of YAML 1.1 and 1.2, document
#: markers, escapes, YAML 1.1 words, number prefixes
TRICKY = ["-", "--", ":", ": ", " #", "#", "---", "...", "\n", "\r", "\r\n", "\x85", "\u2028", "\u2029",
          "\x7f", "\ufeff", "\x00", "\x9b", "\t", " ", "'", '"', "\\", "0x", "0o", "0b", "0", "1", "_", ".",
          "e", "E", "+", "inf", "nan", ".inf", "yes", "no", "on", "off", "y", "n", "true", "null", "~",
          "<<", "=", "2024-01-01", "12:30", "[", "]", "{", "}", ",", "&", "*", "!", "|", ">", "%", "@", "`",
          "?", "\u00a0", "é", "\U0001f600", "\U000e0001", "a", "Z"]
CHARS = st.characters(exclude_categories=["Cs"])
TEXT = st.one_of(
    st.text(CHARS, max_size=12),
    st.lists(st.one_of(st.sampled_from(TRICKY), st.text(CHARS, max_size=3)), max_size=6).map("".join),
)
#: strings near the plain allow-list, where the readers' type rules differ
NEAR_PLAIN = st.text(st.sampled_from("0123456789_.:-+eExXoObBaAfFpP/=@,'[]~%yYnNtTrRuUlLsS#"), max_size=8)
INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
LEAF = st.one_of(st.none(), st.booleans(), INT64, st.floats(allow_nan=False, allow_infinity=False),
                 TEXT, NEAR_PLAIN)
TREE = st.recursive(LEAF, lambda kids: st.one_of(st.lists(kids, max_size=4),
                                                 st.dictionaries(st.one_of(TEXT, NEAR_PLAIN), kids, max_size=4)),
                    max_leaves=16)
OBJECTS = st.lists(st.dictionaries(st.one_of(TEXT, NEAR_PLAIN), TREE, max_size=5), min_size=1, max_size=4)
FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=100)


@pytest.fixture(scope="module")
def go() -> GoReader:
    try:
        reader = GoReader.build()
    except BuildError as err:
        pytest.fail(str(err), pytrace=False)
    if reader is None:
        reason = "no Go toolchain to build tests/yamlcheck (the sigs.k8s.io/yaml reader)"
        if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        pytest.skip(reason)
    return reader


def check_python(objects: list[dict[str, Any]]) -> str:
    text = dump_documents(objects)
    for name, read in READERS.items():
        back = read(text)
        assert same(back, objects), f"{name} read back {back!r} from\n{text}"
    return text


def check_go(go: GoReader, objects: list[dict[str, Any]], text: str) -> None:
    [result] = go.read([text])
    assert same_json(result.get("docs"), json.loads(json.dumps(objects))), f"Go read {result!r} from\n{text}"


@FAST
@given(OBJECTS)
def test_every_reader_reads_back_the_emitted_objects(go: GoReader, objects: list[dict[str, Any]]) -> None:
    check_go(go, objects, check_python(objects))


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], max_examples=40)
@given(st.lists(st.one_of(TEXT, NEAR_PLAIN), min_size=50, max_size=50))
def test_strings_and_keys_round_trip_in_batches(go: GoReader, strings: list[str]) -> None:
    objects: list[dict[str, Any]] = [{"values": strings}, {s: s for s in strings},
                                     {s: {s: [s]} for s in strings[:10]}]
    check_go(go, objects, check_python(objects))


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(NEAR_PLAIN)
def test_a_plain_string_is_a_string_to_every_python_reader(value: str) -> None:
    if plain_ok(value):
        for name, read in READERS.items():
            assert read(f"---\n{value}: {value}\n") == [{value: value}], name


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"), 10**30, -(10**30), 1e300, 5e-324])
def test_python_readers_read_back_special_and_huge_numbers(value: float) -> None:
    """Go readers turn these into float64 or refuse them; Kubernetes cannot hold them either."""
    check_python([{"n": value, "l": [value]}])


@pytest.mark.parametrize("key", ["k" * 1000, "k" * 1001, "k" * 2000, "é" * 600, "a: b" * 300])
def test_long_keys_round_trip(go: GoReader, key: str) -> None:
    objects = [{key: "v", "m": {key: {key: [1]}}, "l": [{key: 1, "a": 2}, {key: {"x": 1}, "~": 3}, {"a": {key: []}}]}]
    check_go(go, objects, check_python(objects))


def golden_files() -> list[Path]:
    return sorted(GOLDEN.rglob("*.yaml"))


def test_golden_bundles_read_the_same_in_every_reader(go: GoReader) -> None:
    """Each golden file: every reader gives the same documents, and index.json lists exactly
    them (kind, name, namespace, in order)."""
    files = golden_files()
    assert files
    results = go.read_files(files)
    for path, result in zip(files, results):
        text = path.read_text()
        docs = READERS["pyyaml-c"](text)
        for name, read in READERS.items():
            assert same(read(text), docs), f"{name} differs on {path}"
        assert same_json(result.get("docs"), docs), f"Go differs on {path}: {result.get('error')}"
        assert dump_documents(docs) == text, f"{path} is not what the emitter writes for its objects"
        listed = _index_objects(path)
        assert [(d["kind"], d["metadata"]["name"], d["metadata"].get("namespace", "")) for d in docs] == listed


def _index_objects(path: Path) -> list[tuple[str, str, str]]:
    overlay = next(p for p in path.parents if p.parent == GOLDEN)
    index = json.loads((overlay / "index.json").read_text())
    rel = path.relative_to(overlay).as_posix()
    listed = index["workloads"] + index.get("organisation", {}).get("files", [])  # _organisation/ (issue 11)
    [entry] = [w for w in listed if w["file"] == rel]
    return [(o["kind"], o["name"], o["namespace"]) for o in entry["objects"]]


def test_go_reads_every_reproduced_case_of_issue_9_back(go: GoReader) -> None:
    objects: list[dict[str, Any]] = [{"kind": "ConfigMap", "data": {s: s for s in KEYS + REPRODUCED}},
                                     {"kind": "Job", "args": REPRODUCED}]
    check_go(go, objects, check_python(objects))
