"""Stage 9, emit: canonical YAML files, one per workload, and index.json.

Serialization is an output contract: map keys sorted, list order kept, block style, and any
string that a YAML 1.1 or YAML 1.2 reader would take for something else is quoted.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .bundle import group_of
from .problems import Problem

# Plain scalars a YAML 1.2 (core schema) reader types differently from a YAML 1.1 reader, or
# that either reads as something other than a string: these are always quoted.
_AMBIGUOUS = re.compile(
    r"""^(?:[-+]?(?:0o[0-7]+|0x[0-9a-fA-F]+|0b[01_]+|[0-9][0-9_]*|[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?)
    |[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)
    |y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
    |null|Null|NULL|~|=|<<|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*)$""",
    re.VERBOSE,
)
# What may stand unquoted: printable ASCII without YAML indicators where they would matter.
_PLAIN = re.compile(r"^[A-Za-z0-9_./$^(]([A-Za-z0-9_./$^()@%=+,;~\[\]{}<>!?*&|'\"` -]|:(?! )|#(?<! #))*$")
_PLAIN_DASH = re.compile(r"^-[A-Za-z0-9_./=-]")


def scalar(value: Any) -> str:
    """One scalar in canonical form (YAML 1.1 and 1.2 readers agree on its type and value)."""
    if isinstance(value, str):
        return _string(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    raise TypeError(f"cannot serialize {type(value).__name__}")


@lru_cache(maxsize=1 << 16)
def _string(value: str) -> str:
    if (value and value[-1] != " " and not value.endswith(":") and not _AMBIGUOUS.match(value)
            and (_PLAIN.match(value) or _PLAIN_DASH.match(value)) and " #" not in value):
        return value
    if value.isprintable():
        return "'" + value.replace("'", "''") + "'"
    return json.dumps(value, ensure_ascii=False)


def _float(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if value in (float("inf"), float("-inf")):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    if "e" in text and "." not in text.split("e")[0]:
        mantissa, exp = text.split("e")
        text = f"{mantissa}.0e{exp}"
    return text


def _block(value: Any, indent: int, out: list[str]) -> None:
    """Append the lines of a non-empty mapping or sequence at ``indent``."""
    pad = " " * indent
    if isinstance(value, dict):
        for key in sorted(value):
            _entry(pad + _string(str(key)) + ":", value[key], indent, out, indentless=True)
    else:
        for item in value:
            if isinstance(item, dict) and item:
                inner: list[str] = []
                _block(item, indent + 2, inner)
                out.append(pad + "- " + inner[0][indent + 2:])
                out.extend(inner[1:])
            else:
                _entry(pad + "-", item, indent, out, indentless=False)


def _entry(head: str, value: Any, indent: int, out: list[str], indentless: bool) -> None:
    if isinstance(value, (dict, list)) and value:
        out.append(head)
        _block(value, indent if indentless and isinstance(value, list) else indent + 2, out)
    elif isinstance(value, dict):
        out.append(head + " {}")
    elif isinstance(value, list):
        out.append(head + " []")
    else:
        out.append(head + " " + scalar(value))


def dump_document(obj: dict[str, Any]) -> str:
    """One object as a YAML document starting with ---."""
    out = ["---"]
    if obj:
        _block(obj, 0, out)
    else:
        out.append("{}")
    return "\n".join(out) + "\n"


def dump_documents(objects: list[dict[str, Any]]) -> str:
    """Multi-document YAML for a list of objects."""
    return "".join(dump_document(o) for o in objects)


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

    @property
    def relpath(self) -> str:
        return f"{self.namespace}/{self.name}.yaml"

    def seal(self, drop_objects: bool = False) -> None:
        """Serialize once; a sealed bundle may drop its objects (parallel builds ship text)."""
        if not self.docs:
            self.docs = [dump_document(o) for o in self.objects]
            self.entries = [_object_entry(o, t) for o, t in zip(self.objects, self.docs)]
        if drop_objects:
            self.objects = []


def duplicate_objects(bundles: list[WorkloadBundle]) -> list[Problem]:
    """Two workloads emitting one object (same group, kind, namespace and name) would prune and
    overwrite each other: an error on the later workload (by source path)."""
    owners: dict[tuple[str, str, str, str], WorkloadBundle] = {}
    out: list[Problem] = []
    for b in sorted(bundles, key=lambda b: (b.source, b.line)):
        b.seal()
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
                   texts: dict[str, str], excluded: list[dict[str, str]] | None = None) -> str:
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
    if excluded:
        doc["excluded"] = sorted(excluded, key=lambda e: (e["namespace"], e["name"]))
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _object_entry(obj: dict[str, Any], text: str) -> dict[str, Any]:
    api = str(obj.get("apiVersion", ""))
    meta = obj.get("metadata") or {}
    return {"group": group_of(obj), "version": api.rsplit("/", 1)[-1], "kind": obj.get("kind"),
            "namespace": meta.get("namespace", ""), "name": meta.get("name"), "hash": text_hash(text)}


def render(overlay: str, target: dict[str, Any], bundles: list[WorkloadBundle],
           excluded: list[dict[str, str]] | None = None) -> dict[str, str]:
    """Every file of one overlay's bundle folder: relative path → text."""
    for b in bundles:
        b.seal()
    texts = {b.relpath: "".join(b.docs) for b in bundles}
    texts["index.json"] = index_document(overlay, target, bundles, texts, excluded)
    return texts

