"""The organisation's bundle contract: labels, one ApplySet, apply order, the files and their
index entry (docs/bundle.md, "The organisation").

The organisation's objects are written to ``<overlay>/_organisation/``: ``cluster.yaml`` (the
ApplySet parent, then what no project owns: ClusterRoles, ResourceFlavors, Cohorts) and one
file per project (its Namespace first). They form one ApplySet whose parent is a ConfigMap in
namespace ``default`` (it always exists); cluster-scoped members cannot have a namespaced
owner, so the garbage collector never deletes them through it: only the sync agent removes
organisation objects.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from . import labels as L
from .bundle import TOOLING, applyset_id, canonical_json, group_kind, group_of
from .shapes import K8sObject
from .yamlout import dump_document

FOLDER = "_organisation"
CLUSTER_FILE = "cluster"
PARENT_NAME = "wlc-organisation-applyset"
PARENT_NAMESPACE = "default"
#: label of every per-project organisation object
ADDITIONAL_NAMESPACES = "applyset.kubernetes.io/additional-namespaces"
#: apply order of the organisation (an output contract); deletion uses the reverse order
KIND_ORDER: tuple[tuple[str, str], ...] = (
    ("", "Namespace"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("kueue.x-k8s.io", "ResourceFlavor"),
    ("kueue.x-k8s.io", "Cohort"),
    ("kueue.x-k8s.io", "ClusterQueue"),
    ("", "ResourceQuota"),
    ("rbac.authorization.k8s.io", "RoleBinding"),
    ("kueue.x-k8s.io", "LocalQueue"),
)
_RANK = {gk: i for i, gk in enumerate(KIND_ORDER)}
APPLYSET = applyset_id(PARENT_NAME, PARENT_NAMESPACE, "ConfigMap", "")


@dataclass
class OrgFile:
    """One file of the organisation folder: its objects in apply order, sealed to text."""

    name: str
    project: str
    source: str
    objects: list[K8sObject]
    docs: list[str] = field(default_factory=list)

    @property
    def relpath(self) -> str:
        return f"{FOLDER}/{self.name}.yaml"


def _order(obj: K8sObject) -> tuple[int, str, str]:
    meta = obj.get("metadata") or {}
    return (_RANK.get((group_of(obj), str(obj.get("kind"))), len(_RANK)), str(obj.get("kind")),
            str(meta.get("name", "")))


def finalize(files: dict[str, list[K8sObject]], sources: dict[str, str],
             cluster_source: str) -> list[OrgFile]:
    """Stamp the contract on every object; ``sources``: project → its Project document's file.
    The parent goes first in ``cluster.yaml``; files are in apply order (cluster first)."""
    if not files:
        return []
    out: list[OrgFile] = []
    for name in [CLUSTER_FILE] + sorted(n for n in files if n != CLUSTER_FILE):
        project = "" if name == CLUSTER_FILE else name
        source = sources.get(name, cluster_source)
        objects = sorted(files.get(name, []), key=_order)
        for obj in objects:
            _stamp(obj, project, source)
        out.append(OrgFile(name, project, source, objects))
    out[0].objects.insert(0, _parent(out, cluster_source))
    return out


def _stamp(obj: K8sObject, project: str, source: str) -> None:
    meta = obj.setdefault("metadata", {})
    extra = {L.PROJECT: project} if project else {}
    meta["labels"] = {**(meta.get("labels") or {}), L.MANAGED_BY: L.MANAGED_BY_VALUE, **extra,
                      L.PART_OF: APPLYSET}
    body = {k: v for k, v in obj.items() if k != "metadata"}
    digest = hashlib.sha256(canonical_json(body).encode()).hexdigest()[:16]
    meta["annotations"] = {**(meta.get("annotations") or {}), L.SPEC_HASH: digest, L.SOURCE: source}


def _parent(files: list[OrgFile], source: str) -> K8sObject:
    members = [o for f in files for o in f.objects]
    kinds = ",".join(sorted({group_kind(o) for o in members}))
    namespaces = sorted({str(o["metadata"]["namespace"]) for o in members if o["metadata"].get("namespace")})
    notes = {L.SOURCE: source, L.APPLYSET_TOOLING: TOOLING, L.APPLYSET_GKS: kinds}
    if namespaces:
        notes[ADDITIONAL_NAMESPACES] = ",".join(namespaces)
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": PARENT_NAME, "namespace": PARENT_NAMESPACE,
                         "labels": {L.MANAGED_BY: L.MANAGED_BY_VALUE, L.APPLYSET_ID: APPLYSET},
                         "annotations": notes}}


def seal(files: list[OrgFile]) -> dict[str, str]:
    """relative path → text of every organisation file."""
    for f in files:
        if not f.docs:
            f.docs = [dump_document(o) for o in f.objects]
    return {f.relpath: "".join(f.docs) for f in files}


def index_entry(files: list[OrgFile], texts: dict[str, str], hash_of: Callable[[str], str]) -> dict[str, object]:
    """index.json's ``organisation``: its ApplySet and, per file, its objects and hashes."""
    entries = []
    for f in files:
        objects = [{"group": group_of(o), "version": str(o.get("apiVersion", "")).rsplit("/", 1)[-1],
                    "kind": o.get("kind"), "namespace": o["metadata"].get("namespace", ""),
                    "name": o["metadata"].get("name"), "hash": hash_of(t)} for o, t in zip(f.objects, f.docs)]
        entries.append({"file": f.relpath, "project": f.project, "source": f.source,
                        "fileHash": hash_of(texts[f.relpath]), "objects": objects})
    return {"applyset": APPLYSET, "files": entries}
