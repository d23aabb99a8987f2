"""Our own RFC 6902 JSON Patch and RFC 7386 merge patch (the RFCs' examples among the cases)."""
from __future__ import annotations

from typing import Any

import pytest

from compiler.overlay.jsonpatch import PatchError, apply_json_patch, apply_merge_patch, get, parse_pointer


def test_pointer_escapes() -> None:
    assert parse_pointer("") == []
    assert parse_pointer("/a~1b/~0c/0") == ["a/b", "~c", "0"]
    assert get({"a/b": {"~c": [7]}}, "/a~1b/~0c/0") == 7


@pytest.mark.parametrize("doc,ops,want", [
    ({"foo": "bar"}, [{"op": "add", "path": "/baz", "value": "qux"}], {"foo": "bar", "baz": "qux"}),
    ({"foo": ["bar", "baz"]}, [{"op": "add", "path": "/foo/1", "value": "qux"}], {"foo": ["bar", "qux", "baz"]}),
    ({"foo": [1]}, [{"op": "add", "path": "/foo/-", "value": 2}], {"foo": [1, 2]}),
    ({"baz": "qux", "foo": "bar"}, [{"op": "remove", "path": "/baz"}], {"foo": "bar"}),
    ({"foo": ["bar", "qux", "baz"]}, [{"op": "remove", "path": "/foo/1"}], {"foo": ["bar", "baz"]}),
    ({"baz": "qux", "foo": "bar"}, [{"op": "replace", "path": "/baz", "value": "boo"}], {"baz": "boo", "foo": "bar"}),
    ({"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
     [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
     {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}}),
    ({"foo": ["all", "grass", "cows", "eat"]}, [{"op": "move", "from": "/foo/1", "path": "/foo/3"}],
     {"foo": ["all", "cows", "eat", "grass"]}),
    ({"a": {"b": [1]}}, [{"op": "copy", "from": "/a/b", "path": "/c"}], {"a": {"b": [1]}, "c": [1]}),
    ({"baz": "qux", "foo": ["a", 2, "c"]},
     [{"op": "test", "path": "/baz", "value": "qux"}, {"op": "test", "path": "/foo/1", "value": 2}],
     {"baz": "qux", "foo": ["a", 2, "c"]}),
    ({"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": 10}], {"/": 9, "~1": 10}),
    ({"foo": "bar"}, [{"op": "add", "path": "/child", "value": {"grandchild": {}}}],
     {"foo": "bar", "child": {"grandchild": {}}}),
    ({"foo": "bar"}, [{"op": "add", "path": "/baz", "value": None}], {"foo": "bar", "baz": None}),
])
def test_rfc6902_operations(doc: Any, ops: list[dict[str, Any]], want: Any) -> None:
    before = repr(doc)
    assert apply_json_patch(doc, ops) == want
    assert repr(doc) == before  # the input is not changed


@pytest.mark.parametrize("doc,ops,index,words", [
    ({"baz": "qux"}, [{"op": "test", "path": "/baz", "value": "bar"}], 0, "test failed"),
    ({"foo": "bar"}, [{"op": "add", "path": "/baz/bat", "value": "qux"}], 0, "no member 'baz'"),
    ({"foo": 1}, [{"op": "add", "path": "/x", "value": 1}, {"op": "remove", "path": "/nope"}], 1, "no member"),
    ({"foo": [1]}, [{"op": "replace", "path": "/foo/3", "value": 1}], 0, "out of range"),
    ({"foo": [1]}, [{"op": "add", "path": "/foo/01", "value": 1}], 0, "not an array index"),
    ({"a": {"b": 1}}, [{"op": "move", "from": "/a", "path": "/a/c"}], 0, "own child"),
    ({"a": 1}, [{"op": "test", "path": "/a", "value": True}], 0, "test failed"),
    ({"a": 1}, [{"op": "copy", "from": "/b", "path": "/c"}], 0, "no member 'b'"),
])
def test_rfc6902_errors_name_the_operation(doc: Any, ops: list[dict[str, Any]], index: int, words: str) -> None:
    with pytest.raises(PatchError) as err:
        apply_json_patch(doc, ops)
    assert err.value.index == index and words in err.value.message


def test_a_failed_patch_changes_nothing() -> None:
    doc = {"a": 1}
    with pytest.raises(PatchError):
        apply_json_patch(doc, [{"op": "add", "path": "/b", "value": 2}, {"op": "remove", "path": "/c"}])
    assert doc == {"a": 1}


@pytest.mark.parametrize("target,patch,want", [  # RFC 7386 appendix A
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
])
def test_rfc7386_examples(target: Any, patch: Any, want: Any) -> None:
    before = repr(target)
    assert apply_merge_patch(target, patch) == want
    assert repr(target) == before
