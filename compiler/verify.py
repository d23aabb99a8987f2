"""Verify emitted objects against the official Kubernetes JSON schemas.

The schemas come from the ``kubernetes-validate`` package (its bundled ``-strict`` variants:
unknown fields are errors). Its own ``validate()`` reloads 1.8 MB of definitions on every call, so
this module reads the files itself, once, and compiles one validator per (schema version,
apiVersion, kind):

- a fast yes/no check compiled from the schema into nested closures (``_Compiler``; it walks the
  keys an object has, not every key the schema allows — fastjsonschema's generated code was ~20x
  slower on sparse pod specs);
- only when the fast check fails, ``jsonschema`` (the same Draft 2020-12 validator
  kubernetes-validate uses, over the same files) walks the object again to report *every* error
  with its field path. A test checks that both agree.

Custom resources wlc emits (Kubeflow jobs, Knative Service, KServe InferenceService) are checked
against wlc's own CRD schemas by ``compiler.verify_crd``; other kinds without a schema are not
errors here: ``unknown_kinds`` reports them.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped,unused-ignore]

from compiler.problems import ConfigError

_SCHEMA_ROOT = "kubernetes-json-schema"
_REF_PREFIX = "/api/_definitions.json#/$defs/"
_LOCAL_PREFIX = "#/$defs/"


class UnsupportedVersion(ConfigError, ValueError):
    """The target's Kubernetes version is not one the bundled schemas cover (a configuration error)."""


@dataclass(frozen=True)
class Validator:
    """A compiled check for one kind: ``fast`` says valid or not, ``full`` lists every error."""

    kind: str
    api_version: str
    fast: Callable[[Any], bool]
    sversion: str

    @property
    def full(self) -> Any:
        """The jsonschema validator (built on first use: only failing objects need it)."""
        return _full_validator(self.sversion, self.api_version, self.kind)

    def errors(self, obj: dict[str, Any]) -> list[str]:
        """Human messages, empty when the object is valid."""
        if _run(self.fast, obj):
            return []
        out = []
        for err in sorted(self.full.iter_errors(obj), key=lambda e: [str(p) for p in e.absolute_path]):
            out.append(f"{_field_path(err.absolute_path)}: {_short(err.message)}")
        return out or ["object rejected by the schema"]


def _schema_dir() -> Path:
    import kubernetes_validate  # type: ignore[import-untyped,unused-ignore]

    return Path(kubernetes_validate.__file__).parent / _SCHEMA_ROOT


def _vtuple(text: str) -> tuple[int, int]:
    m = re.match(r"^v?(\d+)\.(\d+)", text.strip())
    if not m:
        raise UnsupportedVersion(f"not a Kubernetes version: {text!r}")
    return int(m.group(1)), int(m.group(2))


@cache
def available_versions() -> tuple[str, ...]:
    """Bundled schema versions as ``"1.NN"``, oldest first."""
    found = set()
    for entry in _schema_dir().iterdir():
        m = re.match(r"^v(\d+)\.(\d+)\.\d+-local-strict\Z", entry.name)
        if m:
            found.add((int(m.group(1)), int(m.group(2))))
    return tuple(f"{a}.{b}" for a, b in sorted(found))


@cache
def schema_version(version: str) -> str:
    """The newest bundled schema version not newer than ``version`` (numeric comparison)."""
    want = _vtuple(version)
    usable = [v for v in available_versions() if _vtuple(v) <= want]
    if not usable:
        raise UnsupportedVersion(
            f"Kubernetes {version} is older than every bundled schema ({available_versions()[0]})")
    return usable[-1]


def _version_dir(sversion: str) -> Path:
    return _schema_dir() / f"v{sversion}.0-local-strict"


@cache
def _definitions(sversion: str) -> dict[str, Any]:
    with open(_version_dir(sversion) / "_definitions.json", encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def _file_name(api_version: str, kind: str) -> str:
    group, _, ver = api_version.rpartition("/")
    prefix = group.split(".")[0] + "-" if group else ""
    return f"{kind.lower()}-{prefix}{ver}.json"


def _load_kind_schema(sversion: str, api_version: str, kind: str) -> dict[str, Any] | None:
    path = _version_dir(sversion) / _file_name(api_version, kind)
    if not path.is_file():
        return None
    with open(path, encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    group, _, ver = api_version.rpartition("/")
    gvks = schema.get("x-kubernetes-group-version-kind") or []
    if not any(g.get("group", "") == group and g.get("version") == ver and g.get("kind") == kind
               for g in gvks):
        return None
    return schema


class _Compiler:
    """Turns the (small) JSON-schema subset of the Kubernetes schemas into nested closures.

    Each closure answers "valid?" with a bool; objects are checked over the keys they *have*
    (a PodSpec schema lists ~40 properties, a lowered pod uses a handful), so the cost follows
    the object's size, not the schema's. Keywords: ``$ref``, ``type``, ``enum``, ``properties``,
    ``additionalProperties``, ``required``, ``items``, ``oneOf``; annotations (``description``,
    ``format``, ``x-kubernetes-*``) are ignored, as kubernetes-validate's jsonschema run does.
    A leaf that only checks string/boolean/null types is kept as a tuple of Python types and
    tested inline by its parent.
    """

    def __init__(self, defs: dict[str, Any]) -> None:
        self.defs = defs
        self.refs: dict[str, Any] = {}

    def ref(self, target: str) -> Any:
        name = target[len(_REF_PREFIX):] if target.startswith(_REF_PREFIX) else target[len(_LOCAL_PREFIX):]
        if name not in self.refs:
            cell: list[Any] = []
            self.refs[name] = lambda v: _run(cell[0], v)  # recursion guard while compiling
            cell.append(self.node(self.defs[name]))
            self.refs[name] = cell[0]
        return self.refs[name]

    def node(self, schema: dict[str, Any]) -> Any:
        checks: list[Any] = []
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
            checks.append(lambda v: sum(1 for s in subs if _run(s, v)) == 1)
        return _combine(checks)

    def array(self, schema: dict[str, Any], tcheck: Any) -> Any:
        item = _as_function(self.node(schema["items"]))
        other = _as_function(tcheck) if tcheck is not None else _always

        def check(v: Any) -> bool:
            if v.__class__ is not list and not isinstance(v, list):
                return other(v)
            if tcheck is not None and not other(v):
                return False
            for x in v:
                if not item(x):
                    return False
            return True
        return check

    def obj(self, schema: dict[str, Any], tcheck: Any) -> Any:
        props = {k: self.node(v) for k, v in schema.get("properties", {}).items()}
        extra = schema.get("additionalProperties", True)
        extra_check = None if extra is True or extra is False else _as_function(self.node(extra))
        closed = extra is False
        required = tuple(schema.get("required", ()))
        other = _as_function(tcheck) if tcheck is not None else _always
        dict_ok = tcheck is None or other({})

        def check(v: Any) -> bool:
            if v.__class__ is not dict and not isinstance(v, dict):
                return other(v)
            if not dict_ok:
                return False
            for key, val in v.items():
                sub = props.get(key)
                if sub is None:
                    if closed or (extra_check is not None and not extra_check(val)):
                        return False
                elif sub.__class__ is tuple:
                    if not isinstance(val, sub):
                        return False
                elif not sub(val):
                    return False
            for key in required:
                if key not in v:
                    return False
            return True
        return check


def _combine(checks: list[Any]) -> Any:
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]
    first, rest = _as_function(checks[0]), _combine(checks[1:])
    second = _as_function(rest)
    return lambda v: first(v) and second(v)


def _as_function(check: Any) -> Callable[[Any], bool]:
    if check.__class__ is tuple:
        return lambda v: isinstance(v, check)
    return check  # type: ignore[no-any-return]


def _always(_: Any) -> bool:
    return True


def _run(check: Any, value: Any) -> bool:
    return isinstance(value, check) if check.__class__ is tuple else bool(check(value))


_SIMPLE = {"string": str, "boolean": bool, "null": type(None), "object": dict, "array": list}


def _type_check(types: Any) -> Any:
    """A tuple of Python types when isinstance suffices, else a predicate (integer, number)."""
    names = [types] if isinstance(types, str) else list(types)
    simple = tuple(_SIMPLE[n] for n in names if n in _SIMPLE)
    if all(n in _SIMPLE for n in names):
        return simple
    integer_only = "integer" in names and "number" not in names

    def check(v: Any) -> bool:
        if isinstance(v, simple):
            return True
        if v.__class__ is int:
            return True
        if v.__class__ is float:
            return not integer_only or v.is_integer()
        return False
    return check


@cache
def _compiler(sversion: str) -> _Compiler:
    return _Compiler(_definitions(sversion)["$defs"])


@cache
def _full_registry(sversion: str) -> Any:
    from referencing import Registry, Resource

    return Resource.from_contents(_definitions(sversion)) @ Registry()


@cache
def validator_for(version: str, api_version: str, kind: str) -> Validator | None:
    """The cached validator for a kind, or None when no bundled schema describes it."""
    sversion = schema_version(version)
    schema = _load_kind_schema(sversion, api_version, kind)
    if schema is None:
        return None
    fast = _compiler(sversion).node(schema)
    return Validator(kind, api_version, fast, sversion)


@cache
def _full_validator(sversion: str, api_version: str, kind: str) -> Any:
    schema = _load_kind_schema(sversion, api_version, kind)
    return jsonschema.Draft202012Validator(schema, registry=_full_registry(sversion))


def describe(obj: Any) -> str:
    """``Kind/namespace/name`` of an object, for messages."""
    if not isinstance(obj, dict):
        return "<not an object>"
    raw = obj.get("metadata")
    meta: dict[str, Any] = raw if isinstance(raw, dict) else {}
    ns = meta.get("namespace")
    name = meta.get("name", "?")
    return f"{obj.get('kind', '?')}/{ns + '/' if ns else ''}{name}"


def verify_object(obj: Any, version: str) -> tuple[list[str], bool]:
    """(messages, known): messages name the object and the failing field path."""
    if not isinstance(obj, dict) or not isinstance(obj.get("apiVersion"), str) \
            or not isinstance(obj.get("kind"), str):
        return [f"{describe(obj)}: not a Kubernetes object (apiVersion and kind are required)"], True
    val = validator_for(version, obj["apiVersion"], obj["kind"])
    if val is None:
        return _verify_crd(obj, version)
    return [f"{obj['apiVersion']} {describe(obj)}: {msg}" for msg in val.errors(obj)], True


def _verify_crd(obj: dict[str, Any], version: str) -> tuple[list[str], bool]:
    from compiler import verify_crd  # the CRD path: a separate module (it extends _Compiler)

    errors = verify_crd.crd_errors(obj, version)
    if errors is None:
        return [], False
    return [f"{obj['apiVersion']} {describe(obj)}: {msg}" for msg in errors], True


def verify_objects(objs: list[dict[str, Any]], version: str) -> list[str]:
    """Schema errors of built-in objects; objects of unknown kinds are skipped (see unknown_kinds)."""
    out: list[str] = []
    for obj in objs:
        out.extend(verify_object(obj, version)[0])
    return out


def unknown_kinds(objs: list[dict[str, Any]], version: str) -> list[str]:
    """``apiVersion Kind/ns/name`` of every object that has no bundled schema (CRDs)."""
    out = []
    for obj in objs:
        if isinstance(obj, dict) and isinstance(obj.get("apiVersion"), str) \
                and isinstance(obj.get("kind"), str) \
                and validator_for(version, obj["apiVersion"], obj["kind"]) is None \
                and not _crd_known(obj["apiVersion"], obj["kind"]):
            out.append(f"{obj['apiVersion']} {describe(obj)}")
    return out


def _crd_known(api_version: str, kind: str) -> bool:
    from compiler import verify_crd

    return verify_crd.is_known(api_version, kind)


def _field_path(path: Any) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (("." if text else "") + str(part))
    return text or "(object)"


def _short(message: str, limit: int = 200) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."
