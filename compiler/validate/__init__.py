"""Stage 3, validate: each native document against the JSON Schema of its kind.

Every error of a document is reported, located at the offending value (at the key for an
unknown field), in the user's terms rather than JSON Schema's:

    spec.compute.gpuDevicesRequest: expected an integer, got string "two"
    unknown field "gpuDevicesRequests" in spec.compute (did you mean "gpuDevicesRequest"?)

Almost every document is valid, so a compiled validator answers first; only an invalid
document is walked again by ``jsonschema`` to list its errors. The modules, by concept:

- ``checks``: what a schema cannot phrase well: an unknown kind, secret values in a
  Credential, the alternative forms of an environment variable;
- ``translate``: each jsonschema error rewritten into the user's terms;
- ``text``: a problem located in its document; paths and values put into words.
"""
from __future__ import annotations

from ..model import NATIVE_KINDS, Doc
from ..problems import Problem, sort_problems
from ..schemas import validator_for
from .checks import ENV_FORMS, SECRET_KEYS, env_forms, non_finite, secret_values, target_templates, unknown_kind
from .text import got, problem
from .translate import SECRET_FIELDS, translate

__all__ = ["ENV_FORMS", "SECRET_FIELDS", "SECRET_KEYS", "validate_doc"]


def validate_doc(doc: Doc) -> list[Problem]:
    """Every schema problem of one native document (empty when it is valid)."""
    data = doc.data
    if not isinstance(data, dict):
        return [problem(doc, (), "schema.type", "a document must be a mapping with apiVersion, "
                        f"kind, metadata and spec, got {got(data)}")]
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in NATIVE_KINDS:
        return [unknown_kind(doc, kind)]
    problems, quiet = _checks(doc, kind)
    validator = validator_for(kind)
    if not validator.is_valid(data):
        for err in validator.full.iter_errors(data):
            problems.extend(p for p in translate(doc, err) if p.field not in quiet)
    return sort_problems(problems)


def _checks(doc: Doc, kind: str) -> tuple[list[Problem], set[str]]:
    """The checks a schema cannot phrase, and the fields whose schema errors would only repeat
    what they say."""
    problems, quiet = secret_values(doc) if kind == "Credential" else ([], set())
    located = non_finite(doc) + (target_templates(doc) if kind in ("Repository", "Overlay") else [])
    quiet |= {p.field for p in located}
    return problems + located + env_forms(doc), quiet
