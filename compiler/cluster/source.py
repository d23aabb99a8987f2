"""The desired state of a sync: a bundle as ``wlc build`` writes it, every hash checked.

``read_bundle(DIR, overlay)`` reads ``DIR/<overlay>/index.json`` and the workload files;
``bundle_from_texts(texts)`` takes the same files as a mapping (relative path -> text, what
``emit.render`` returns), so an in-memory build gives the same ``Bundle`` without a folder.
The organisation (index.json's ``organisation``: ``_organisation/*.yaml``) is read into one more
group, ``Bundle.organisation``: its parent (ConfigMap ``default/wlc-organisation-applyset``)
and its members, cluster-scoped or in the project namespaces, in the bundle's apply order.
Any mismatch between the index and the files is a problem and the whole bundle is refused:
nothing of it may be applied or pruned.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import labels as L
from ..problems import Problem
from . import bundleyaml

INDEX = "index.json"
#: the line breaks str.splitlines knows: a document starts at a line that is exactly "---" (after
#: one of them, before "\n" or the end), after the first line
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
#: the name of the organisation's group in a Bundle and a Plan (no workload can be named so)
ORGANISATION = "_organisation"


@dataclass(frozen=True)
class DesiredObject:
    group: str
    version: str
    kind: str
    namespace: str
    name: str
    body: dict[str, Any]

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_kind(self) -> str:
        return f"{self.kind}.{self.group}" if self.group else self.kind

    def ref(self) -> str:
        return f"{self.group_kind} {self.namespace}/{self.name}" if self.namespace else f"{self.group_kind} {self.name}"


@dataclass(frozen=True)
class DesiredWorkload:
    name: str
    namespace: str
    project: str
    type: str
    source: str
    spec_hash: str
    active: bool
    applyset: str
    parent: DesiredObject
    members: tuple[DesiredObject, ...]

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)

    def group_kinds(self) -> set[str]:
        return {m.group_kind for m in self.members}


@dataclass(frozen=True)
class Bundle:
    overlay: str
    workloads: tuple[DesiredWorkload, ...]
    #: the git revision it was built from, when known (recorded on the parents)
    revision: str = ""
    #: the organisation (namespaces, access, queues): None when the bundle has none (the sync
    #: then neither applies nor prunes organisation objects)
    organisation: DesiredWorkload | None = None


class BundleRefused(Exception):
    """The bundle does not match its index (or cannot be read): its problems say why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the bundle")
        self.problems = problems


def _sha256(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def overlay_folder(root: Path, overlay: str | None) -> Path:
    """DIR/<overlay>, or without --overlay: DIR itself when it holds index.json, else DIR/base."""
    if overlay is not None:
        return root / overlay
    return root if (root / INDEX).is_file() else root / "base"


def read_bundle(root: Path, overlay: str | None = None) -> Bundle:
    folder = overlay_folder(root, overlay)
    index_path = folder / INDEX
    try:
        index_text = index_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise BundleRefused([Problem(str(index_path), 0, 0, "sync.bundle-unreadable",
                                     f"cannot read the bundle index: {err}")]) from None
    texts = {INDEX: index_text}
    problems: list[Problem] = []
    for rel in _listed_files(index_text):
        try:
            texts[rel] = (folder / rel).read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as err:
            problems.append(Problem(str(folder / rel), 0, 0, "sync.bundle-unreadable", f"cannot read: {err}"))
    if problems:
        raise BundleRefused(problems)
    return bundle_from_texts(texts, label=str(folder))


def _listed_files(index_text: str) -> list[str]:
    try:
        data = json.loads(index_text)
        org = (data.get("organisation") or {}).get("files") or []
        return [str(w["file"]) for w in [*data["workloads"], *org] if _safe_rel(str(w["file"]))]
    except (ValueError, KeyError, TypeError):
        return []  # bundle_from_texts reports the broken index


def _safe_rel(rel: str) -> bool:
    parts = Path(rel).parts
    return bool(parts) and not Path(rel).is_absolute() and ".." not in parts


def bundle_from_texts(texts: dict[str, str], label: str = "<bundle>") -> Bundle:
    """Check and parse one overlay's bundle files (relative path -> text)."""
    where = f"{label}/{INDEX}"
    try:
        index = json.loads(texts[INDEX])
        overlay = str(index["overlay"])
        entries = list(index["workloads"])
    except (KeyError, ValueError, TypeError) as err:
        raise BundleRefused([Problem(where, 0, 0, "sync.bundle-index", f"not a wlc bundle index: {err}")]) from None
    problems: list[Problem] = []
    workloads = []
    for entry in entries:
        found = _workload(entry, texts, label, problems)
        if found is not None:
            workloads.append(found)
    org = _organisation(index.get("organisation"), texts, label, problems)
    if problems:
        raise BundleRefused(problems)
    return Bundle(overlay, tuple(workloads), organisation=org)


def split_documents(text: str) -> list[str]:
    """The YAML documents of a bundle file, each starting with its ``---`` line (a line that is
    exactly ``---``; text before the first one is a document too)."""
    if not text:
        return []
    starts = [0]
    at = text.find("---", 1)
    while at >= 0:  # str.find, not a regex: a look-behind tried at every position took 70 ms at 1,000 workloads
        end = at + 3
        if text[at - 1] in _LINE_BREAKS and (end == len(text) or text[end] == "\n"):
            starts.append(at)
        at = text.find("---", at + 1)
    return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)])]


def _workload(entry: Any, texts: dict[str, str], label: str, problems: list[Problem]) -> DesiredWorkload | None:
    try:
        rel = str(entry["file"])
        objects = list(entry["objects"])
        name, namespace, applyset = str(entry["name"]), str(entry["namespace"]), str(entry["applyset"])
    except (KeyError, TypeError) as err:
        problems.append(Problem(f"{label}/{INDEX}", 0, 0, "sync.bundle-index", f"workload entry without {err}"))
        return None
    good = _file_objects(rel, objects, entry.get("fileHash"), texts, label, problems)
    if good is None or not _contract_ok(good, applyset, f"{label}/{rel}", problems):
        return None
    return DesiredWorkload(name, namespace, str(entry.get("project", "")), str(entry.get("type", "")),
                           str(entry.get("source", "")), str(entry.get("specHash", "")),
                           bool(entry.get("active", True)), applyset, good[0], tuple(good[1:]))


def _file_objects(rel: str, objects: list[Any], file_hash: Any, texts: dict[str, str], label: str,
                  problems: list[Problem]) -> list[DesiredObject] | None:
    """The objects of one bundle file, each checked against its index entry (None: refused)."""
    where = f"{label}/{rel}"
    text = texts.get(rel) if _safe_rel(rel) else None
    if text is None:
        problems.append(Problem(where, 0, 0, "sync.bundle-missing", "listed in index.json but not in the bundle"))
        return None
    if _sha256(text) != file_hash:
        problems.append(Problem(where, 0, 0, "sync.bundle-hash",
                                "the file's sha256 does not match index.json: the bundle was changed after the "
                                "build; nothing is applied"))
        return None
    docs = split_documents(text)
    if len(docs) != len(objects) or not objects:
        problems.append(Problem(where, 0, 0, "sync.bundle-hash",
                                f"{len(docs)} document(s) in the file, {len(objects)} in index.json"))
        return None
    parsed = [_object(doc, meta, where, problems) for doc, meta in zip(docs, objects)]
    if any(p is None for p in parsed):
        return None
    return [p for p in parsed if p is not None]


def _organisation(entry: Any, texts: dict[str, str], label: str, problems: list[Problem]) -> DesiredWorkload | None:
    """index.json's ``organisation`` as one group: the parent (first object of the first file)
    and every other object of its files in order."""
    if entry is None:
        return None
    try:
        applyset = str(entry["applyset"])
        files = [(str(f["file"]), list(f["objects"]), f.get("fileHash"), str(f.get("source", "")))
                 for f in entry["files"]]
    except (KeyError, TypeError) as err:
        problems.append(Problem(f"{label}/{INDEX}", 0, 0, "sync.bundle-index", f"organisation entry without {err}"))
        return None
    good: list[DesiredObject] = []
    for rel, objects, file_hash, _ in files:
        found = _file_objects(rel, objects, file_hash, texts, label, problems)
        if found is None:
            return None
        good += found
    where = f"{label}/{files[0][0]}" if files else f"{label}/{INDEX}"
    if not good or not _contract_ok(good, applyset, where, problems, same_namespace=False):
        return None
    return DesiredWorkload(ORGANISATION, good[0].namespace, "", "organisation", files[0][3], "", True, applyset,
                           good[0], tuple(good[1:]))


def _object(doc: str, meta: Any, where: str, problems: list[Problem]) -> DesiredObject | None:
    if not isinstance(meta, dict) or _sha256(doc) != meta.get("hash"):
        problems.append(Problem(where, 0, 0, "sync.bundle-hash",
                                f"object {meta.get('kind') if isinstance(meta, dict) else '?'} "
                                f"{meta.get('name') if isinstance(meta, dict) else '?'}: its sha256 does not "
                                "match index.json"))
        return None
    body = bundleyaml.load(doc)
    md = body.get("metadata") if isinstance(body, dict) else None
    obj = DesiredObject(str(meta.get("group", "")), str(meta.get("version", "")), str(meta.get("kind", "")),
                        str(meta.get("namespace", "")), str(meta.get("name", "")), body if md else {})
    if not md or (body.get("apiVersion"), body.get("kind"), md.get("name"), md.get("namespace", "")) != (
            obj.api_version, obj.kind, obj.name, obj.namespace):
        problems.append(Problem(where, 0, 0, "sync.bundle-index", f"{obj.ref()}: the document is not the object "
                                "index.json names"))
        return None
    return obj


def _contract_ok(objs: list[DesiredObject], applyset: str, where: str, problems: list[Problem],
                 same_namespace: bool = True) -> bool:
    """The parent first (id label), members with the part-of label, all in the parent's namespace
    (the organisation's members are cluster-scoped or in the project namespaces)."""
    parent, members = objs[0], objs[1:]
    plabels = parent.body["metadata"].get("labels") or {}
    bad = []
    if (parent.kind, parent.group) != ("ConfigMap", "") or plabels.get(L.APPLYSET_ID) != applyset:
        bad.append(f"the first object must be the ApplySet parent ConfigMap with {L.APPLYSET_ID}={applyset}")
    kinds = ",".join(sorted({m.group_kind for m in members}))
    if (parent.body["metadata"].get("annotations") or {}).get(L.APPLYSET_GKS) != kinds:
        bad.append(f"the parent's {L.APPLYSET_GKS} is not its members' group-kinds ({kinds})")
    for m in members:
        mlabels = m.body["metadata"].get("labels") or {}
        if mlabels.get(L.PART_OF) != applyset or mlabels.get(L.MANAGED_BY) != L.MANAGED_BY_VALUE:
            bad.append(f"{m.ref()} lacks {L.PART_OF}={applyset} or {L.MANAGED_BY}={L.MANAGED_BY_VALUE}")
        if same_namespace and m.namespace != parent.namespace:
            bad.append(f"{m.ref()} is not in the parent's namespace {parent.namespace}")
    for message in bad:
        problems.append(Problem(where, 0, 0, "sync.bundle-contract", message))
    return not bad
