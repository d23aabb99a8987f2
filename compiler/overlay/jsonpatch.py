"""JSON Patch (RFC 6902) and JSON Merge Patch (RFC 7386) on plain data, written for wlc.

``apply_json_patch`` applies the operations in order to a copy and returns it; the first
operation that cannot be applied (a missing path, a failing ``test``) raises ``PatchError``
with the index of that operation, and the input is left untouched (a patch applies whole or
not at all, as RFC 6902 section 5 asks). ``apply_merge_patch`` never fails: ``null``
deletes a member, a map merges into a map, anything else replaces.
"""
from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence


class PatchError(Exception):
    """An operation that cannot be applied; ``index`` is its position in the patch."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index
        self.message = message


def parse_pointer(pointer: str) -> list[str]:
    """RFC 6901: "" is the whole document; "/a~1b/~0c" → ["a/b", "~c"]."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"JSON pointer {pointer!r} must start with '/'")
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer[1:].split("/")]


def _index(container: list[object], token: str, pointer: str, allow_end: bool) -> int:
    if allow_end and token == "-":
        return len(container)
    if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
        raise ValueError(f"{pointer}: {token!r} is not an array index")
    i = int(token)
    limit = len(container) if allow_end else len(container) - 1
    if i > limit:
        raise ValueError(f"{pointer}: index {i} is out of range (the array has {len(container)} items)")
    return i


def _child(node: object, token: str, pointer: str) -> object:
    if isinstance(node, dict):
        if token not in node:
            raise ValueError(f"{pointer}: no member {token!r}")
        return node[token]
    if isinstance(node, list):
        return node[_index(node, token, pointer, allow_end=False)]
    raise ValueError(f"{pointer}: cannot look inside a {_type(node)}")


def get(doc: object, pointer: str) -> object:
    """The value at ``pointer``; ValueError when there is none."""
    node = doc
    for token in parse_pointer(pointer):
        node = _child(node, token, pointer)
    return node


def _parent(doc: object, pointer: str) -> tuple[object, str]:
    tokens = parse_pointer(pointer)
    node = doc
    for token in tokens[:-1]:
        node = _child(node, token, pointer)
    return node, tokens[-1]


def _add(doc: object, pointer: str, value: object) -> object:
    if pointer == "":
        return value
    parent, token = _parent(doc, pointer)
    if isinstance(parent, dict):
        parent[token] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, token, pointer, allow_end=True), value)
    else:
        raise ValueError(f"{pointer}: cannot add to a {_type(parent)}")  # noqa: TRY004 - a patch problem, reported as one
    return doc


def _remove(doc: object, pointer: str) -> tuple[object, object]:
    """(document, removed value)."""
    if pointer == "":
        raise ValueError("cannot remove the whole object")
    parent, token = _parent(doc, pointer)
    if isinstance(parent, dict):
        if token not in parent:
            raise ValueError(f"{pointer}: no member {token!r}")
        return doc, parent.pop(token)
    if isinstance(parent, list):
        return doc, parent.pop(_index(parent, token, pointer, allow_end=False))
    raise ValueError(f"{pointer}: cannot remove from a {_type(parent)}")


def _equal(a: object, b: object) -> bool:
    """RFC 6902 4.6 equality: same JSON type (true is not 1) and value."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def _apply_op(doc: object, op: Mapping[str, object]) -> object:
    kind, path = op.get("op"), str(op.get("path", ""))
    if kind == "add":
        return _add(doc, path, copy.deepcopy(op.get("value")))
    if kind == "remove":
        return _remove(doc, path)[0]
    if kind == "replace":
        get(doc, path)
        return _add(_remove(doc, path)[0], path, copy.deepcopy(op.get("value"))) if path else \
            copy.deepcopy(op.get("value"))
    if kind in ("move", "copy"):
        source = str(op.get("from", ""))
        if kind == "move" and (path + "/").startswith(source + "/") and path != source:
            raise ValueError(f"cannot move {source} into its own child {path}")
        value = copy.deepcopy(get(doc, source))
        if kind == "move":
            doc = _remove(doc, source)[0]
        return _add(doc, path, value)
    if kind == "test":
        actual = get(doc, path)
        if not _equal(actual, op.get("value")):
            raise ValueError(f"test failed: {path or '(object)'} is {_show(actual)}, not {_show(op.get('value'))}")
        return doc
    raise ValueError(f"unknown operation {kind!r}")


def apply_json_patch(doc: object, ops: Sequence[Mapping[str, object]]) -> object:
    """``doc`` with every operation applied (a copy); PatchError names the failing operation."""
    out = copy.deepcopy(doc)
    for i, op in enumerate(ops):
        try:
            out = _apply_op(out, op)
        except ValueError as err:
            raise PatchError(i, f"{op.get('op')}: {err}") from None
    return out


def apply_merge_patch(target: object, patch: object) -> object:
    """RFC 7386 MergePatch(target, patch); ``target`` is not changed."""
    return _merge_patch(copy.deepcopy(target), patch)


def _merge_patch(target: object, patch: object) -> object:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = target if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merge_patch(out.get(key), value)
    return out


def _type(node: object) -> str:
    if isinstance(node, bool):
        return "boolean"
    if isinstance(node, (int, float)):
        return "number"
    if isinstance(node, str):
        return "string"
    return "null" if node is None else type(node).__name__


def _show(value: object) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."
