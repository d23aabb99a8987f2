"""The emitter quotes every string a YAML reader could take for something else (issue 9, item 1).

Each case was reproduced on main: the string came back as another type, another string, extra
objects, or a file no reader accepts. Every case is read back by PyYAML (libyaml and pure Python,
YAML 1.1) and ruamel.yaml (YAML 1.2, pure and C); the Go reader is in test_emit_roundtrip.py.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from compiler import pipeline
from compiler.emit import dump_document, dump_documents, scalar
from tests.yamlcheck.readers import READERS

ROOT = Path(__file__).resolve().parent.parent
INJECTION = ("-x\n---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: evil\n  namespace: kube-system\n"
             "spec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: evil\n")

#: strings that main wrote as plain scalars or with JSON escapes that YAML does not have
REPRODUCED = [
    INJECTION,
    "--flag '-a: b'",
    "-a: b",
    "0x_1F",
    ".1_0",
    "x\n",
    "a\x85b",
    "a\x7fb",
    "\x7f",
    "a\u2028b",
    "a\u2029b",
    "\ufeffa",
    "a\x9bb",
]
#: map keys that YAML 1.1 turns into booleans or numbers
KEYS = ["on", "no", "010", "0x1F", "1_000", "y", "n", "~", "<<", "=", "-", "-a: b", "x\n", "a #b"]




@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("value", REPRODUCED, ids=[json.dumps(s)[:30] for s in REPRODUCED])
def test_string_value_reads_back_as_the_same_string(value: str, reader: str) -> None:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "data": {"k": value}, "list": [value, {"v": value}]}
    assert READERS[reader](dump_document(obj)) == [obj]


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("key", KEYS + REPRODUCED, ids=[json.dumps(s)[:30] for s in KEYS + REPRODUCED])
def test_map_key_reads_back_as_the_same_string(key: str, reader: str) -> None:
    obj = {"data": {key: "v", "nested": {key: {key: [key]}}}}
    assert READERS[reader](dump_document(obj)) == [obj]


def test_injected_document_separator_stays_inside_the_string() -> None:
    text = dump_documents([{"kind": "ConfigMap", "data": {"a": INJECTION}}, {"kind": "Secret"}])
    docs = list(yaml.load_all(text, Loader=yaml.CSafeLoader))
    assert [d["kind"] for d in docs] == ["ConfigMap", "Secret"]
    assert [line for line in text.splitlines() if line.startswith("---")] == ["---", "---"]


def test_every_line_of_a_document_is_one_entry_of_it() -> None:
    """No raw line break inside a scalar: a line never starts a document, a comment or a directive."""
    text = dump_document({"k": ["x\ny", "a\rb", "a\x85b", "a\u2028b", "\n---\n", "#x", "%YAML"]})
    assert len(text.splitlines()) == 9
    assert all(line.startswith(("---", "k:", "- ")) for line in text.splitlines())


@pytest.mark.parametrize(("value", "expected"), [
    ("x\n", '"x\\n"'), ("a\x85b", '"a\\x85b"'), ("a\x7fb", '"a\\x7fb"'), ("a\u2028b", '"a\\u2028b"'),
    ("\ufeff", '"\\ufeff"'), ("tab\there", '"tab\\there"'), ('q"\\', "'q\"\\'"), ("\U000e0001", '"\\U000e0001"'),
    ("it's ok", "'it''s ok'"), ("it's", "it's"), ("0x_1F", "'0x_1F'"), (".1_0", "'.1_0'"), ("-a: b", "'-a: b'"),
    ("--epochs", "--epochs"), ("nvcr.io/nvidia/pytorch:24.05-py3", "nvcr.io/nvidia/pytorch:24.05-py3"),
    ("1Gi", "1Gi"), ("a100", "a100"), ("0bdc47e1ec779647", "0bdc47e1ec779647"), ("0e123", "'0e123'"),
    ("0.0.0.0:8080", "0.0.0.0:8080"), ("1:20", "'1:20'"), ("2024-01-01x", "'2024-01-01x'"), ("---", "'---'"), ("...", "'...'"), ("", "''"),
])
def test_scalar_text(value: str, expected: str) -> None:
    assert scalar(value) == expected


def _repo(tmp_path: Path, value: str) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "examples", repo / "examples")
    shutil.copy(ROOT / "wlc.yaml", repo / "wlc.yaml")
    path = repo / "examples" / "workloads" / "vision" / "resnet-train.yaml"
    text = path.read_text().replace("  args:", f"  environmentVariables:\n    - name: EVIL\n      value: {json.dumps(value)}\n  args:")
    path.write_text(text)
    return repo


def test_environment_value_cannot_add_an_object_to_the_bundle(tmp_path: Path) -> None:
    res = pipeline.build(_repo(tmp_path, INJECTION))
    assert [p.text() for p in res.problems if p.severity == "error"] == []
    files = res.files
    index = json.loads(files["index.json"])
    for workload in index["workloads"]:
        docs = list(yaml.load_all(files[workload["file"]], Loader=yaml.CSafeLoader))
        assert [(d["kind"], d["metadata"]["name"]) for d in docs] == \
            [(o["kind"], o["name"]) for o in workload["objects"]]
    job = next(d for d in yaml.load_all(files["team-vision/resnet-train.yaml"], Loader=yaml.CSafeLoader)
               if d["kind"] == "Job")
    env = job["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "EVIL", "value": INJECTION} in env
