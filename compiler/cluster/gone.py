"""Planning the workloads whose parent is in the cluster but not in the bundle: each is deleted
as one, behind the empty-set and mass-delete guards, and only what wlc provably owns."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .. import labels as L
from ..bundle import applyset_id
from . import approval, execute
from .kube import Kube, Resource
from .ownership import group_kinds, split_group_kind, why_not_owned
from .plan import ObjectPlan, Plan, WorkloadPlan
from .source import Bundle


def plan_gone(kube: Kube, bundle: Bundle, parents: Iterable[dict[str, Any]], out: Plan, limits: approval.Limits,
              resource_of: Callable[[str], Resource | None]) -> list[execute.Gone]:
    """The gone workloads among the wlc ``parents`` in scope; refused as a whole by the guards."""
    parents = [p for p in parents if (p["metadata"].get("labels") or {}).get(L.MANAGED_BY) == L.MANAGED_BY_VALUE]
    wanted = {(w.namespace, w.parent.name) for w in bundle.workloads}
    gone = [p for p in parents if (p["metadata"].get("namespace"), p["metadata"]["name"]) not in wanted]
    if not gone:
        return []
    if not bundle.workloads:
        out.messages.append(f"the bundle has no workloads: an empty desired set never prunes "
                            f"({len(gone)} workload(s) in the cluster kept)")
        return []
    plans = [_gone_plan(kube, p, resource_of) for p in gone]
    doomed = [g for g in plans if g.plan.action == "prune"]
    approval.guard(kube, limits, doomed, len(parents), out)
    return plans


def _gone_plan(kube: Kube, parent: dict[str, Any], resource_of: Callable[[str], Resource | None]) -> execute.Gone:
    meta = parent["metadata"]
    ns, name = str(meta.get("namespace", "")), str(meta["name"])
    aid = str((meta.get("labels") or {}).get(L.APPLYSET_ID, ""))
    workload = str((meta.get("labels") or {}).get(L.WORKLOAD) or name.removesuffix("-applyset"))
    wp = WorkloadPlan(workload, ns, aid, action="prune", message="no longer in the bundle")
    reason = why_not_owned(parent, aid, is_parent=True)
    if reason is None and aid != applyset_id(name, ns, "ConfigMap", ""):
        reason = f"its {L.APPLYSET_ID} label is not the id of ConfigMap {ns}/{name}"
    wp.objects.append(ObjectPlan("", "v1", "ConfigMap", ns, name, "prune" if reason is None else "refused",
                                 reason or "", parent, owned=reason is None))
    if reason is not None:
        wp.fail("refused", f"parent not deleted: {reason}")
        return execute.Gone(wp, parent, {})
    resources: dict[str, Resource] = {}
    for gk in sorted(group_kinds(parent)):
        res = resource_of(gk)
        if res is not None:
            resources[gk] = res
    for gk, res in resources.items():
        for obj in sorted(kube.list(res, ns, f"{L.PART_OF}={aid}"), key=lambda o: str(o["metadata"]["name"])):
            wp.objects.append(prune_plan(gk, str(obj["metadata"]["name"]), obj, aid, str(meta["uid"])))
    return execute.Gone(wp, parent, resources)


def prune_plan(gk: str, name: str, obj: dict[str, Any], applyset: str, parent_uid: str | None) -> ObjectPlan:
    """A live member labelled as the workload's that the bundle no longer has: pruned when owned."""
    group, kind = split_group_kind(gk)
    meta = obj["metadata"]
    version = str(obj.get("apiVersion", "v1")).rsplit("/", 1)[-1]
    reason = why_not_owned(obj, applyset, is_parent=False, parent_uid=parent_uid)
    if reason is not None:
        return ObjectPlan(group, version, kind, str(meta.get("namespace", "")), name, "refused",
                          f"not pruned: {reason}", obj)
    return ObjectPlan(group, version, kind, str(meta.get("namespace", "")), name, "prune", "", obj, owned=True)
