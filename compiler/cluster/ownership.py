"""Who owns a live object. wlc modifies or deletes only what it provably owns: wlc's labels
(managed-by, and the workload's ApplySet id or part-of label), an entry of field manager ``wlc``
in managedFields, no other tool's marker and no foreign controller. Pure functions, no client.
"""
from __future__ import annotations

from typing import Any

from .. import labels as L

#: (where, key) of other tools' tracking marks: Helm, Argo CD, Flux, kpt / cli-utils, Config Sync.
FOREIGN_MARKERS: tuple[tuple[str, str, str], ...] = (
    ("annotations", "meta.helm.sh/release-name", "Helm"),
    ("labels", "helm.sh/chart", "Helm"),
    ("annotations", "argocd.argoproj.io/tracking-id", "Argo CD"),
    ("labels", "argocd.argoproj.io/instance", "Argo CD"),
    ("labels", "kustomize.toolkit.fluxcd.io/name", "Flux"),
    ("labels", "helm.toolkit.fluxcd.io/name", "Flux"),
    ("annotations", "config.k8s.io/owning-inventory", "kpt"),
    ("annotations", "configmanagement.gke.io/managed", "Config Sync"),
)


def _meta(obj: dict[str, Any], part: str) -> dict[str, Any]:
    found = (obj.get("metadata") or {}).get(part) or {}
    return found if isinstance(found, dict) else {}


def foreign_marker(obj: dict[str, Any]) -> str | None:
    """The other tool whose marks the object carries, if any."""
    managed_by = _meta(obj, "labels").get(L.MANAGED_BY)
    if managed_by is not None and managed_by != L.MANAGED_BY_VALUE:
        return f"{managed_by} ({L.MANAGED_BY}={managed_by})"
    for part, key, tool in FOREIGN_MARKERS:
        if key in _meta(obj, part):
            return f"{tool} ({key})"
    return None


def has_wlc_manager(obj: dict[str, Any]) -> bool:
    fields = (obj.get("metadata") or {}).get("managedFields") or []
    return any(isinstance(f, dict) and f.get("manager") == L.FIELD_MANAGER for f in fields)


def foreign_controller(obj: dict[str, Any], parent_uid: str | None) -> str | None:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller") and ref.get("uid") != parent_uid:
            return f"{ref.get('kind')} {ref.get('name')}"
    return None


def why_not_owned(obj: dict[str, Any], applyset: str, is_parent: bool, parent_uid: str | None = None) -> str | None:
    """None when wlc owns the live object as part of ``applyset``; else the reason, for the report."""
    tool = foreign_marker(obj)
    if tool is not None:
        return f"managed by {tool}; wlc never changes or deletes another tool's object"
    labels = _meta(obj, "labels")
    key = L.APPLYSET_ID if is_parent else L.PART_OF
    if labels.get(L.MANAGED_BY) != L.MANAGED_BY_VALUE or labels.get(key) != applyset:
        return f"exists without wlc's labels ({L.MANAGED_BY}={L.MANAGED_BY_VALUE}, {key}={applyset}); not adopted"
    if not has_wlc_manager(obj):
        return f"carries wlc's labels but field manager {L.FIELD_MANAGER} never applied it; not adopted"
    if is_parent:
        tooling = _meta(obj, "annotations").get(L.APPLYSET_TOOLING, "")
        if not str(tooling).startswith("wlc/"):
            return f"an ApplySet of another tool ({L.APPLYSET_TOOLING}={tooling or 'none'})"
    controller = foreign_controller(obj, parent_uid)
    if controller is not None:
        return f"controlled by {controller}"
    return None


def group_kinds(parent: dict[str, Any] | None) -> set[str]:
    """The live parent's contains-group-kinds annotation as a set."""
    if parent is None:
        return set()
    text = str(_meta(parent, "annotations").get(L.APPLYSET_GKS, ""))
    return {gk for gk in text.split(",") if gk}


def split_group_kind(gk: str) -> tuple[str, str]:
    kind, _, group = gk.partition(".")
    return group, kind


def comparable(obj: dict[str, Any]) -> dict[str, Any]:
    """What a server-side apply by wlc can change: the object without status and
    resourceVersion, and of managedFields only wlc's own entries without their time."""
    meta = dict(obj.get("metadata") or {})
    meta.pop("resourceVersion", None)
    meta["managedFields"] = [{k: v for k, v in f.items() if k != "time"} for f in meta.get("managedFields") or []
                             if isinstance(f, dict) and f.get("manager") == L.FIELD_MANAGER]
    return {k: v for k, v in obj.items() if k != "status"} | {"metadata": meta}
