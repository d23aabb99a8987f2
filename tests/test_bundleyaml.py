"""The fast reader of bundle documents (compiler/cluster/bundleyaml.py) gives exactly what PyYAML
gives (same values, same types): on every document of every golden bundle, on documents written
by yamlout from generated objects, and (through its fallback) on YAML outside the canonical form."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler import yamlout
from compiler.cluster import bundleyaml
from compiler.cluster.source import split_documents

GOLDEN = Path(__file__).resolve().parent / "golden"
LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def typed(value: Any) -> str:
    """JSON text that tells 1, 1.0 and True apart (NaN never occurs in bundles)."""
    def tag(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: tag(x) for k, x in v.items()}
        if isinstance(v, list):
            return [tag(x) for x in v]
        return [type(v).__name__, v]
    return json.dumps(tag(value), sort_keys=True, default=repr)


def test_every_golden_document_reads_the_same_and_takes_the_fast_path() -> None:
    docs = [d for f in sorted(GOLDEN.rglob("*.yaml")) for d in split_documents(f.read_text(encoding="utf-8"))]
    assert len(docs) > 100
    for doc in docs:
        assert typed(bundleyaml._Reader(doc).document()) == typed(yaml.load(doc, Loader=LOADER)), doc


_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12) | st.sampled_from(
    ["true", "no", "on", "null", "~", "1", "0x1F", "1_000", "10:30", "1.5", ".inf", "2026-12-01", "<<", "=", "a:b",
     "it's", "'q'", '"d"', "- x", "a: b", "#c", "  ", "-", "--flag", "...", "---", "a\nb", "\\", "é", "\t"])
_SCALAR = (_TEXT | st.integers(-10**12, 10**12) | st.booleans() | st.none()
           | st.floats(allow_nan=False, width=64))
_VALUE = st.recursive(_SCALAR, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
                      max_leaves=25)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(_TEXT, _VALUE, max_size=6))
def test_generated_canonical_documents_read_back_exactly(obj: dict[str, Any]) -> None:
    doc = yamlout.dump_document(obj)
    assert typed(bundleyaml.load(doc)) == typed(yaml.load(doc, Loader=LOADER)) == typed(obj)


def test_yaml_outside_the_canonical_form_goes_to_pyyaml() -> None:
    for doc in ["---\na: 1 # comment\n", "---\na: {b: [1, 2]}\n", "---\nwhen: 2026-12-01\n",
                "---\nbase: &x {k: v}\nother: *x\n", "---\na: \"\\0\\e\"\n", "---\n\na: 1\n", "---\na:\n  b:   1\n",
                "---\n? long\n: v\n", "---\na: |\n  text\n", "---\n- 1\n- 2\n", "---\nk: v\n...\n"]:
        assert typed(bundleyaml.load(doc)) == typed(yaml.load(doc, Loader=LOADER)), doc


def _split_by_lines(text: str) -> list[str]:
    """split_documents as it was written first (line by line): the reference."""
    docs: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.rstrip("\n") == "---" or not docs:
            docs.append("")
        docs[-1] += line
    return docs


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(["---", "\n", "a", " ", "\r", "-", "\u2028", "\x85", "\r\n", "\x0c"]), max_size=14))
def test_split_documents_splits_where_a_line_is_exactly_three_dashes(parts: list[str]) -> None:
    text = "".join(parts)
    assert split_documents(text) == _split_by_lines(text)
