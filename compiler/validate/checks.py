"""The checks a schema cannot phrase well: the kind, secret values, environment variables,
numbers and target templates.

A document's kind picks its schema, so an unknown kind is reported here, before any schema;
a Credential must not hold secret values; an environment variable takes exactly one of its
alternative forms, a ``SECRET:`` value has the form ``SECRET:<secret>,<key>``, and a literal
value of a variable named like a secret (``*PASSWORD*``, ``*SECRET*``, ``*TOKEN*``, ``*_KEY``)
is a warning that points to Credential assets. No number may be infinite or NaN. The template
settings of a target (``namespaceTemplate``, ``kueueQueue``, ``hostPattern``) take only their
placeholders and must make a valid name (compiler.templates).
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

from ..model import NATIVE_KINDS, Doc, Path
from ..problems import Problem
from ..templates import PLACEHOLDERS, template_error
from .text import did_you_mean, problem, quoted_path, show

#: Keys that would put a secret value into git (in a Credential's spec or at its top level).
SECRET_KEYS = frozenset({
    "data", "stringData", "password", "value", "token", "username", "user", "apiKey",
    "accessKey", "accessKeyId", "secretKey", "secretAccessKey", "privateKey", "key",
    "auth", "dockerconfigjson", ".dockerconfigjson", "credentials", "secret",
})
ENV_FORMS = ("value", "secret", "credential", "podField")
#: Environment variable names that look like secrets (case-insensitive).
_SECRET_NAME = re.compile(r"(?i).*(PASSWORD|SECRET|TOKEN).*|.*_KEY")
_SECRET_REF = re.compile(r"^SECRET:[^,\s]+,[^,\s]+\Z")


def unknown_kind(doc: Doc, kind: object) -> Problem:
    expected = ", ".join(NATIVE_KINDS)
    if kind is None:
        return problem(doc, (), "schema.required",
                       f'missing required field "kind" (one of: {expected})', field="kind")
    hint = did_you_mean(str(kind), NATIVE_KINDS)
    return problem(doc, ("kind",), "schema.kind",
                   f"unknown kind {show(kind)}{hint}; expected one of: {expected}")


def secret_values(doc: Doc) -> tuple[list[Problem], set[str]]:
    """Secret-looking fields of a Credential, and their paths (to quiet "unknown field")."""
    problems: list[Problem] = []
    spec = doc.data.get("spec")
    places: list[tuple[Path, Any]] = [((), doc.data)]
    if isinstance(spec, dict):
        places.append((("spec",), spec))
    for base, mapping in places:
        for key in sorted(SECRET_KEYS.intersection(mapping)):
            path = base + (key,)
            problems.append(problem(
                doc, path, "schema.secret-value",
                f"{quoted_path(path)}: secret values must never be stored in git; create the Secret "
                "in the cluster and reference it with spec.secretName", key=True))
    return problems, {p.field for p in problems}


def env_forms(doc: Doc) -> list[Problem]:
    """An environment variable takes one of value, secret, credential, podField."""
    problems: list[Problem] = []
    for path, item in _env_items(doc.data.get("spec")):
        found = [k for k in ENV_FORMS if k in item]
        if len(found) > 1:
            problems.append(problem(
                doc, path + (found[1],), "schema.exclusive",
                f"{quoted_path(path)}: set only one of {', '.join(ENV_FORMS)} "
                f"(found {' and '.join(found)})", key=True, field=quoted_path(path)))
        value = item.get("value")
        if isinstance(value, str) and value.startswith("SECRET:") and not _SECRET_REF.match(value):
            problems.append(problem(doc, path + ("value",), "schema.pattern",
                                    f"{quoted_path(path + ('value',))}: {show(value)} must have the "
                                    "form SECRET:<secret>,<key>"))
        problems.extend(_literal_secret(doc, path, item))
    return problems


def _literal_secret(doc: Doc, path: Path, item: dict[str, Any]) -> list[Problem]:
    """A warning for a literal value of a variable whose name looks secret (PASSWORD, SECRET,
    TOKEN, *_KEY): such a value belongs in a Secret, referenced through a Credential asset."""
    name, value = item.get("name"), item.get("value")
    if not (isinstance(name, str) and _SECRET_NAME.fullmatch(name) and isinstance(value, str)
            and value and not value.startswith("SECRET:")):
        return []
    found = problem(doc, path + ("value",), "schema.secret-literal",
                    f"{quoted_path(path + ('value',))}: {name} looks like a secret but has a literal "
                    "value in git; create the Secret in the cluster, describe it with a Credential "
                    "asset and use credential: {name: <credential>, key: <key>} "
                    "(or secret: {name, key})")
    return [replace(found, severity="warning")]


def non_finite(doc: Doc) -> list[Problem]:
    """Infinite and NaN numbers (YAML's ``.inf``, ``.nan``) anywhere in a document: no field
    of wlc takes one, and the schema's ``type: number`` would let them through."""
    return [problem(doc, path, "schema.number",
                    f"{quoted_path(path)}: {_yaml_number(value)} is not a number wlc accepts "
                    "(infinite and NaN values are not allowed)")
            for path, value in _floats(doc.data, ()) if not math.isfinite(value)]


def _floats(node: Any, path: Path) -> Iterator[tuple[Path, float]]:
    if isinstance(node, float):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _floats(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _floats(value, path + (i,))


def _yaml_number(value: float) -> str:
    return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")


def target_templates(doc: Doc) -> list[Problem]:
    """The template settings of a Repository's or Overlay's ``spec.target`` (compiler.templates)."""
    spec = doc.data.get("spec")
    target = spec.get("target") if isinstance(spec, dict) else None
    if not isinstance(target, dict):
        return []
    problems: list[Problem] = []
    for setting in sorted(PLACEHOLDERS):
        value = target.get(setting)
        error = template_error(setting, value) if isinstance(value, str) else None
        if error is not None:
            path = ("spec", "target", setting)
            problems.append(problem(doc, path, "schema.template",
                                    f"{quoted_path(path)}: {show(value)} {error}"))
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

