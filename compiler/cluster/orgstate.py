"""What the organisation's sync plans and carries out (compiler/cluster/orgsync.py and
orgprune.py): the plan with what applying it needs, and the helpers both halves share."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Protocol

from .. import labels as L
from ..orgbundle import ADDITIONAL_NAMESPACES
from . import approval, errors
from .kube import Kube, Resource
from .ownership import split_group_kind
from .plan import ObjectPlan, WorkloadPlan
from .source import DesiredObject, DesiredWorkload


class Limits(approval.Limits, Protocol):
    """What the organisation's sync reads of the engine's options: the mass-delete guard's
    settings, the namespaces in scope, and whether objects that existed before wlc are adopted."""

    @property
    def namespaces(self) -> tuple[str, ...]: ...

    @property
    def adopt(self) -> bool: ...


@dataclass
class OrgPlanned:
    desired: DesiredWorkload
    plan: WorkloadPlan
    resources: dict[str, Resource]
    old_gks: set[str]
    old_namespaces: set[str]
    #: the parent as applied first (widened)
    parent_body: dict[str, Any] = field(default_factory=dict)
    #: nothing of the organisation may be applied or pruned (its parent is not ours, or the
    #: cluster could not say what it holds)
    blocked: bool = False
    #: the git revision synced (recorded on the parent with the result), when known
    revision: str = ""


def resource_of(kube: Kube, gk: str, resources: dict[str, Resource], version: str | None = None) -> Resource | None:
    if gk in resources:
        return resources[gk]
    group, kind = split_group_kind(gk)
    version = version or kube.preferred_version(group)
    if version is None:
        return None
    try:
        resources[gk] = kube.resource(group, version, kind)
    except errors.MissingKind:
        return None
    return resources[gk]


def object_plan(o: DesiredObject, action: str, message: str = "", live: dict[str, Any] | None = None,
        owned: bool = False) -> ObjectPlan:
    return ObjectPlan(o.group, o.version, o.kind, o.namespace, o.name, action, message, live, owned)


def parent_body(org: DesiredWorkload, gks: set[str], namespaces: set[str]) -> dict[str, Any]:
    body = copy.deepcopy(org.parent.body)
    notes = body["metadata"]["annotations"]
    notes[L.APPLYSET_GKS] = ",".join(sorted(gks))
    notes.pop(ADDITIONAL_NAMESPACES, None)
    if namespaces:
        notes[ADDITIONAL_NAMESPACES] = ",".join(sorted(namespaces))
    return body


def desired_namespaces(org: DesiredWorkload) -> set[str]:
    return {m.namespace for m in org.members if m.namespace}
