"""Typed reads of the plain trees tests look into (a workload's ``spec``, a section of it).

A resolved spec is a ``SpecTree`` (``dict[str, object]``): its nested values are ``object``, so a
test cannot index them without narrowing first. These helpers walk a path of map keys and list
indexes and check the type of every step, so a test reads
``dig(rw.spec, "compute", "gpuDevicesRequest")`` and fails with a clear error when the tree has
another shape.
"""
from __future__ import annotations

from typing import TypeGuard


def _is_map(value: object) -> TypeGuard[dict[str, object]]:
    return isinstance(value, dict) and all(isinstance(k, str) for k in value)


def _map(value: object, path: tuple[str | int, ...]) -> dict[str, object]:
    if not _is_map(value):
        raise TypeError(f"{path!r} is a {type(value).__name__}, not a map")
    return value


def _list(value: object, path: tuple[str | int, ...]) -> list[object]:
    if not isinstance(value, list):
        raise TypeError(f"{path!r} is a {type(value).__name__}, not a list")
    return value


def dig(tree: object, *path: str | int) -> object:
    """The value at ``path`` in ``tree``: strings index maps, integers index lists."""
    at = tree
    for i, step in enumerate(path):
        at = _map(at, path[:i])[step] if isinstance(step, str) else _list(at, path[:i])[step]
    return at


def sub(tree: object, *path: str | int) -> dict[str, object]:
    """The map at ``path`` in ``tree`` (a section, an item, a group of fields)."""
    return _map(dig(tree, *path), path)


def items(tree: object, *path: str | int) -> list[dict[str, object]]:
    """The list of maps at ``path`` in ``tree`` (an itemized list: environment variables...)."""
    return [_map(v, (*path, i)) for i, v in enumerate(_list(dig(tree, *path), path))]
