"""The organisation's part of a sync (docs/organisation.md, "Syncing the organisation"): its
objects are applied before the workloads (their namespaces and queues must exist first) and its
removed objects are pruned after the workloads were (a project's Namespace last).

The organisation is one ApplySet (parent ``default/wlc-organisation-applyset``) whose members are
cluster-scoped or in the project namespaces, so they carry no ownerReference (the garbage
collector would take a namespaced owner in another namespace for a missing one): they are found
by their ``part-of`` label in the whole cluster, and only wlc deletes them. The ownership rules
are the workloads' (``ownership.why_not_owned``), plus one adoption: a Namespace that the sync
itself created for workloads (wlc's labels and field manager, no ApplySet) becomes the project's;
with ``Options.adopt``, an object that existed before wlc is adopted (adopt.py), and released
instead of deleted when it leaves the bundle.
Deleting a Namespace deletes everything in it: its prune is refused unless approved
(``Options.allow_mass_delete``) and, even then, while it still holds a wlc workload. After the
prune the parent gets a workload's Events and status annotations (syncstatus.py, :func:`report`).
"""
from __future__ import annotations

from typing import Any

from .. import labels as L
from ..orgbundle import ADDITIONAL_NAMESPACES, PARENT_NAME, PARENT_NAMESPACE
from . import adopt, errors, samefields, syncstatus
from .kube import Kube, Resource
from .orgprune import plan_prunes, prune
from .orgstate import Limits, OrgPlanned, desired_namespaces, object_plan, parent_body, resource_of
from .ownership import comparable, foreign_marker, group_kinds, has_wlc_manager, why_not_owned
from .plan import BAD, ObjectPlan, WorkloadPlan
from .source import Bundle, DesiredObject


def is_parent(obj: dict[str, Any]) -> bool:
    """Whether a live ConfigMap is the organisation's parent (not a workload's)."""
    meta = obj.get("metadata") or {}
    return (meta.get("namespace"), meta.get("name")) == (PARENT_NAMESPACE, PARENT_NAME)


def plan(kube: Kube, bundle: Bundle, limits: Limits, dry_run: bool) -> OrgPlanned | None:
    """The organisation's plan (None when the bundle has no organisation: nothing is applied
    or pruned); its prunes are planned behind the guards."""
    org = bundle.organisation
    if org is None:
        return None
    wp = WorkloadPlan(org.name, org.namespace, org.applyset)
    cm = kube.resource("", "v1", "ConfigMap")
    live_parent = kube.get(cm, org.namespace, org.parent.name)
    reason = None if live_parent is None else why_not_owned(live_parent, org.applyset, is_parent=True)
    owned = live_parent is not None and reason is None
    planned = OrgPlanned(org, wp, {org.parent.group_kind: cm}, group_kinds(live_parent) if owned else set(),
                         _namespaces_of(live_parent) if owned else set(), revision=bundle.revision)
    if reason is not None:
        wp.objects.append(object_plan(org.parent, "conflict", reason, live_parent))
        wp.fail("conflict", "the organisation's ApplySet parent exists and wlc does not own it; nothing of the "
                "organisation is applied or pruned")
        planned.blocked = True
        return planned
    wp.objects.append(_parent_plan(kube, planned, live_parent))
    try:
        live = _live_members(kube, org.applyset, planned.old_gks | org.group_kinds(), planned.resources,
                             set(limits.namespaces))
    except errors.ClusterError as err:
        wp.fail("failed", f"cannot list the organisation's objects: {err}; nothing of it is applied or pruned")
        planned.blocked = True
        return planned
    creating: set[str] = set()
    for m in org.members:
        op = _member_plan(kube, m, live.pop((m.group_kind, m.namespace, m.name), None), planned, creating,
                          dry_run, limits.adopt)
        if op.kind == "Namespace" and op.action == "create":
            creating.add(op.name)
        wp.objects.append(op)
    _refuse_in_foreign_namespaces(wp.objects[1:])
    plan_prunes(kube, bundle, limits, planned, live)
    wp.settle()
    return planned


def _refuse_in_foreign_namespaces(members: list[ObjectPlan]) -> None:
    """Nothing is written into a project Namespace that is not wlc's (a conflict, or one that
    failed): its RoleBindings and quotas would change someone else's namespace's access and limits."""
    blocked = {o.name: o.action for o in members if o.kind == "Namespace" and o.action in ("conflict", "failed")}
    for o in members:
        if o.namespace in blocked and o.action in ("create", "update", "adopt"):
            o.action = "refused"
            o.message = (f"not applied: its Namespace {o.namespace} is not wlc's (the Namespace is a "
                         f"{blocked[o.namespace]})")


def _parent_plan(kube: Kube, planned: OrgPlanned, live: dict[str, Any] | None) -> ObjectPlan:
    """The parent as it will be applied first: widened to the group-kinds and namespaces of
    what is in the cluster and what comes."""
    org = planned.desired
    body = parent_body(org, planned.old_gks | org.group_kinds(), planned.old_namespaces | desired_namespaces(org))
    planned.parent_body = body
    res = planned.resources[org.parent.group_kind]
    if live is not None and samefields.unchanged(body, live):  # what applying it would make it: no request
        return object_plan(org.parent, "unchanged", live=live, owned=True)
    try:
        after = comparable(kube.apply(res, body, force=live is not None, dry_run=True))
    except errors.ClusterError as err:
        return object_plan(org.parent, "failed", str(err), live)
    if live is None:
        return object_plan(org.parent, "create")
    return object_plan(org.parent, "unchanged" if after == comparable(live) else "update", live=live, owned=True)


def _namespaces_of(parent: dict[str, Any] | None) -> set[str]:
    text = str(((parent or {}).get("metadata") or {}).get("annotations", {}).get(ADDITIONAL_NAMESPACES, ""))
    return {ns for ns in text.split(",") if ns}


def _live_members(kube: Kube, applyset: str, gks: set[str], resources: dict[str, Resource],
                  scope: set[str]) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Every object labelled part-of the organisation among ``gks``: in the whole cluster, or
    with a scope in its namespaces (and Namespaces; other cluster-scoped kinds are not listed)."""
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    for gk in sorted(gks):
        res = resource_of(kube, gk, resources)
        if res is None:
            continue  # a kind the cluster does not serve holds no objects
        where = [""] if not scope or gk == "Namespace" else sorted(scope) if res.namespaced else []
        for item in (i for ns in where for i in kube.list(res, ns, f"{L.PART_OF}={applyset}")):
            meta = item["metadata"]
            found[(gk, str(meta.get("namespace", "")), str(meta["name"]))] = item
    return found


def why_not_ours(obj: dict[str, Any], applyset: str) -> str | None:
    """``why_not_owned`` for an organisation member, adopting the Namespace a sync created for
    workloads (wlc's labels and field manager, in no ApplySet, no other tool's marks)."""
    labels = (obj.get("metadata") or {}).get("labels") or {}
    if (obj.get("kind") == "Namespace" and labels.get(L.MANAGED_BY) == L.MANAGED_BY_VALUE
            and L.PART_OF not in labels and has_wlc_manager(obj) and foreign_marker(obj) is None):
        return None
    return why_not_owned(obj, applyset, is_parent=False)


def _member_plan(kube: Kube, m: DesiredObject, live: dict[str, Any] | None, planned: OrgPlanned,
                 creating: set[str], dry_run: bool, adopting: bool) -> ObjectPlan:
    res = resource_of(kube, m.group_kind, planned.resources, m.version)
    if res is None:
        return object_plan(m, "failed", f"the cluster does not serve {m.kind} ({m.api_version}): its "
                   "CustomResourceDefinition is not installed")
    try:
        if live is None and m.namespace not in creating:
            live = kube.get(res, m.namespace, m.name)  # not labelled as ours: free, or someone else's
        if live is None:
            if m.namespace not in creating:  # the server checks a create first (not in a namespace to come)
                kube.apply(res, m.body, force=False, dry_run=True)
            return object_plan(m, "create", "namespace will be created" if m.namespace in creating and dry_run else "")
        reason = why_not_ours(live, planned.desired.applyset)
        if reason is not None and (not adopting or adopt.why_not_adoptable(live) is not None):
            return object_plan(m, "conflict", adopt.conflict_message(reason, live, adopting), live)
        body = adopt.body_for(m.body, live, adopting=reason is not None)
        if reason is None and samefields.unchanged(body, live):  # no request needed (samefields.py)
            return object_plan(m, "unchanged", live=live, owned=True)
        after = comparable(kube.apply(res, body, force=True, dry_run=True))
        if reason is not None:
            op = object_plan(m, "adopt", adopt.taken_message(reason), live)
        else:
            op = object_plan(m, "unchanged" if after == comparable(live) else "update", live=live, owned=True)
        op.body = body
        return op
    except errors.ClusterError as err:
        return object_plan(m, "failed", str(err), live)


def apply(kube: Kube, planned: OrgPlanned) -> None:
    """The parent (widened to what is in the cluster and what comes), then the organisation's
    new and changed objects in the bundle's order. A failed object is reported; the others go on."""
    org, wp = planned.desired, planned.plan
    if planned.blocked or wp.objects[0].action == "failed":
        planned.blocked = True
        return
    try:
        if wp.objects[0].action in ("create", "update"):
            kube.apply(planned.resources[org.parent.group_kind], planned.parent_body, force=True)
    except errors.ClusterError as err:
        wp.objects[0].action, wp.objects[0].message = "failed", str(err)
    if wp.objects[0].action == "failed":
        wp.fail("failed", f"the organisation's parent: {wp.objects[0].message}; nothing of it is applied")
        return
    for op, m in zip(wp.objects[1:1 + len(org.members)], org.members):
        if op.action in ("create", "update", "adopt"):
            try:
                kube.apply(planned.resources[m.group_kind], op.body or m.body, force=op.owned or op.action == "adopt")
            except errors.ClusterError as err:
                op.action, op.message = "failed", str(err)
    wp.settle()


def finish(kube: Kube, planned: OrgPlanned, limits: Limits, dry_run: bool) -> WorkloadPlan:
    """After the workloads: the prune, then events and status on the parent (not in a dry run);
    the organisation's plan."""
    if not dry_run:
        prune(kube, planned, limits)
        report(kube, planned)
    return planned.plan


def report(kube: Kube, planned: OrgPlanned) -> None:
    """Events for what the sync wrote (create, update, prune) and refused, and the last sync's
    result and revision on the parent, as on a workload's (syncstatus.py); nothing on a parent
    that is not ours or that is not in the cluster."""
    org, wp = planned.desired, planned.plan
    parent = wp.objects[0] if wp.objects else None
    if parent is None or parent.action == "conflict":
        return
    live = parent.live
    if live is None and parent.action == "create":  # applied by this sync: its uid is the server's
        try:
            live = kube.get(planned.resources[org.parent.group_kind], org.namespace, org.parent.name)
        except errors.ClusterError:
            live = None
    if live is None:
        return
    if wp.action in BAD and not wp.message:
        wp.message = "; ".join(f"{o.action} {o.group_kind} {o.namespace + '/' if o.namespace else ''}{o.name}: "
                               f"{o.message}" for o in wp.objects if o.action in BAD)
    syncstatus.report_workload(kube, wp, org.parent.name, str(live["metadata"]["uid"]), live,
                               planned.revision, org.spec_hash)


