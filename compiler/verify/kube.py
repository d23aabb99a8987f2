"""The official Kubernetes JSON schemas bundled by ``kubernetes-validate``: versions and files.

Its own ``validate()`` reloads 1.8 MB of definitions on every call, so wlc reads the files itself,
once per schema version: the ``-strict`` variants (unknown fields are errors).
"""
from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import kubernetes_validate  # type: ignore[import-untyped,unused-ignore]
from referencing import Registry, Resource

from compiler.problems import ConfigError
from compiler.verify.compile import Schema

_SCHEMA_ROOT = "kubernetes-json-schema"


class UnsupportedVersion(ConfigError, ValueError):
    """The target's Kubernetes version is not one the bundled schemas cover (a configuration error)."""


def _schema_dir() -> Path:
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
def definitions(sversion: str) -> Schema:
    """The shared ``_definitions.json`` of a schema version (``$defs``: PodSpec, Container...)."""
    with open(_version_dir(sversion) / "_definitions.json", encoding="utf-8") as fh:
        data: Schema = json.load(fh)
    return data


def _file_name(api_version: str, kind: str) -> str:
    group, _, ver = api_version.rpartition("/")
    prefix = group.split(".")[0] + "-" if group else ""
    return f"{kind.lower()}-{prefix}{ver}.json"


@cache
def kind_schema(sversion: str, api_version: str, kind: str) -> Schema | None:
    """The schema of one built-in kind, or None when the version bundles none for it."""
    path = _version_dir(sversion) / _file_name(api_version, kind)
    if not path.is_file():
        return None
    with open(path, encoding="utf-8") as fh:
        schema: Schema = json.load(fh)
    group, _, ver = api_version.rpartition("/")
    gvks = schema.get("x-kubernetes-group-version-kind") or []
    if not any(g.get("group", "") == group and g.get("version") == ver and g.get("kind") == kind
               for g in gvks):
        return None
    return schema


@cache
def registry(sversion: str) -> Registry[Schema]:
    """The definitions as a ``referencing`` registry, for jsonschema's full error listing."""
    resource: Resource[Schema] = Resource.from_contents(definitions(sversion))
    return resource @ Registry()
