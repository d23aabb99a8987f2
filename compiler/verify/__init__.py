"""Verify emitted objects against the official Kubernetes JSON schemas and wlc's CRD schemas.

The Kubernetes schemas come from the ``kubernetes-validate`` package (``kube``: its bundled
``-strict`` variants, read once), compiled into one validator per (schema version, apiVersion,
kind):

- a fast yes/no check compiled from the schema into nested closures (``compile``);
- only when the fast check fails, ``jsonschema`` (the same Draft 2020-12 validator
  kubernetes-validate uses, over the same files) walks the object again to report *every* error
  with its field path (``messages``). A test checks that both agree.

Custom resources wlc emits (Kubeflow jobs, Knative Service, KServe InferenceService) are checked
against wlc's own CRD schemas by ``crd``; other kinds without a schema are not errors here:
``unknown_kinds`` reports them.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import jsonschema  # type: ignore[import-untyped,unused-ignore]

from compiler.shapes import K8sObject
from compiler.verify import crd
from compiler.verify.compile import Check, Compiler, run_check
from compiler.verify.kube import (
    UnsupportedVersion,
    available_versions,
    definitions,
    kind_schema,
    registry,
    schema_version,
)
from compiler.verify.messages import FullValidator, error_messages

__all__ = ["UnsupportedVersion", "Validator", "available_versions", "describe", "run_check", "schema_version",
           "unknown_kinds", "validator_for", "verify_object", "verify_objects"]


@dataclass(frozen=True)
class Validator:
    """A compiled check for one kind: ``fast`` says valid or not, ``full`` lists every error."""

    kind: str
    api_version: str
    fast: Check
    sversion: str

    @property
    def full(self) -> FullValidator:
        """The jsonschema validator (built on first use: only failing objects need it)."""
        return _full_validator(self.sversion, self.api_version, self.kind)

    def errors(self, obj: K8sObject) -> list[str]:
        """Human messages, empty when the object is valid."""
        if run_check(self.fast, obj):
            return []
        return error_messages(self.full, obj)


@cache
def _compiler(sversion: str) -> Compiler:
    return Compiler(definitions(sversion)["$defs"])


@cache
def validator_for(version: str, api_version: str, kind: str) -> Validator | None:
    """The cached validator for a kind, or None when no bundled schema describes it."""
    sversion = schema_version(version)
    schema = kind_schema(sversion, api_version, kind)
    if schema is None:
        return None
    return Validator(kind, api_version, _compiler(sversion).node(schema), sversion)


@cache
def _full_validator(sversion: str, api_version: str, kind: str) -> FullValidator:
    validator: FullValidator = jsonschema.Draft202012Validator(kind_schema(sversion, api_version, kind),
                                                               registry=registry(sversion))
    return validator


def describe(obj: object) -> str:
    """``Kind/namespace/name`` of an object, for messages."""
    if not isinstance(obj, dict):
        return "<not an object>"
    raw = obj.get("metadata")
    meta: dict[str, object] = raw if isinstance(raw, dict) else {}
    ns = meta.get("namespace")
    name = meta.get("name", "?")
    return f"{obj.get('kind', '?')}/{f'{ns}/' if ns else ''}{name}"


def verify_object(obj: object, version: str) -> tuple[list[str], bool]:
    """(messages, known): messages name the object and the failing field path."""
    if not isinstance(obj, dict) or not isinstance(obj.get("apiVersion"), str) \
            or not isinstance(obj.get("kind"), str):
        return [f"{describe(obj)}: not a Kubernetes object (apiVersion and kind are required)"], True
    val = validator_for(version, obj["apiVersion"], obj["kind"])
    errors = val.errors(obj) if val is not None else crd.crd_errors(obj, version)
    if errors is None:
        return [], False
    return [f"{obj['apiVersion']} {describe(obj)}: {msg}" for msg in errors], True


def verify_objects(objs: list[K8sObject], version: str) -> list[str]:
    """Schema errors of built-in objects; objects of unknown kinds are skipped (see unknown_kinds)."""
    out: list[str] = []
    for obj in objs:
        out.extend(verify_object(obj, version)[0])
    return out


def unknown_kinds(objs: list[K8sObject], version: str) -> list[str]:
    """``apiVersion Kind/ns/name`` of every object that has no bundled schema (CRDs)."""
    out = []
    for obj in objs:
        if isinstance(obj, dict) and isinstance(obj.get("apiVersion"), str) \
                and isinstance(obj.get("kind"), str) \
                and validator_for(version, obj["apiVersion"], obj["kind"]) is None \
                and not crd.is_known(obj["apiVersion"], obj["kind"]):
            out.append(f"{obj['apiVersion']} {describe(obj)}")
    return out
