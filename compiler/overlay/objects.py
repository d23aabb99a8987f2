"""Overlay common labels and annotations, and object patches, on a workload's emitted objects.

Runs after lowering and ``bundle.finalize`` and before verification. Common labels and
annotations go on every object's ``metadata`` and on every pod template's ``metadata`` (never
on selectors, which are immutable). Object patches then apply in chain order to the objects
they select: a JSON Patch (RFC 6902) or a JSON Merge Patch (RFC 7386). A patch may not touch
the bundle contract: kind, apiVersion, name, namespace, the contract labels and annotations.
"""
from __future__ import annotations

import copy
import fnmatch
from collections.abc import Mapping

from .. import labels as L
from ..bundle import group_of
from ..model import Data
from ..problems import Problem
from ..shapes import K8sObject
from .chain import Chain, OverlayValue, Patch
from .jsonpatch import PatchError, apply_json_patch, apply_merge_patch

CONTRACT_LABELS = (L.MANAGED_BY, L.WORKLOAD, L.PROJECT, L.WORKLOAD_TYPE, L.PART_OF, L.APPLYSET_ID)
CONTRACT_ANNOTATIONS = (L.SPEC_HASH, L.SOURCE, L.APPLYSET_TOOLING, L.APPLYSET_GKS)
RESERVED = ("wlc.dev/", "applyset.kubernetes.io/", L.MANAGED_BY)

#: object index in the returned list → the patches that changed it
Touched = dict[int, list[Patch]]


def describe(obj: K8sObject) -> str:
    meta = obj.get("metadata") or {}
    return f"{obj.get('kind')} {meta.get('namespace', '')}/{meta.get('name', '')}"


def patch_objects(chain: Chain | None, objects: list[K8sObject]
                  ) -> tuple[list[K8sObject], Touched, list[Problem]]:
    """Common labels/annotations, then object patches; objects that fail keep no partial change."""
    if chain is None:
        return objects, {}, []
    problems = check_common(chain)
    if problems:
        return objects, {}, problems
    out = [add_common(chain, obj) for obj in objects]
    touched: Touched = {}
    for patch in chain.object_patches:
        for i, obj in enumerate(out):
            if not selects_object(patch.select, obj):
                continue
            new, errors = patch_object(patch, obj)
            problems.extend(errors)
            if not errors and new != obj:
                out[i] = new
                touched.setdefault(i, []).append(patch)
    return out, touched, problems


def check_common(chain: Chain) -> list[Problem]:
    """Common labels/annotations may not set the keys of the bundle contract."""
    out = []
    for what, table in (("label", chain.labels), ("annotation", chain.annotations)):
        for key, setting in table.items():
            if key.startswith(RESERVED):
                out.append(_at(setting, "overlay.contract",
                               f'overlay "{setting.overlay}": common {what} {key} would change the bundle '
                               "contract (wlc.dev/, applyset.kubernetes.io/ and managed-by keys are wlc's own)"))
    return out


def _at(setting: OverlayValue, code: str, message: str) -> Problem:
    return Problem(setting.file, setting.line, setting.col, code, message)


def add_common(chain: Chain, obj: K8sObject) -> K8sObject:
    """A copy of ``obj`` with the chain's common labels and annotations."""
    if not chain.labels and not chain.annotations:
        return obj
    obj = copy.deepcopy(obj)
    labels = {k: str(s.value) for k, s in chain.labels.items()}
    notes = {k: str(s.value) for k, s in chain.annotations.items()}
    for meta in [obj.setdefault("metadata", {})] + [t.setdefault("metadata", {}) for t in pod_templates(obj)]:
        if labels:
            meta["labels"] = {**(meta.get("labels") or {}), **labels}
        if notes:
            meta["annotations"] = {**(meta.get("annotations") or {}), **notes}
    return obj


def pod_templates(obj: object) -> list[K8sObject]:
    """Every pod template inside ``obj`` (a ``template`` map whose spec has containers)."""
    found: list[K8sObject] = []
    _walk(obj.get("spec") if isinstance(obj, dict) else None, found)
    return found


def _walk(node: object, found: list[K8sObject]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "template" and isinstance(value, dict) and isinstance(value.get("spec"), dict) \
                    and isinstance(value["spec"].get("containers"), list):
                found.append(value)
            _walk(value, found)
    elif isinstance(node, list):
        for item in node:
            _walk(item, found)


def selects_object(select: dict[str, Data], obj: K8sObject) -> bool:
    """Group and kind exactly, name and namespace as globs, labels exactly; all must hold."""
    meta = obj.get("metadata") or {}
    have = meta.get("labels") or {}
    labels = select.get("labels")
    return (("group" not in select or select["group"] == group_of(obj))
            and ("kind" not in select or select["kind"] == obj.get("kind"))
            and ("name" not in select or fnmatch.fnmatchcase(str(meta.get("name", "")), str(select["name"])))
            and ("namespace" not in select
                 or fnmatch.fnmatchcase(str(meta.get("namespace", "")), str(select["namespace"])))
            and all(have.get(k) == str(v) for k, v in (labels if isinstance(labels, dict) else {}).items()))


def patch_object(patch: Patch, obj: K8sObject) -> tuple[K8sObject, list[Problem]]:
    """The patched object, or ``obj`` and the problem naming the patch."""
    body = patch.body
    try:
        if "jsonPatch" in body:
            ops = body["jsonPatch"]
            new = apply_json_patch(obj, [op if isinstance(op, dict) else {} for op in
                                         (ops if isinstance(ops, list) else [])])
        else:
            new = apply_merge_patch(obj, body["mergePatch"])
    except PatchError as err:
        return obj, [patch.problem("overlay.json-patch", f"{patch.label()} cannot be applied to "
                                   f"{describe(obj)}: operation {err.index + 1}: {err.message}",
                                   ("jsonPatch", err.index))]
    if not isinstance(new, dict):
        return obj, [patch.problem("overlay.contract", f"{patch.label()} turns {describe(obj)} into "
                                   "something that is not an object")]
    broken = contract_changes(obj, new)
    if broken:
        return obj, [patch.problem("overlay.contract", f"{patch.label()} breaks the bundle contract of "
                                   f"{describe(obj)}: " + "; ".join(broken))]
    return new, []


def _contract(obj: K8sObject) -> dict[str, object]:
    meta = _map(obj.get("metadata"))
    labels, notes = _map(meta.get("labels")), _map(meta.get("annotations"))
    out: dict[str, object] = {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"),
                           "metadata.name": meta.get("name"), "metadata.namespace": meta.get("namespace")}
    out.update({f"label {k}": labels.get(k) for k in CONTRACT_LABELS})
    out.update({f"annotation {k}": notes.get(k) for k in CONTRACT_ANNOTATIONS})
    return out


def _map(value: object) -> K8sObject:
    return value if isinstance(value, dict) else {}


def contract_changes(before: K8sObject, after: K8sObject) -> list[str]:
    """What a patch changed of the bundle contract, in words (empty when nothing)."""
    old, new = _contract(before), _contract(after)
    out = []
    for key in old:
        if old[key] == new[key]:
            continue
        if new[key] is None:
            out.append(f"removes {key}")
        elif old[key] is None:
            out.append(f"adds {key}")
        else:
            out.append(f"changes {key} from {old[key]!r} to {new[key]!r}")
    return out


def verify_patched(objects: list[K8sObject], touched: Touched,
                   messages: Mapping[int, list[str]]) -> list[Problem]:
    """Schema errors of patched objects (``messages``: object index → what the Kubernetes schema
    check says of it), each reported at the last patch that changed the object."""
    out = []
    for i in sorted(touched):
        if not messages.get(i):
            continue
        patches = touched[i]
        names = ", ".join(p.label() for p in patches[:-1])
        also = f" (also changed by {names})" if names else ""
        for message in messages[i]:
            out.append(patches[-1].problem("overlay.schema", f"{patches[-1].label()} makes {describe(objects[i])} "
                                           f"fail the Kubernetes schema{also}: {message}"))
    return out
