"""Verify emitted objects against the official Kubernetes JSON schemas.

The schemas come from the ``kubernetes-validate`` package (its bundled ``-strict`` variants:
unknown fields are errors). Its own ``validate()`` reloads 1.8 MB of definitions on every call, so
this module reads the files itself, once, and compiles one validator per (schema version,
apiVersion, kind):

- the object schema and the definitions it reaches are inlined into one draft-07 document
  (``$ref`` rewritten to ``#/definitions/...``, descriptions and ``format`` dropped: the package's
  validator checks no formats either) and compiled with ``fastjsonschema``;
- only when the fast check fails, ``jsonschema`` (the same validator kubernetes-validate uses)
  walks the object again to report *every* error with its field path.

Kinds without a bundled schema (CRDs) are not errors here: ``unknown_kinds`` reports them.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import fastjsonschema
import jsonschema

_SCHEMA_ROOT = "kubernetes-json-schema"
_REF_PREFIX = "/api/_definitions.json#/$defs/"
_LOCAL_PREFIX = "#/$defs/"
_DROP_KEYS = frozenset({"description", "format", "$schema", "$id"})


class UnsupportedVersion(ValueError):
    """The requested Kubernetes version is older than every bundled schema."""


@dataclass(frozen=True)
class Validator:
    """A compiled check for one kind: ``fast`` raises on the first error, ``full`` lists all."""

    kind: str
    api_version: str
    fast: Callable[[Any], Any]
    full: jsonschema.protocols.Validator

    def errors(self, obj: dict[str, Any]) -> list[str]:
        """Human messages, empty when the object is valid."""
        try:
            self.fast(obj)
            return []
        except fastjsonschema.JsonSchemaValueException:
            pass
        out = []
        for err in sorted(self.full.iter_errors(obj), key=lambda e: [str(p) for p in e.absolute_path]):
            out.append(f"{_field_path(err.absolute_path)}: {_short(err.message)}")
        return out or ["object rejected by the schema"]


def _schema_dir() -> Path:
    import kubernetes_validate

    return Path(kubernetes_validate.__file__).parent / _SCHEMA_ROOT


def _vtuple(text: str) -> tuple[int, int]:
    m = re.match(r"^v?(\d+)\.(\d+)", text.strip())
    if not m:
        raise UnsupportedVersion(f"not a Kubernetes version: {text!r}")
    return int(m.group(1)), int(m.group(2))


@lru_cache(maxsize=None)
def available_versions() -> tuple[str, ...]:
    """Bundled schema versions as ``"1.NN"``, oldest first."""
    found = set()
    for entry in _schema_dir().iterdir():
        m = re.match(r"^v(\d+)\.(\d+)\.\d+-local-strict$", entry.name)
        if m:
            found.add((int(m.group(1)), int(m.group(2))))
    return tuple(f"{a}.{b}" for a, b in sorted(found))


@lru_cache(maxsize=None)
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


@lru_cache(maxsize=None)
def _definitions(sversion: str) -> dict[str, Any]:
    with open(_version_dir(sversion) / "_definitions.json", encoding="utf-8") as fh:
        return json.load(fh)


def _file_name(api_version: str, kind: str) -> str:
    group, _, ver = api_version.rpartition("/")
    prefix = group.split(".")[0] + "-" if group else ""
    return f"{kind.lower()}-{prefix}{ver}.json"


def _load_kind_schema(sversion: str, api_version: str, kind: str) -> dict[str, Any] | None:
    path = _version_dir(sversion) / _file_name(api_version, kind)
    if not path.is_file():
        return None
    with open(path, encoding="utf-8") as fh:
        schema = json.load(fh)
    group, _, ver = api_version.rpartition("/")
    gvks = schema.get("x-kubernetes-group-version-kind") or []
    if not any(g.get("group", "") == group and g.get("version") == ver and g.get("kind") == kind
               for g in gvks):
        return None
    return schema


def _strip(node: Any, used: set[str]) -> Any:
    """A copy for fastjsonschema: local refs, no descriptions or formats; collects ref names."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, val in node.items():
            if key in _DROP_KEYS or key.startswith("x-kubernetes"):
                continue
            if key == "$ref":
                name = val[len(_REF_PREFIX):] if val.startswith(_REF_PREFIX) else val[len(_LOCAL_PREFIX):]
                used.add(name)
                return {"$ref": "#/definitions/" + name}
            if key in ("properties", "patternProperties"):
                out[key] = {k: _strip(v, used) for k, v in val.items()}
            else:
                out[key] = _strip(val, used)
        return out
    if isinstance(node, list):
        return [_strip(v, used) for v in node]
    return node


def _inline(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    used: set[str] = set()
    root = _strip(schema, used)
    done: dict[str, Any] = {}
    todo = list(used)
    while todo:
        name = todo.pop()
        if name in done:
            continue
        more: set[str] = set()
        done[name] = _strip(defs[name], more)
        todo.extend(more - done.keys())
    root["definitions"] = done
    root["$schema"] = "http://json-schema.org/draft-07/schema#"
    return root


@lru_cache(maxsize=None)
def _full_registry(sversion: str) -> Any:
    from referencing import Registry, Resource

    return Resource.from_contents(_definitions(sversion)) @ Registry()


@lru_cache(maxsize=None)
def validator_for(version: str, api_version: str, kind: str) -> Validator | None:
    """The cached validator for a kind, or None when no bundled schema describes it."""
    sversion = schema_version(version)
    schema = _load_kind_schema(sversion, api_version, kind)
    if schema is None:
        return None
    fast = fastjsonschema.compile(_inline(schema, _definitions(sversion)["$defs"]))
    full = jsonschema.Draft202012Validator(schema, registry=_full_registry(sversion))
    return Validator(kind, api_version, fast, full)


def describe(obj: Any) -> str:
    """``Kind/namespace/name`` of an object, for messages."""
    if not isinstance(obj, dict):
        return "<not an object>"
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
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
        return [], False
    return [f"{obj['apiVersion']} {describe(obj)}: {msg}" for msg in val.errors(obj)], True


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
                and validator_for(version, obj["apiVersion"], obj["kind"]) is None:
            out.append(f"{obj['apiVersion']} {describe(obj)}")
    return out


def _field_path(path: Any) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (("." if text else "") + str(part))
    return text or "(object)"


def _short(message: str, limit: int = 200) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."
