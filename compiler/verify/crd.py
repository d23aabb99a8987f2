"""Verify emitted custom resources (Kubeflow jobs, Knative Service, KServe InferenceService)
against wlc's own CRD schemas in ``schemas/crds/`` (written by ``schemas/crds/make.py``; found
with ``compiler.resources``, so an installed wheel checks them exactly as a checkout does).

The CRD schemas ``$ref`` the official Kubernetes definitions (PodTemplateSpec, Container...) of
kubernetes-validate, so a pod template inside a PyTorchJob is checked as strictly as one inside a
Job, for the target's Kubernetes version. As for built-in kinds: a fast yes/no check compiled
once per (schema version, kind) (``Compiler`` with the CRD's ``$defs``, which adds the keywords
the CRD schemas use), and ``jsonschema`` only to list the errors of an object that fails.
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import jsonschema  # type: ignore[import-untyped,unused-ignore]

from compiler.resources import resource
from compiler.verify import kube
from compiler.verify.compile import Check, Compiler, Schema, run_check
from compiler.verify.messages import FullValidator, error_messages


@cache
def crd_index() -> dict[tuple[str, str], Path]:
    """(apiVersion, kind) → schema file, from each file's x-kubernetes-group-version-kind."""
    out: dict[tuple[str, str], Path] = {}
    for path in sorted(resource("schemas", "crds").glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            out[(f"{gvk['group']}/{gvk['version']}", gvk["kind"])] = path
    return out


@cache
def _schema(path: Path) -> Schema:
    data: Schema = json.loads(path.read_text(encoding="utf-8"))
    return data


@cache
def _compiled(sversion: str, path: Path) -> Check:
    schema = _schema(path)
    return Compiler(kube.definitions(sversion)["$defs"], schema.get("$defs", {})).node(schema)


@cache
def _full(sversion: str, path: Path) -> FullValidator:
    validator: FullValidator = jsonschema.Draft202012Validator(_schema(path), registry=kube.registry(sversion))
    return validator


def is_known(api_version: str, kind: str) -> bool:
    return (api_version, kind) in crd_index()


def crd_errors(obj: dict[str, object], version: str) -> list[str] | None:
    """Messages for a custom resource (empty when valid); None when wlc has no schema for it."""
    path = crd_index().get((str(obj.get("apiVersion")), str(obj.get("kind"))))
    if path is None:
        return None
    sversion = kube.schema_version(version)
    if run_check(_compiled(sversion, path), obj):
        return []
    return error_messages(_full(sversion, path), obj)
