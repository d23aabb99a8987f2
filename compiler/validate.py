"""Stage 3, validate: each native document against the JSON Schema of its kind.

Every error of a document is reported, located at the offending value (at the key for an
unknown field), in the user's terms rather than JSON Schema's:

    spec.compute.gpuDevicesRequest: expected an integer, got string "two"
    unknown field "gpuDevicesRequests" in spec.compute (did you mean "gpuDevicesRequest"?)

Almost every document is valid, so a compiled validator answers first; only an invalid
document is walked again by ``jsonschema`` to list its errors. A few checks a schema cannot
phrase well live here too: secret values in a Credential, and the alternative forms of an
environment variable.
"""
from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable
from functools import cache, lru_cache
from typing import Any

from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped,unused-ignore]

from .model import NATIVE_KINDS, WORKLOAD_KINDS, Doc, Path
from .problems import Problem, sort_problems
from .schemas import common_defs, schema_for, validator_for

#: Keys that would put a secret value into git (in a Credential's spec or at its top level).
SECRET_KEYS = frozenset({
    "data", "stringData", "password", "value", "token", "username", "user", "apiKey",
    "accessKey", "accessKeyId", "secretKey", "secretAccessKey", "privateKey", "key",
    "auth", "dockerconfigjson", ".dockerconfigjson", "credentials", "secret",
})
#: Unknown fields anywhere that can only be secret values (a storage item's password, say).
SECRET_FIELDS = frozenset({
    "password", "token", "apiKey", "accessKey", "accessKeyId", "secretKey", "secretAccessKey",
    "privateKey", "stringData",
})
ENV_FORMS = ("value", "secret", "credential", "podField")
_SECRET_REF = re.compile(r"^SECRET:[^,\s]+,[^,\s]+$")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_TYPE_NAMES = {"integer": "an integer", "number": "a number", "string": "a string",
               "boolean": "true or false", "object": "a mapping", "array": "a list",
               "null": "nothing"}


def validate_docs(docs: Iterable[Doc]) -> list[Problem]:
    """The problems of every document, sorted."""
    problems: list[Problem] = []
    for doc in docs:
        problems.extend(validate_doc(doc))
    return sort_problems(problems)


def validate_doc(doc: Doc) -> list[Problem]:
    """Every schema problem of one native document (empty when it is valid)."""
    data = doc.data
    if not isinstance(data, dict):
        return [_problem(doc, (), "schema.type", "a document must be a mapping with apiVersion, "
                         f"kind, metadata and spec, got {_got(data)}")]
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in NATIVE_KINDS:
        return [_unknown_kind(doc, kind)]
    problems, quiet = _secret_values(doc) if kind == "Credential" else ([], set())
    problems.extend(_env_forms(doc))
    validator = validator_for(kind)
    if not validator.is_valid(data):
        for err in validator.full.iter_errors(data):
            problems.extend(p for p in _translate(doc, err) if p.field not in quiet)
    return sort_problems(problems)


# --- checks outside the schema --------------------------------------------------------------

def _unknown_kind(doc: Doc, kind: object) -> Problem:
    expected = ", ".join(NATIVE_KINDS)
    if kind is None:
        return _problem(doc, (), "schema.required",
                        f'missing required field "kind" (one of: {expected})', field="kind")
    hint = _did_you_mean(str(kind), NATIVE_KINDS)
    return _problem(doc, ("kind",), "schema.kind",
                    f"unknown kind {_show(kind)}{hint}; expected one of: {expected}")


def _secret_values(doc: Doc) -> tuple[list[Problem], set[str]]:
    """Secret-looking fields of a Credential, and their paths (to quiet "unknown field")."""
    problems: list[Problem] = []
    spec = doc.data.get("spec")
    places: list[tuple[Path, Any]] = [((), doc.data)]
    if isinstance(spec, dict):
        places.append((("spec",), spec))
    for base, mapping in places:
        for key in sorted(SECRET_KEYS.intersection(mapping)):
            path = base + (key,)
            problems.append(_problem(
                doc, path, "schema.secret-value",
                f"{_dotted(path)}: secret values must never be stored in git; create the Secret "
                "in the cluster and reference it with spec.secretName", key=True))
    return problems, {p.field for p in problems}


def _env_forms(doc: Doc) -> list[Problem]:
    """An environment variable takes one of value, secret, credential, podField."""
    problems: list[Problem] = []
    for path, item in _env_items(doc.data.get("spec")):
        found = [k for k in ENV_FORMS if k in item]
        if len(found) > 1:
            problems.append(_problem(
                doc, path + (found[1],), "schema.exclusive",
                f"{_dotted(path)}: set only one of {', '.join(ENV_FORMS)} "
                f"(found {' and '.join(found)})", key=True, field=_dotted(path)))
        value = item.get("value")
        if isinstance(value, str) and value.startswith("SECRET:") and not _SECRET_REF.match(value):
            problems.append(_problem(doc, path + ("value",), "schema.pattern",
                                     f"{_dotted(path + ('value',))}: {_show(value)} must have the "
                                     "form SECRET:<secret>,<key>"))
    return problems


def _env_items(spec: object) -> Iterable[tuple[Path, dict[str, Any]]]:
    if not isinstance(spec, dict):
        return
    for base in (("spec",), ("spec", "master"), ("spec", "worker")):
        holder = spec if len(base) == 1 else spec.get(base[1])
        items = holder.get("environmentVariables") if isinstance(holder, dict) else None
        if isinstance(items, list):
            for i, item in enumerate(items):
                if isinstance(item, dict):
                    yield base + ("environmentVariables", i), item


# --- translating jsonschema errors ----------------------------------------------------------

Handler = Callable[[Doc, ValidationError], list[Problem]]


def _translate(doc: Doc, err: ValidationError) -> list[Problem]:
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
    where = f" in {_dotted(path)}" if path else ""
    problems = []
    for name in [k for k in err.instance if k not in known]:
        if name in SECRET_FIELDS:
            problems.append(_problem(doc, path + (name,), "schema.secret-value",
                                     f"{_dotted(path + (name,))}: secret values must never be "
                                     "stored in git; keep them in a Secret and reference it by "
                                     "name", key=True))
            continue
        hint = _other_kind_hint(doc, path, name) or _did_you_mean(name, known)
        problems.append(_problem(doc, path + (name,), "schema.unknown-field",
                                 f'unknown field "{name}"{where}{hint}', key=True))
    return problems


def _other_kind_hint(doc: Doc, path: Path, name: str) -> str:
    if path != ("spec",) or doc.kind not in WORKLOAD_KINDS:
        return ""
    owners = [k for k in WORKLOAD_KINDS if name in _spec_fields(k)]
    return f" ({name} belongs to {' and '.join(owners)})" if owners else ""


@cache
def _spec_fields(kind: str) -> frozenset[str]:
    return frozenset(schema_for(kind)["properties"]["spec"]["properties"])


def _required(doc: Doc, err: ValidationError) -> list[Problem]:
    """Missing fields, except one an unknown field already misspells (it says so)."""
    path = _path(err)
    where = f" in {_dotted(path)}" if path else ""
    known = err.schema.get("properties", {})
    typos = {_closest(k, list(known)) or "" for k in err.instance if k not in known}
    return [_problem(doc, path, "schema.required", f'missing required field "{name}"{where}',
                     field=_dotted(path + (name,)))
            for name in err.validator_value if name not in err.instance and name not in typos]


def _type_names(types: Any) -> list[str]:
    """"a string", "an integer"... for a ``type`` keyword value."""
    return [_TYPE_NAMES.get(str(t), str(t)) for t in (types if isinstance(types, list) else [types])]


def _type(doc: Doc, err: ValidationError) -> list[Problem]:
    expected = " or ".join(_type_names(err.validator_value))
    hint = ""
    if expected.startswith("a string") and isinstance(err.instance, (bool, int, float)):
        hint = " (put it in quotes)"
    return [_value_problem(doc, err, "schema.type",
                           f"expected {expected}, got {_got(err.instance)}{hint}")]


def _enum(doc: Doc, err: ValidationError) -> list[Problem]:
    values = list(err.validator_value)
    if len(values) == 1:
        return _must_be(doc, err, values[0])
    options = [o if isinstance(o, str) else json.dumps(o) for o in values]
    hint = _did_you_mean(str(err.instance), options) if not isinstance(
        err.instance, (dict, list)) else ""
    if isinstance(err.instance, (int, float)) and str(err.instance) in options:
        hint = " (put it in quotes)"
    return [_value_problem(doc, err, "schema.enum", f"{_show(err.instance)} must be one of: "
                           f"{', '.join(options)}{hint}")]


def _const(doc: Doc, err: ValidationError) -> list[Problem]:
    return _must_be(doc, err, err.validator_value)


def _must_be(doc: Doc, err: ValidationError, value: Any) -> list[Problem]:
    return [_value_problem(doc, err, "schema.enum", f"{_show(err.instance)} must be {_show(value)}")]


def _pattern(doc: Doc, err: ValidationError) -> list[Problem]:
    code, message = _pattern_message(err.schema)
    return [_value_problem(doc, err, code, f"{_show(err.instance)} {message}")]


def _pattern_message(schema: dict[str, Any]) -> tuple[str, str]:
    pattern = schema.get("pattern", "")
    message = schema.get("patternErrorMessage") or f"does not have the expected form {pattern}"
    return _pattern_codes().get(pattern, "schema.pattern"), message


@lru_cache(maxsize=1)
def _pattern_codes() -> dict[str, str]:
    defs = common_defs()
    codes = {defs[n]["pattern"]: "schema.name" for n in ("dnsLabel", "projectName",
                                                         "dnsSubdomain")}
    codes[defs["quantity"]["pattern"]] = "schema.quantity"
    return codes


def _length(doc: Doc, err: ValidationError) -> list[Problem]:
    if "patternErrorMessage" in err.schema:
        return _pattern(doc, err)
    n = err.validator_value
    if err.validator == "minLength":
        text = "must not be empty" if n == 1 else f"must be at least {n} characters long"
    else:
        text = f"{_show(err.instance)} is longer than {n} characters"
    return [_value_problem(doc, err, "schema.length", text)]


def _range(doc: Doc, err: ValidationError) -> list[Problem]:
    value, limit = _show(err.instance), _show(err.validator_value)
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
    seen: list[Any] = []
    for i, item in enumerate(err.instance):
        if item in seen:
            path = _path(err) + (i,)
            return [_problem(doc, path, "schema.unique",
                             f"{_dotted(_path(err))}: {_show(item)} appears more than once",
                             field=_dotted(_path(err)))]
        seen.append(item)
    return _generic(doc, err)


def _alternatives(doc: Doc, err: ValidationError) -> list[Problem]:
    """anyOf / oneOf: "exactly one of these keys", or the branch that fits the value's type."""
    branches: list[Any] = err.validator_value
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
    return [p for sub in fitting[best] for p in _translate(doc, sub)]


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
                           f"expected {' or '.join(expected)}, got {_got(err.instance)}")]


def _exactly_one(doc: Doc, err: ValidationError, keys: list[str]) -> list[Problem]:
    if not isinstance(err.instance, dict):
        return []  # the type error says it
    path, found = _path(err), [k for k in keys if k in err.instance]
    names = ", ".join(keys)
    if not found:
        return [_value_problem(doc, err, "schema.one-of", f"set one of: {names}")]
    return [_problem(doc, path + (found[1],), "schema.one-of",
                     f"{_dotted(path)}: set only one of: {names} (found {' and '.join(found)})",
                     key=True, field=_dotted(path))]


def _bad_key(doc: Doc, err: ValidationError) -> Problem:
    path, key = _path(err), str(err.instance)
    code, message = _pattern_message(err.schema) if "pattern" in err.schema else (
        "schema.pattern", "is not an allowed key")
    return _problem(doc, path + (key,), code,
                    f"{_dotted(path)}: key {_show(key)} {message}", key=True)


def _generic(doc: Doc, err: ValidationError) -> list[Problem]:
    return [_value_problem(doc, err, "schema.invalid", str(err.message))]


_HANDLERS: dict[str, Handler] = {
    "additionalProperties": _unknown_fields, "required": _required, "type": _type,
    "enum": _enum, "const": _const, "pattern": _pattern, "minLength": _length,
    "maxLength": _length, "minimum": _range, "maximum": _range, "exclusiveMinimum": _range,
    "exclusiveMaximum": _range, "minItems": _items, "maxItems": _items, "uniqueItems": _unique,
    "anyOf": _alternatives, "oneOf": _alternatives,
}


# --- formatting -----------------------------------------------------------------------------

def _value_problem(doc: Doc, err: ValidationError, code: str, text: str) -> Problem:
    path = _path(err)
    label = _dotted(path) or "document"
    return _problem(doc, path, code, f"{label}: {text}")


def _problem(doc: Doc, path: Path, code: str, message: str, key: bool = False,
             field: str | None = None) -> Problem:
    """A problem at ``path`` (its key with ``key``); ``field`` defaults to the dotted path."""
    line, col = doc.loc(path, key=key)
    return Problem(doc.file, line, col, code, message,
                   field=field if field is not None else _dotted(path))


def _dotted(path: Iterable[str | int]) -> str:
    """spec.storage.pvc[0].claimName; odd keys as ["app.kubernetes.io/name"]."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENT.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out


def _show(value: Any) -> str:
    if isinstance(value, str):
        shown = json.dumps(value, ensure_ascii=False)
        return shown if len(shown) <= 70 else shown[:66] + '..."'
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _got(value: Any) -> str:
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return f"boolean {_show(value)}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"number {value!r}"
    if isinstance(value, str):
        return f"string {_show(value)}"
    return _show(value)


def _did_you_mean(word: str, options: Iterable[str]) -> str:
    close = _closest(word, list(options))
    return f' (did you mean "{close}"?)' if close else ""


def _closest(word: str, choices: list[str]) -> str | None:
    """The choice that differs only in case, else a close spelling (not for values with
    digits: "1.20" is not a misspelt "1.32")."""
    same_case = [o for o in choices if o.lower() == word.lower()]
    if same_case:
        return same_case[0]
    if any(c.isdigit() for c in word):
        return None
    prefixed = [o for o in choices if len(word) >= 3 and o.lower().startswith(word.lower())]
    if len(prefixed) == 1:
        return prefixed[0]
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return close[0] if close else None
