"""A JSON-schema subset compiled into nested closures: the fast yes/no check of ``verify``.

Each closure answers "valid?" with a bool; objects are checked over the keys they *have* (a
PodSpec schema lists ~40 properties, a lowered pod uses a handful), so the cost follows the
object's size, not the schema's (fastjsonschema's generated code was ~20x slower on sparse pod
specs). Keywords of the Kubernetes schemas: ``$ref``, ``type``, ``enum``, ``properties``,
``additionalProperties``, ``required``, ``items``, ``oneOf``; annotations (``description``,
``format``, ``x-kubernetes-*``) are ignored, as kubernetes-validate's jsonschema run does.
A leaf that only checks string/boolean/null types is kept as a tuple of Python types and
tested inline by its parent.

A compiler given a CRD file's own ``$defs`` (``local``) also compiles the keywords wlc's CRD
schemas use (``const``, ``pattern``, ``min/maxLength``, ``minimum``/``maximum``, ``minItems``,
``minProperties``, ``contains`` with ``min/maxContains``, ``allOf``, ``anyOf``, ``not``); its
local ``#/$defs`` refs resolve in the CRD file, others in the Kubernetes definitions.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from compiler.schemas import ecma_pattern

#: a JSON Schema (or a part of one) as read from its file
Schema = dict[str, Any]
Predicate = Callable[[object], bool]
#: a compiled check: a predicate, or a tuple of Python types that ``isinstance`` decides
Check = Predicate | tuple[type, ...]

_REF_PREFIX = "/api/_definitions.json#/$defs/"
_LOCAL_PREFIX = "#/$defs/"
_SIMPLE: dict[str, type] = {"string": str, "boolean": bool, "null": type(None), "object": dict,
                            "array": list}


class Compiler:
    """Compiles schemas that ``$ref`` the definitions ``defs`` (and ``local`` ones, for a CRD)."""

    def __init__(self, defs: Schema, local: Schema | None = None) -> None:
        self.defs = defs
        self.local = local
        self.refs: dict[str, Check] = {}
        self.local_refs: dict[str, Check] = {}

    def ref(self, target: str) -> Check:
        name = target[len(_LOCAL_PREFIX):] if target.startswith(_LOCAL_PREFIX) else ""
        if self.local is not None and name in self.local:
            return self._cached(self.local_refs, name, self.local[name])
        name = target[len(_REF_PREFIX):] if target.startswith(_REF_PREFIX) else target[len(_LOCAL_PREFIX):]
        return self._cached(self.refs, name, self.defs[name])

    def _cached(self, table: dict[str, Check], name: str, schema: Schema) -> Check:
        if name not in table:
            cell: list[Check] = []
            table[name] = lambda v: run_check(cell[0], v)  # recursion guard while compiling
            cell.append(self.node(schema))
            table[name] = cell[0]
        return table[name]

    def node(self, schema: Schema) -> Check:
        checks: list[Check] = []
        if "$ref" in schema:
            checks.append(self.ref(schema["$ref"]))
        tcheck = _type_check(schema["type"]) if "type" in schema else None
        if "properties" in schema or "additionalProperties" in schema or "required" in schema:
            checks.append(self.obj(schema, tcheck))
        elif "items" in schema:
            checks.append(self.array(schema, tcheck))
        elif tcheck is not None:
            checks.append(tcheck)
        if "enum" in schema:
            allowed = list(schema["enum"])
            checks.append(lambda v: any(v == a and type(v) is type(a) for a in allowed))
        if "oneOf" in schema:
            subs = [self.node(s) for s in schema["oneOf"]]
            checks.append(lambda v: sum(1 for s in subs if run_check(s, v)) == 1)
        base = combine(checks)
        if self.local is None:
            return base
        return combine([base, *self._crd_keywords(schema)])

    def array(self, schema: Schema, tcheck: Check | None) -> Predicate:
        item = as_function(self.node(schema["items"]))
        other = as_function(tcheck) if tcheck is not None else _always

        def check(v: object) -> bool:
            if v.__class__ is not list and not isinstance(v, list):
                return other(v)
            if tcheck is not None and not other(v):
                return False
            for x in v:
                if not item(x):
                    return False
            return True
        return check

    def obj(self, schema: Schema, tcheck: Check | None) -> Predicate:
        props = {k: self.node(v) for k, v in schema.get("properties", {}).items()}
        extra = schema.get("additionalProperties", True)
        extra_check = None if extra is True or extra is False else as_function(self.node(extra))
        closed = extra is False
        required = tuple(schema.get("required", ()))
        other = as_function(tcheck) if tcheck is not None else _always
        dict_ok = tcheck is None or other({})

        def check(v: object) -> bool:
            if v.__class__ is not dict and not isinstance(v, dict):
                return other(v)
            if not dict_ok:
                return False
            for key, val in v.items():
                sub = props.get(key)
                if sub is None:
                    if closed or (extra_check is not None and not extra_check(val)):
                        return False
                elif isinstance(sub, tuple):
                    if not isinstance(val, sub):
                        return False
                elif not sub(val):
                    return False
            for key in required:
                if key not in v:
                    return False
            return True
        return check

    def _crd_keywords(self, schema: Schema) -> list[Check]:
        out: list[Check] = _bounds(schema)
        if "contains" in schema:
            out.append(self._contains(schema))
        for sub in schema.get("allOf", []):
            out.append(self.node(sub))
        if "anyOf" in schema:
            subs = [as_function(self.node(s)) for s in schema["anyOf"]]
            out.append(lambda v: any(s(v) for s in subs))
        if "not" in schema:
            negated = as_function(self.node(schema["not"]))
            out.append(lambda v: not negated(v))
        return out

    def _contains(self, schema: Schema) -> Predicate:
        item = as_function(self.node(schema["contains"]))
        low, high = schema.get("minContains", 1), schema.get("maxContains", 1 << 30)

        def check(v: object) -> bool:
            if not isinstance(v, list):
                return True
            found: int = sum(1 for x in v if item(x))
            return bool(low <= found <= high)
        return check


def _bounds(schema: Schema) -> list[Check]:
    """``const``, ``pattern``, lengths, ``minimum``/``maximum``, ``minItems``, ``minProperties``."""
    out: list[Check] = []
    if "const" in schema:
        const = schema["const"]
        out.append(lambda v: v == const and type(v) is type(const))
    if "pattern" in schema:
        rx = re.compile(ecma_pattern(schema["pattern"]))
        out.append(lambda v: not isinstance(v, str) or rx.search(v) is not None)
    if "maxLength" in schema or "minLength" in schema:
        lo, hi = schema.get("minLength", 0), schema.get("maxLength", 1 << 30)
        out.append(lambda v: not isinstance(v, str) or lo <= len(v) <= hi)
    if "minimum" in schema or "maximum" in schema:
        low, high = schema.get("minimum"), schema.get("maximum")
        out.append(lambda v: not _number(v) or ((low is None or v >= low)
                                                and (high is None or v <= high)))
    if "minItems" in schema:
        n = schema["minItems"]
        out.append(lambda v: not isinstance(v, list) or len(v) >= n)
    if "minProperties" in schema:
        m = schema["minProperties"]
        out.append(lambda v: not isinstance(v, dict) or len(v) >= m)
    return out


def _number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def combine(checks: list[Check]) -> Check:
    """All of ``checks`` (one check stays as it is)."""
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]
    first, second = as_function(checks[0]), as_function(combine(checks[1:]))
    return lambda v: first(v) and second(v)


def as_function(check: Check) -> Predicate:
    if isinstance(check, tuple):
        types = check
        return lambda v: isinstance(v, types)
    return check


def _always(_: object) -> bool:
    return True


def run_check(check: Check, value: object) -> bool:
    """Whether ``value`` passes ``check``."""
    return isinstance(value, check) if isinstance(check, tuple) else bool(check(value))


def _type_check(types: str | list[str]) -> Check:
    """A tuple of Python types when isinstance suffices, else a predicate (integer, number)."""
    names = [types] if isinstance(types, str) else list(types)
    simple = tuple(_SIMPLE[n] for n in names if n in _SIMPLE)
    if all(n in _SIMPLE for n in names):
        return simple
    integer_only = "integer" in names and "number" not in names

    def check(v: object) -> bool:
        if isinstance(v, simple):
            return True
        if v.__class__ is int:
            return True
        if isinstance(v, float) and v.__class__ is float:
            return not integer_only or v.is_integer()
        return False
    return check
