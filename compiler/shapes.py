"""The shapes of the values the back half of the pipeline passes around, named once.

- ``K8sObject``: a Kubernetes object, or a piece of one (a pod template, a container, a
  volume), as lowering builds it: a JSON-like mapping. Its real schema is the official one,
  which ``compiler.verify`` checks every emitted object against; the alias keeps that fact in
  one place instead of ``dict[str, Any]`` on every signature. Pieces whose keys wlc reads
  back after building them have a ``TypedDict`` (``EnvVar``, ``ServicePort``).
- ``YamlMap``: a mapping as it came from YAML (a document, its ``metadata`` or ``spec``):
  string keys, values of any type; the normalize stage reads Run:ai documents through it and
  checks every value it converts.
- ``SpecTree``: a workload's ``spec`` field tree (or a section or item of it): plain data on
  the docs/spec.md field tree, as YAML gives it and resolution merges it (``ResolvedWorkload.spec``).
  Its values are ``object``, so whoever reads one checks its type first, as lowering does
  (``Ctx.get`` / ``Ctx.items``).
"""
from __future__ import annotations

from typing import Any, NotRequired, TypedDict

K8sObject = dict[str, Any]


class EnvVar(TypedDict):
    """A container's environment variable: a ``value`` or a ``valueFrom`` source."""

    name: str
    value: NotRequired[str]
    valueFrom: NotRequired[K8sObject]


class ServicePort(TypedDict):
    """One port of a Service (``nodePort`` on NodePort Services with a fixed node port)."""

    name: str
    port: int
    targetPort: int
    protocol: str
    nodePort: NotRequired[int]
SpecTree = dict[str, object]
YamlMap = dict[str, object]
