"""The input JSON Schemas (draft 2020-12): where they are, loaded once, validators cached.

Installed wheel: ``compiler/schemas/`` inside the package. Development checkout:
``<repo>/schemas/``. ``$ref``s between the files resolve offline through a ``referencing``
registry built from the folder (each file registered under its own file name, which is what
the relative ``$ref``s in the files name).

Every ``pattern`` (and ``patternProperties`` key) is read the way JSON Schema means it, as an
ECMA-262 regular expression: ``$`` is the end of the string. Python's ``$`` also matches before
a final newline, so ``"dupe\\n"`` would pass ``^[a-z0-9]+$``; the files are rewritten once, at
load time, with ``\\Z`` for every ``$`` (``ecma_pattern``), for both validators alike.

Per kind, a ``jsonschema`` validator lists every error of an invalid document, and a yes/no
check answers first (almost every document is valid): jsonschema's own for the first
documents, then a compiled ``fastjsonschema`` function once the kind is common enough to repay
compiling it.
"""
from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import cache, lru_cache
from pathlib import Path
from typing import cast

import fastjsonschema
from jsonschema import Draft202012Validator  # type: ignore[import-untyped,unused-ignore]
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from .model import NATIVE_KINDS
from .resources import resource

SUFFIX = ".schema.json"
COMMON = "common" + SUFFIX


def schema_dir() -> Path:
    """The folder that holds the schema files (``compiler.resources``: wheel, then checkout)."""
    return resource("schemas", COMMON).parent


@lru_cache(maxsize=1)
def _files() -> dict[str, dict[str, object]]:
    """File name → parsed schema, for every schema file."""
    folder = schema_dir()
    return {p.name: node(ecma_patterns(json.loads(p.read_text(encoding="utf-8"))))
            for p in sorted(folder.glob("*" + SUFFIX))}


def node(schema: object, *keys: str) -> dict[str, object]:
    """The map at ``keys`` below ``schema`` (``schema`` itself without keys); KeyError for a
    missing key, TypeError for a value on the way that is not a map."""
    for key in keys:
        schema = node(schema)[key]
    if not isinstance(schema, dict):
        raise TypeError(f"schema node is a {type(schema).__name__}, not a map")
    return cast("dict[str, object]", schema)


def schema_file(name: str) -> dict[str, object]:
    """One schema file by its name (``common.schema.json``), parsed; KeyError for no such file."""
    return _files()[name]


def ecma_pattern(pattern: str) -> str:
    """``pattern`` with every ``$`` anchor (not escaped, not in a ``[...]`` set) made ``\\Z``,
    so that Python's ``re`` ends it where ECMA-262 does: at the end of the string only."""
    out: list[str] = []
    escaped = in_set = False
    for ch in pattern:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_set:
            in_set = ch != "]" or out[-1] == "["
        elif ch == "[":
            in_set = True
        elif ch == "$":
            out.append("\\Z")
            continue
        out.append(ch)
    return "".join(out)


def ecma_patterns(tree: object) -> object:
    """A schema with ``ecma_pattern`` applied to every ``pattern`` and ``patternProperties``
    key (in place; returns ``node``)."""
    if isinstance(tree, dict):
        for key, value in list(tree.items()):
            if key == "pattern" and isinstance(value, str):
                tree[key] = ecma_pattern(value)
            elif key == "patternProperties" and isinstance(value, dict):
                tree[key] = {ecma_pattern(k): ecma_patterns(v) for k, v in value.items()}
            else:
                ecma_patterns(value)
    elif isinstance(tree, list):
        for item in tree:
            ecma_patterns(item)
    return tree


@lru_cache(maxsize=1)
def registry() -> Registry[dict[str, object]]:
    """Every schema file as a resource named by its file name."""
    resources = [(name, DRAFT202012.create_resource(schema)) for name, schema in _files().items()]
    return Registry().with_resources(resources)


def schema_for(kind: str) -> dict[str, object]:
    """The schema of a native kind; KeyError for a kind without one."""
    if kind not in NATIVE_KINDS:
        raise KeyError(kind)
    return _files()[kind + SUFFIX]


def common_defs() -> dict[str, object]:
    """The shared ``$defs`` of common.schema.json."""
    return node(_files()[COMMON], "$defs")


#: Documents of one kind checked by jsonschema before compiling the fast validator: compiling
#: costs about as much as this many slow checks, so small repositories never pay for it.
COMPILE_AFTER = 64


class KindValidator:
    """The validators of one kind: ``is_valid`` for the yes/no question, ``full`` to list errors.

    ``is_valid`` asks jsonschema for the first documents of the kind, then a compiled
    ``fastjsonschema`` function (about 20 times faster).
    """

    def __init__(self, schema: dict[str, object]) -> None:
        self.schema = schema
        self.full = Draft202012Validator(schema, registry=registry())
        self._compiled: Callable[[object], bool] | None = None
        self._slow_checks = 0

    def is_valid(self, instance: object) -> bool:
        if self._compiled is None:
            if self._slow_checks < COMPILE_AFTER:
                self._slow_checks += 1
                return bool(self.full.is_valid(instance))
            self._compiled = self.compiled()
        return self._compiled(instance)

    def compiled(self) -> Callable[[object], bool]:
        """The compiled yes/no check (built now if need be)."""
        if self._compiled is None:
            self._compiled = _compile(self.schema, self.full)
        return self._compiled


@cache
def validator_for(kind: str) -> KindValidator:
    """The cached validators of a native kind (built on first use)."""
    return KindValidator(schema_for(kind))


@lru_cache(maxsize=1)
def _compile_copies() -> dict[str, dict[str, object]]:
    """A private copy of the files for fastjsonschema, which rewrites ``$ref``s in place."""
    return copy.deepcopy(_files())


def _compile(schema: dict[str, object], full: Draft202012Validator) -> Callable[[object], bool]:
    """A compiled yes/no check; jsonschema's own when compiling fails."""
    files = _compile_copies()

    def handler(uri: str) -> dict[str, object]:
        return files[uri.rsplit("/", 1)[-1]]

    try:
        compiled = fastjsonschema.compile(copy.deepcopy(schema), handlers={"": handler},
                                          use_default=False, use_formats=False,
                                          detailed_exceptions=False)
    except Exception:  # noqa: BLE001 - an unsupported construct: use the slow path only
        return lambda instance: bool(full.is_valid(instance))

    def check(instance: object) -> bool:
        try:
            compiled(instance)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    return check
