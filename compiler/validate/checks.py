"""The checks a schema cannot phrase well: the kind, secret values, environment variables.

A document's kind picks its schema, so an unknown kind is reported here, before any schema;
a Credential must not hold secret values; an environment variable takes exactly one of its
alternative forms, and a ``SECRET:`` value has the form ``SECRET:<secret>,<key>``.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ..model import NATIVE_KINDS, Doc, Path
from ..problems import Problem
from ..templates import PLACEHOLDERS, template_error
from .text import did_you_mean, dotted, problem, show

#: Keys that would put a secret value into git (in a Credential's spec or at its top level).
SECRET_KEYS = frozenset({
    "data", "stringData", "password", "value", "token", "username", "user", "apiKey",
    "accessKey", "accessKeyId", "secretKey", "secretAccessKey", "privateKey", "key",
    "auth", "dockerconfigjson", ".dockerconfigjson", "credentials", "secret",
})
ENV_FORMS = ("value", "secret", "credential", "podField")
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
                f"{dotted(path)}: secret values must never be stored in git; create the Secret "
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
                f"{dotted(path)}: set only one of {', '.join(ENV_FORMS)} "
                f"(found {' and '.join(found)})", key=True, field=dotted(path)))
        value = item.get("value")
        if isinstance(value, str) and value.startswith("SECRET:") and not _SECRET_REF.match(value):
            problems.append(problem(doc, path + ("value",), "schema.pattern",
                                    f"{dotted(path + ('value',))}: {show(value)} must have the "
                                    "form SECRET:<secret>,<key>"))
    return problems


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
                                    f"{dotted(path)}: {show(value)} {error}"))
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

