"""Stage 11, emit: canonical YAML files, one per workload, and index.json.

Serialization is an output contract (compiler/yamlout.py): map keys sorted, list order kept,
block style, and every string written so that YAML 1.1, YAML 1.2 and Go readers all read back
exactly that string.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

from . import orgbundle
from .bundle import group_of
from .problems import Problem
from .yamlout import EmitError, dump_document, dump_documents, reread_mismatch, scalar

__all__ = ["WorkloadBundle", "dump_document", "dump_documents", "duplicate_objects", "index_document",
           "render", "scalar", "text_hash"]


def reread_enabled() -> bool:
    """WLC_EMIT_REREAD=1: parse every emitted file back and compare it with the verified objects
    (off by default: it costs more than half a build, docs/trust.md has the figures)."""
    return os.environ.get("WLC_EMIT_REREAD", "") == "1"


def text_hash(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@dataclass
class WorkloadBundle:
    """The emitted objects of one workload, with what index.json says of it."""

    name: str
    namespace: str
    project: str
    kind: str
    source: str
    spec_hash: str
    active: bool
    applyset: str
    objects: list[dict[str, Any]]
    #: line of the workload's metadata.name in its source file
    line: int = 1
    #: each object's canonical YAML document and index entry, filled by ``seal``
    docs: list[str] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)
    #: ``bug.emit`` problems found while sealing (reported with the bundle checks)
    problems: list[Problem] = field(default_factory=list)

    @property
    def relpath(self) -> str:
        return f"{self.namespace}/{self.name}.yaml"

    def seal(self, drop_objects: bool = False) -> None:
        """Serialize once; a sealed bundle may drop its objects (parallel builds ship text)."""
        if not self.docs and not self.problems:
            self.docs, self.problems = _serialize(self)
            self.entries = [_object_entry(o, t) for o, t in zip(self.objects, self.docs)]
        if drop_objects:
            self.objects = []

    def emit_bug(self, message: str) -> Problem:
        return Problem(self.source, self.line, 1, "bug.emit",
                       f"compiler bug: workload {self.name!r} cannot be written faithfully: {message}")


def _serialize(b: WorkloadBundle) -> tuple[list[str], list[Problem]]:
    """The canonical documents of ``b``'s objects; a bug.emit problem instead when an object has
    no faithful YAML form or (with WLC_EMIT_REREAD=1) its text reads back as something else."""
    try:
        docs = [dump_document(o) for o in b.objects]
    except EmitError as err:
        return [], [b.emit_bug(str(err))]
    mismatch = reread_mismatch(b.objects, docs) if reread_enabled() else None
    return docs, ([] if mismatch is None else [b.emit_bug(mismatch)])


def duplicate_objects(bundles: list[WorkloadBundle]) -> list[Problem]:
    """The checks of the sealed bundles: what could not be serialized faithfully (``bug.emit``),
    and two workloads emitting one object (same group, kind, namespace and name), which would
    prune and overwrite each other: an error on the later workload (by source path)."""
    owners: dict[tuple[str, str, str, str], WorkloadBundle] = {}
    out: list[Problem] = []
    for b in sorted(bundles, key=lambda b: (b.source, b.line)):
        b.seal()
        out.extend(b.problems)
        for e in b.entries:
            key = (e["group"], e["kind"], e["namespace"], e["name"])
            first = owners.setdefault(key, b)
            if first is not b and (first.namespace, first.name) != (b.namespace, b.name):  # else reported as a duplicate workload
                kind = f"{e['kind']}.{e['group']}" if e["group"] else e["kind"]
                out.append(Problem(b.source, b.line, 1, "bundle.duplicate-object",
                                   f'{kind} "{e["name"]}" in namespace {e["namespace"]} is emitted by workload '
                                   f'"{b.name}" and by workload "{first.name}" ({first.source}:{first.line}); '
                                   "every object belongs to exactly one workload"))
    return out


def index_document(overlay: str, target: dict[str, Any], bundles: list[WorkloadBundle],
                   texts: dict[str, str], excluded: list[dict[str, str]] | None = None,
                   organisation: dict[str, Any] | None = None) -> str:
    """index.json: every workload, its objects (group, version, kind, namespace, name) and the
    sha256 of each object's canonical YAML document and of the workload's file."""
    entries = []
    for b in sorted(bundles, key=lambda b: (b.namespace, b.name)):
        entries.append({
            "name": b.name, "namespace": b.namespace, "project": b.project, "type": b.kind,
            "source": b.source, "file": b.relpath, "active": b.active, "specHash": b.spec_hash,
            "applyset": b.applyset,
            "fileHash": text_hash(texts[b.relpath]),
            "objects": b.entries,
        })
    doc: dict[str, Any] = {"apiVersion": "wlc.dev/v1alpha1", "kind": "BundleIndex", "overlay": overlay,
                           "target": target, "workloads": entries}
    if organisation:
        doc["organisation"] = organisation
    if excluded:
        doc["excluded"] = sorted(excluded, key=lambda e: (e["namespace"], e["name"]))
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _object_entry(obj: dict[str, Any], text: str) -> dict[str, Any]:
    api = str(obj.get("apiVersion", ""))
    meta = obj.get("metadata") or {}
    return {"group": group_of(obj), "version": api.rsplit("/", 1)[-1], "kind": obj.get("kind"),
            "namespace": meta.get("namespace", ""), "name": meta.get("name"), "hash": text_hash(text)}


def render(overlay: str, target: dict[str, Any], bundles: list[WorkloadBundle],
           excluded: list[dict[str, str]] | None = None,
           organisation: list[orgbundle.OrgFile] | None = None) -> dict[str, str]:
    """Every file of one overlay's bundle folder: relative path → text (the organisation's
    files under ``_organisation/``)."""
    for b in bundles:
        b.seal()
    texts = {b.relpath: "".join(b.docs) for b in bundles}
    org = orgbundle.seal(organisation or [])
    texts.update(org)
    entry = orgbundle.index_entry(organisation, texts, text_hash) if organisation else None
    texts["index.json"] = index_document(overlay, target, bundles, texts, excluded, entry)
    return texts

