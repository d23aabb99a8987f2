"""The organisation's prune (docs/organisation.md, "Syncing the organisation"): what it no
longer has is planned behind the guards (a Namespace only when approved and free of wlc
workloads; a mass delete counted in projects) and deleted after the workloads, in reverse apply
order; then the parent is narrowed to what is left. An object wlc adopted (adopt.py) is
released instead: wlc's labels and annotations are removed, the object stays."""
from __future__ import annotations

from typing import Any

from .. import labels as L
from ..orgbundle import KIND_ORDER
from . import adopt, errors
from .kube import Kube
from .orgstate import Limits, OrgPlanned, desired_namespaces, parent_body, resource_of
from .ownership import split_group_kind, why_not_owned
from .plan import ObjectPlan
from .source import Bundle

_RANK = {(f"{kind}.{group}" if group else kind): i for i, (group, kind) in enumerate(KIND_ORDER)}
WORKLOAD_SELECTOR = f"{L.MANAGED_BY}={L.MANAGED_BY_VALUE},{L.APPLYSET_ID}"


def plan_prunes(kube: Kube, bundle: Bundle, limits: Limits, planned: OrgPlanned,
                 leftovers: dict[tuple[str, str, str], dict[str, Any]]) -> None:
    """Objects labelled as the organisation's that it no longer has: pruned (within the scope
    of ``limits.namespaces``; without a scope, everywhere), Namespaces only when approved and
    empty of workloads, every prune behind the mass-delete guard on projects."""
    scope = set(limits.namespaces)
    workload_namespaces = {w.namespace for w in bundle.workloads}
    ops: list[ObjectPlan] = []
    for (gk, ns, name), obj in sorted(leftovers.items(), key=lambda kv: _prune_rank(kv[0][0]), reverse=True):
        if scope and (ns or (name if gk == "Namespace" else "")) not in scope:
            continue  # not this bundle's to delete
        group, kind = split_group_kind(gk)
        version = str(obj.get("apiVersion", "v1")).rsplit("/", 1)[-1]
        reason = why_not_owned(obj, planned.desired.applyset, is_parent=False)
        op = ObjectPlan(group, version, kind, ns, name, "prune" if reason is None else "refused",
                        "" if reason is None else f"not pruned: {reason}", obj, owned=reason is None)
        if op.action == "prune" and adopt.is_adopted(obj):
            op.action, op.message = "release", "existed before wlc (adopted): wlc's labels are removed, it is kept"
        elif op.action == "prune" and kind == "Namespace":
            if name in workload_namespaces:
                op.action, op.message = "refused", "the bundle still has workloads in this namespace"
            elif not limits.allow_mass_delete:
                op.action, op.message = "refused", ("deleting a project's Namespace deletes everything in it; "
                                                    "approve with --allow-mass-delete")
        ops.append(op)
    _guard(planned, limits, ops)
    planned.plan.objects.extend(ops)


def _prune_rank(gk: str) -> int:
    return _RANK.get(gk, -1)


def _guard(planned: OrgPlanned, limits: Limits, ops: list[ObjectPlan]) -> None:
    """The mass-delete guard, counted in projects: a sync removing more projects than the limit
    (number or share of the projects in the cluster) prunes none of their objects unless approved."""
    def project(op: ObjectPlan) -> str:
        return str((((op.live or {}).get("metadata") or {}).get("labels") or {}).get(L.PROJECT, ""))
    desired = {str((m.body["metadata"].get("labels") or {}).get(L.PROJECT, "")) for m in planned.desired.members}
    removed = {project(o) for o in ops if o.action == "prune"} - desired - {""}
    known = desired - {""} | removed
    if not removed or limits.allow_mass_delete or (
            len(removed) <= limits.max_delete and len(removed) / len(known) <= limits.max_delete_share):
        return
    message = (f"mass-delete guard: would remove {len(removed)} of {len(known)} project(s) from the organisation "
               f"(limit {limits.max_delete} and {limits.max_delete_share:.0%}); approve with --allow-mass-delete")
    for op in ops:
        if op.action == "prune" and project(op) in removed:
            op.action, op.message = "refused", message


def prune(kube: Kube, planned: OrgPlanned, limits: Limits) -> None:
    """Delete what the organisation no longer has, in reverse apply order (Namespaces last, each
    only when no wlc workload is left in it), then narrow the parent to what is left."""
    org, wp = planned.desired, planned.plan
    if planned.blocked or wp.objects[0].action == "failed":
        return
    cm = planned.resources[org.parent.group_kind]
    for op in wp.objects[1 + len(org.members):]:
        if op.action == "release":
            _release(kube, planned, op)
        if op.action != "prune":
            continue
        try:
            if op.kind == "Namespace" and kube.list(cm, op.name, WORKLOAD_SELECTOR):
                op.action, op.message = "refused", "wlc workloads are still in this namespace"
                continue
            res = resource_of(kube, op.group_kind, planned.resources, op.version)
            if res is not None:
                kube.delete(res, op.namespace, op.name, str((op.live or {})["metadata"]["uid"]), "Background")
        except errors.ClusterError as err:
            op.action, op.message = "failed", str(err)
    if not limits.namespaces:  # with a scope, what is outside it was not looked at: the parent stays wide
        _narrow(kube, planned)
    wp.settle()


def _release(kube: Kube, planned: OrgPlanned, op: ObjectPlan) -> None:
    """Give an adopted object back: wlc's labels and annotations removed, nothing else."""
    try:
        res = resource_of(kube, op.group_kind, planned.resources, op.version)
        if res is not None:
            kube.merge_patch(res, op.namespace, op.name, adopt.release_patch(op.live or {}), L.FIELD_MANAGER)
    except errors.NotFound:
        pass  # gone already: nothing to give back
    except errors.ClusterError as err:
        op.action, op.message = "failed", str(err)


def _narrow(kube: Kube, planned: OrgPlanned) -> None:
    org, wp = planned.desired, planned.plan
    kept = [o for o in wp.objects[1 + len(org.members):] if o.action not in ("prune", "release")]
    gks = org.group_kinds() | {o.group_kind for o in kept}
    namespaces = desired_namespaces(org) | {o.namespace for o in kept if o.namespace}
    if gks == planned.old_gks | org.group_kinds() and namespaces == planned.old_namespaces | desired_namespaces(org):
        return  # the parent as applied is already right
    try:
        kube.apply(planned.resources[org.parent.group_kind], parent_body(org, gks, namespaces), force=True)
    except errors.ClusterError as err:
        wp.objects[0].action, wp.objects[0].message = "failed", str(err)
