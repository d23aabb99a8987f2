"""The shapes of the values the back half of the pipeline passes around, named once.

- ``K8sObject``: a Kubernetes object, or a piece of one (a pod template, a container, a
  volume), as lowering builds it: a JSON-like mapping. Its real schema is the official one,
  which ``compiler.verify`` checks every emitted object against; the alias keeps that fact in
  one place instead of ``dict[str, Any]`` on every signature.
- ``YamlMap``: a mapping as it came from YAML (a document, its ``metadata`` or ``spec``):
  string keys, values of any type; the normalize stage reads Run:ai documents through it and
  checks every value it converts.
- ``SpecTree``: a workload's ``spec`` field tree as it came from YAML (the input edge): any
  value may sit anywhere until lowering reads it through ``Ctx.get`` / ``Ctx.items``, which
  check the type of what they hand out.
"""
from __future__ import annotations

from typing import Any

K8sObject = dict[str, Any]
SpecTree = dict[str, Any]
YamlMap = dict[str, Any]
