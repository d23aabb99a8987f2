"""jsonschema errors rewritten into the user's terms.

``translate`` turns one ``ValidationError`` into problems, by the schema keyword that failed:
an unknown field (with a close spelling, or the workload kind it belongs to), a missing field,
a wrong type, a value outside its enum, pattern, length or range (a malformed name or quantity
gets its own code), too few or repeated items, and ``anyOf``/``oneOf`` explained by the branch
that fits the value. An error of an unforeseen shape keeps jsonschema's own message.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache, lru_cache

from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped,unused-ignore]

from ..model import WORKLOAD_KINDS, Doc, Path
from ..problems import Problem
from ..schemas import common_defs, node, schema_for
from ..shapes import YamlMap
from .text import closest, did_you_mean, got, problem, quoted_path, show

#: Unknown fields anywhere that can only be secret values (a storage item's password, say).
SECRET_FIELDS = frozenset({
    "password", "token", "apiKey", "accessKey", "accessKeyId", "secretKey", "secretAccessKey",
    "privateKey", "stringData",
})
_TYPE_NAMES = {"integer": "an integer", "number": "a number", "string": "a string",
               "boolean": "true or false", "object": "a mapping", "array": "a list",
               "null": "nothing"}

Handler = Callable[[Doc, ValidationError], list[Problem]]


def translate(doc: Doc, err: ValidationError) -> list[Problem]:
    """One jsonschema error as problems in the user's terms."""
    if "propertyNames" in err.relative_schema_path:
        return [_bad_key(doc, err)]
    handler = _HANDLERS.get(str(err.validator), _generic)
    try:
        return handler(doc, err)
    except (KeyError, TypeError, ValueError, IndexError):  # an unforeseen error shape
        return _generic(doc, err)


def _path(err: ValidationError) -> Path:
    return tuple(err.absolute_path)


def _unknown_fields(doc: Doc, err: ValidationError) -> list[Problem]:
    path, known = _path(err), list(err.schema.get("properties", {}))
    where = f" in {quoted_path(path)}" if path else ""
    problems = []
    for name in [k for k in err.instance if k not in known]:
        if name in SECRET_FIELDS:
            problems.append(problem(doc, path + (name,), "schema.secret-value",
                                    f"{quoted_path(path + (name,))}: secret values must never be "
                                    "stored in git; keep them in a Secret and reference it by "
                                    "name", key=True))
            continue
        hint = _other_kind_hint(doc, path, name) or did_you_mean(name, known)
        problems.append(problem(doc, path + (name,), "schema.unknown-field",
                                f'unknown field "{name}"{where}{hint}', key=True))
    return problems


def _other_kind_hint(doc: Doc, path: Path, name: str) -> str:
    if path != ("spec",) or doc.kind not in WORKLOAD_KINDS:
        return ""
    owners = [k for k in WORKLOAD_KINDS if name in _spec_fields(k)]
    return f" ({name} belongs to {' and '.join(owners)})" if owners else ""


@cache
def _spec_fields(kind: str) -> frozenset[str]:
    return frozenset(node(schema_for(kind), "properties", "spec", "properties"))


def _required(doc: Doc, err: ValidationError) -> list[Problem]:
    """Missing fields, except one an unknown field already misspells (it says so)."""
    path = _path(err)
    where = f" in {quoted_path(path)}" if path else ""
    known = err.schema.get("properties", {})
    typos = {closest(k, list(known)) or "" for k in err.instance if k not in known}
    return [problem(doc, path, "schema.required", f'missing required field "{name}"{where}',
                    field=quoted_path(path + (name,)))
            for name in err.validator_value if name not in err.instance and name not in typos]


def _type_names(types: object) -> list[str]:
    """"a string", "an integer"... for a ``type`` keyword value."""
    return [_TYPE_NAMES.get(str(t), str(t)) for t in (types if isinstance(types, list) else [types])]


def _type(doc: Doc, err: ValidationError) -> list[Problem]:
    expected = " or ".join(_type_names(err.validator_value))
    hint = ""
    if expected.startswith("a string") and isinstance(err.instance, (bool, int, float)):
        hint = " (put it in quotes)"
    return [_value_problem(doc, err, "schema.type",
                           f"expected {expected}, got {got(err.instance)}{hint}")]


def _enum(doc: Doc, err: ValidationError) -> list[Problem]:
    values = list(err.validator_value)
    if len(values) == 1:
        return _must_be(doc, err, values[0])
    options = [o if isinstance(o, str) else json.dumps(o) for o in values]
    hint = did_you_mean(str(err.instance), options) if not isinstance(
        err.instance, (dict, list)) else ""
    if isinstance(err.instance, (int, float)) and str(err.instance) in options:
        hint = " (put it in quotes)"
    return [_value_problem(doc, err, "schema.enum", f"{show(err.instance)} must be one of: "
                           f"{', '.join(options)}{hint}")]


def _const(doc: Doc, err: ValidationError) -> list[Problem]:
    return _must_be(doc, err, err.validator_value)


def _must_be(doc: Doc, err: ValidationError, value: object) -> list[Problem]:
    return [_value_problem(doc, err, "schema.enum", f"{show(err.instance)} must be {show(value)}")]


def _pattern(doc: Doc, err: ValidationError) -> list[Problem]:
    code, message = _pattern_message(err.schema)
    return [_value_problem(doc, err, code, f"{show(err.instance)} {message}")]


def _pattern_message(schema: YamlMap) -> tuple[str, str]:
    pattern = str(schema.get("pattern", ""))
    message = str(schema.get("patternErrorMessage") or f"does not have the expected form {pattern}")
    return _pattern_codes().get(pattern, "schema.pattern"), message


@lru_cache(maxsize=1)
def _pattern_codes() -> dict[str, str]:
    defs = common_defs()
    codes = {str(node(defs, n)["pattern"]): "schema.name" for n in ("dnsLabel", "projectName",
                                                                    "dnsSubdomain")}
    codes[str(node(defs, "quantity")["pattern"])] = "schema.quantity"
    return codes


def _length(doc: Doc, err: ValidationError) -> list[Problem]:
    if "patternErrorMessage" in err.schema:
        return _pattern(doc, err)
    n = err.validator_value
    if err.validator == "minLength":
        text = "must not be empty" if n == 1 else f"must be at least {n} characters long"
    else:
        text = f"{show(err.instance)} is longer than {n} characters"
    return [_value_problem(doc, err, "schema.length", text)]


def _range(doc: Doc, err: ValidationError) -> list[Problem]:
    value, limit = show(err.instance), show(err.validator_value)
    text = {"minimum": f"{value} is less than {limit} (the minimum)",
            "maximum": f"{value} is greater than {limit} (the maximum)",
            "exclusiveMinimum": f"{value} must be greater than {limit}",
            "exclusiveMaximum": f"{value} must be less than {limit}"}[str(err.validator)]
    return [_value_problem(doc, err, "schema.range", text)]


def _items(doc: Doc, err: ValidationError) -> list[Problem]:
    n = err.validator_value
    if err.validator == "minItems":
        text = "must not be empty" if n == 1 else f"must have at least {n} items"
    else:
        text = f"must have at most {n} items"
    return [_value_problem(doc, err, "schema.items", text)]


def _unique(doc: Doc, err: ValidationError) -> list[Problem]:
    seen: list[object] = []
    for i, item in enumerate(err.instance):
        if item in seen:
            path = _path(err) + (i,)
            return [problem(doc, path, "schema.unique",
                            f"{quoted_path(_path(err))}: {show(item)} appears more than once",
                            field=quoted_path(_path(err)))]
        seen.append(item)
    return _generic(doc, err)


def _alternatives(doc: Doc, err: ValidationError) -> list[Problem]:
    """anyOf / oneOf: "exactly one of these keys", or the branch that fits the value's type."""
    branches: list[dict[str, list[str]]] = err.validator_value
    if all(isinstance(b, dict) and set(b) == {"required"} for b in branches):
        return _exactly_one(doc, err, [b["required"][0] for b in branches])
    by_branch: dict[int, list[ValidationError]] = {}
    for sub in err.context or []:
        by_branch.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    depth = len(err.absolute_path)
    fitting = {i: errs for i, errs in by_branch.items()
               if not any(e.validator == "type" and len(e.absolute_path) == depth for e in errs)}
    if not fitting:
        return _no_branch_fits(doc, err, by_branch, depth)
    best = min(fitting, key=lambda i: (len(fitting[i]), i))
    return [p for sub in fitting[best] for p in translate(doc, sub)]


def _no_branch_fits(doc: Doc, err: ValidationError, by_branch: dict[int, list[ValidationError]],
                    depth: int) -> list[Problem]:
    expected: list[str] = []
    for errs in by_branch.values():
        for e in errs:
            if e.validator == "type" and len(e.absolute_path) == depth:
                expected.extend(t for t in _type_names(e.validator_value) if t not in expected)
    if not expected:
        return _generic(doc, err)
    return [_value_problem(doc, err, "schema.type",
                           f"expected {' or '.join(expected)}, got {got(err.instance)}")]


def _exactly_one(doc: Doc, err: ValidationError, keys: list[str]) -> list[Problem]:
    if not isinstance(err.instance, dict):
        return []  # the type error says it
    path, found = _path(err), [k for k in keys if k in err.instance]
    names = ", ".join(keys)
    if not found:
        return [_value_problem(doc, err, "schema.one-of", f"set one of: {names}")]
    return [problem(doc, path + (found[1],), "schema.one-of",
                    f"{quoted_path(path)}: set only one of: {names} (found {' and '.join(found)})",
                    key=True, field=quoted_path(path))]


def _bad_key(doc: Doc, err: ValidationError) -> Problem:
    path, key = _path(err), str(err.instance)
    code, message = _pattern_message(err.schema) if "pattern" in err.schema else (
        "schema.pattern", "is not an allowed key")
    return problem(doc, path + (key,), code,
                   f"{quoted_path(path)}: key {show(key)} {message}", key=True)


def _generic(doc: Doc, err: ValidationError) -> list[Problem]:
    return [_value_problem(doc, err, "schema.invalid", str(err.message))]


_HANDLERS: dict[str, Handler] = {
    "additionalProperties": _unknown_fields, "required": _required, "type": _type,
    "enum": _enum, "const": _const, "pattern": _pattern, "minLength": _length,
    "maxLength": _length, "minimum": _range, "maximum": _range, "exclusiveMinimum": _range,
    "exclusiveMaximum": _range, "minItems": _items, "maxItems": _items, "uniqueItems": _unique,
    "anyOf": _alternatives, "oneOf": _alternatives,
}


def _value_problem(doc: Doc, err: ValidationError, code: str, text: str) -> Problem:
    path = _path(err)
    label = quoted_path(path) or "document"
    return problem(doc, path, code, f"{label}: {text}")
