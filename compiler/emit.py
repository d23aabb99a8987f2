"""Stage 9, emit: canonical YAML files, one per workload, and index.json.

Serialization is an output contract: map keys sorted, list order kept, block style, and any
string that a YAML 1.1 or YAML 1.2 reader would take for something else is quoted.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any

import yaml

from .bundle import canonical_json, group_of

try:
    _BaseDumper: Any = yaml.CSafeDumper
except AttributeError:  # pragma: no cover
    _BaseDumper = yaml.SafeDumper

# Plain scalars a YAML 1.2 (core schema) reader types differently from a YAML 1.1 reader, or
# that PyYAML's 1.1 resolver does not catch: quote them all.
_AMBIGUOUS = re.compile(
    r"""^(?:[-+]?(?:0o[0-7]+|0x[0-9a-fA-F]+|[0-9][0-9_]*|[0-9]+(?::[0-5]?[0-9])+)
    |[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)
    |y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
    |null|Null|NULL|~|=|<<|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*)$""",
    re.VERBOSE,
)


class _Dumper(_BaseDumper):  # type: ignore[misc]
    pass


def _str(dumper: Any, value: str) -> Any:
    style = "'" if _AMBIGUOUS.match(value) or value == "" else None
    if "\n" in value:
        style = "|"
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_documents(objects: list[dict[str, Any]]) -> str:
    """Multi-document YAML for a list of objects (each document starts with ---)."""
    return yaml.dump_all(objects, Dumper=_Dumper, sort_keys=True, default_flow_style=False,
                         explicit_start=True, allow_unicode=True, width=1 << 16)


def object_hash(obj: dict[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(obj).encode()).hexdigest()


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

    @property
    def relpath(self) -> str:
        return f"{self.namespace}/{self.name}.yaml"


def index_document(overlay: str, target: dict[str, Any], bundles: list[WorkloadBundle],
                   texts: dict[str, str]) -> str:
    entries = []
    for b in sorted(bundles, key=lambda b: (b.namespace, b.name)):
        entries.append({
            "name": b.name, "namespace": b.namespace, "project": b.project, "type": b.kind,
            "source": b.source, "file": b.relpath, "active": b.active, "specHash": b.spec_hash,
            "applyset": b.applyset,
            "fileHash": "sha256:" + hashlib.sha256(texts[b.relpath].encode()).hexdigest(),
            "objects": [_object_entry(o) for o in b.objects],
        })
    doc = {"apiVersion": "wlc.dev/v1alpha1", "kind": "BundleIndex", "overlay": overlay,
           "target": target, "workloads": entries}
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _object_entry(obj: dict[str, Any]) -> dict[str, Any]:
    api = str(obj.get("apiVersion", ""))
    meta = obj.get("metadata") or {}
    return {"group": group_of(obj), "version": api.rsplit("/", 1)[-1], "kind": obj.get("kind"),
            "namespace": meta.get("namespace", ""), "name": meta.get("name"), "hash": object_hash(obj)}


def render(overlay: str, target: dict[str, Any], bundles: list[WorkloadBundle]) -> dict[str, str]:
    """Every file of one overlay's bundle folder: relative path → text."""
    texts = {b.relpath: dump_documents(b.objects) for b in bundles}
    texts["index.json"] = index_document(overlay, target, bundles, texts)
    return texts


def write_tree(folder: FsPath, texts: dict[str, str]) -> None:
    """Replace ``folder`` with exactly these files (written beside it, then swapped in)."""
    tmp = folder.with_name(folder.name + ".tmp-wlc")
    if tmp.exists():
        shutil.rmtree(tmp)
    for rel in sorted(texts):
        path = tmp / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(texts[rel].encode("utf-8"))
    if folder.exists():
        shutil.rmtree(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, folder)
