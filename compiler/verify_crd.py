"""Verify emitted custom resources (Kubeflow jobs, Knative Service, KServe InferenceService)
against wlc's own CRD schemas in ``schemas/crds/`` (written by ``schemas/crds/make.py``).

The CRD schemas ``$ref`` the official Kubernetes definitions (PodTemplateSpec, Container...) of
kubernetes-validate, so a pod template inside a PyTorchJob is checked as strictly as one inside a
Job, for the target's Kubernetes version. Like ``compiler.verify``: a fast yes/no check compiled
once per (schema version, kind) into closures — ``verify._Compiler`` extended with the keywords
the CRD schemas use (``const``, ``pattern``, ``min/maxLength``, ``minimum``/``maximum``,
``minItems``, ``minProperties``, ``contains`` with ``min/maxContains``, ``allOf``, ``anyOf``,
``not``) — and ``jsonschema`` only to list the errors of an object that fails.
"""
from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped,unused-ignore]

from compiler import verify
from compiler.schemas import ecma_pattern

CRD_DIR = Path(__file__).resolve().parent.parent / "schemas" / "crds"


@cache
def crd_index() -> dict[tuple[str, str], Path]:
    """(apiVersion, kind) → schema file, from each file's x-kubernetes-group-version-kind."""
    out: dict[tuple[str, str], Path] = {}
    for path in sorted(CRD_DIR.glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            out[(f"{gvk['group']}/{gvk['version']}", gvk["kind"])] = path
    return out


@cache
def _schema(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


class _CrdCompiler(verify._Compiler):
    """``verify._Compiler`` plus the validation keywords of the CRD schemas. Local ``#/$defs``
    refs resolve in the CRD file, ``/api/_definitions.json`` refs in the Kubernetes file."""

    def __init__(self, k8s_defs: dict[str, Any], local_defs: dict[str, Any]) -> None:
        super().__init__(k8s_defs)
        self.local = local_defs
        self.local_refs: dict[str, Any] = {}

    def ref(self, target: str) -> Any:
        name = target[len("#/$defs/"):] if target.startswith("#/$defs/") else ""
        if name not in self.local:  # Kubernetes definitions refer to each other with #/$defs/ too
            return super().ref(target)
        if name not in self.local_refs:
            cell: list[Any] = []
            self.local_refs[name] = lambda v: verify._run(cell[0], v)
            cell.append(self.node(self.local[name]))
            self.local_refs[name] = cell[0]
        return self.local_refs[name]

    def node(self, schema: dict[str, Any]) -> Any:
        checks = [super().node(schema)]
        checks.extend(self._extra(schema))
        return verify._combine(checks)

    def _extra(self, schema: dict[str, Any]) -> list[Any]:
        out: list[Any] = []
        if "const" in schema:
            const = schema["const"]
            out.append(lambda v: v == const and type(v) is type(const))
        if "pattern" in schema:
            rx = re.compile(ecma_pattern(schema["pattern"]))
            out.append(lambda v: not isinstance(v, str) or rx.search(v) is not None)
        if "maxLength" in schema or "minLength" in schema:
            lo, hi = schema.get("minLength", 0), schema.get("maxLength", 1 << 30)
            out.append(lambda v: not isinstance(v, str) or lo <= len(v) <= hi)
        if "minimum" in schema or "maximum" in schema:
            low, high = schema.get("minimum"), schema.get("maximum")
            out.append(lambda v: not _number(v) or ((low is None or v >= low)
                                                    and (high is None or v <= high)))
        if "minItems" in schema:
            n = schema["minItems"]
            out.append(lambda v: not isinstance(v, list) or len(v) >= n)
        if "minProperties" in schema:
            m = schema["minProperties"]
            out.append(lambda v: not isinstance(v, dict) or len(v) >= m)
        if "contains" in schema:
            out.append(self._contains(schema))
        for sub in schema.get("allOf", []):
            out.append(self.node(sub))
        if "anyOf" in schema:
            subs = [verify._as_function(self.node(s)) for s in schema["anyOf"]]
            out.append(lambda v: any(s(v) for s in subs))
        if "not" in schema:
            negated = verify._as_function(self.node(schema["not"]))
            out.append(lambda v: not negated(v))
        return out

    def _contains(self, schema: dict[str, Any]) -> Any:
        item = verify._as_function(self.node(schema["contains"]))
        low, high = schema.get("minContains", 1), schema.get("maxContains", 1 << 30)

        def check(v: Any) -> bool:
            if not isinstance(v, list):
                return True
            found: int = sum(1 for x in v if item(x))
            return bool(low <= found <= high)
        return check


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


@cache
def _compiled(sversion: str, path: Path) -> Any:
    schema = _schema(path)
    compiler = _CrdCompiler(verify._definitions(sversion)["$defs"], schema.get("$defs", {}))
    return compiler.node(schema)


@cache
def _full(sversion: str, path: Path) -> Any:
    return jsonschema.Draft202012Validator(_schema(path), registry=verify._full_registry(sversion))


def is_known(api_version: str, kind: str) -> bool:
    return (api_version, kind) in crd_index()


def crd_errors(obj: dict[str, Any], version: str) -> list[str] | None:
    """Messages for a custom resource (empty when valid); None when wlc has no schema for it."""
    path = crd_index().get((str(obj.get("apiVersion")), str(obj.get("kind"))))
    if path is None:
        return None
    sversion = verify.schema_version(version)
    if bool(verify._run(_compiled(sversion, path), obj)):
        return []
    out = []
    for err in sorted(_full(sversion, path).iter_errors(obj), key=lambda e: [str(p) for p in e.absolute_path]):
        out.append(f"{verify._field_path(err.absolute_path)}: {verify._short(err.message)}")
    return out or ["object rejected by the schema"]
