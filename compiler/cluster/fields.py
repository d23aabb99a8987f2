"""Fields that a controller owns once it has written them, so a sync must not put them back.

An HorizontalPodAutoscaler sets ``spec.replicas`` of the Deployment or StatefulSet it scales
(through the scale subresource, which moves the field's ownership away from wlc). wlc sends
``spec.replicas`` on create and while it still owns the field; once another manager owns it on
an object that an HPA of the same workload targets, wlc leaves it out instead of reverting it.
Without an HPA a changed replica count is drift and is put back. Under Kueue, ``suspend`` of an
admitted job is Kueue's (kueuejobs.py).
"""
from __future__ import annotations

import copy
from typing import Any

from .. import labels as L
from . import kueuejobs
from .source import DesiredObject, DesiredWorkload


def hpa_targets(w: DesiredWorkload) -> set[tuple[str, str]]:
    """(kind, name) of what the workload's HPAs scale."""
    out = set()
    for m in w.members:
        if (m.group, m.kind) == ("autoscaling", "HorizontalPodAutoscaler"):
            ref = (m.body.get("spec") or {}).get("scaleTargetRef") or {}
            out.add((str(ref.get("kind", "")), str(ref.get("name", ""))))
    return out


def wlc_owns(live: dict[str, Any], path: tuple[str, ...]) -> bool:
    """Whether field manager wlc's applied configuration holds ``path`` (e.g. spec, replicas)."""
    for entry in (live.get("metadata") or {}).get("managedFields") or []:
        if entry.get("manager") != L.FIELD_MANAGER or entry.get("subresource"):
            continue
        node: Any = entry.get("fieldsV1") or {}
        for key in path:
            node = node.get(f"f:{key}") if isinstance(node, dict) else None
        if node is not None:
            return True
    return False


def desired_body(m: DesiredObject, w: DesiredWorkload, live: dict[str, Any]) -> dict[str, Any]:
    """The body to apply over ``live``: without the fields a controller has taken (an HPA's
    replicas, Kueue's suspend of an admitted job)."""
    body = _without_hpa_replicas(m, w, live)
    path = kueuejobs.suspend_path(m)
    return kueuejobs.desired_body(m, w.active, body, live, path is not None and wlc_owns(live, path))


def _without_hpa_replicas(m: DesiredObject, w: DesiredWorkload, live: dict[str, Any]) -> dict[str, Any]:
    if (m.kind, m.name) not in hpa_targets(w) or "replicas" not in (m.body.get("spec") or {}):
        return m.body
    if wlc_owns(live, ("spec", "replicas")):
        return m.body
    out = copy.deepcopy(m.body)
    del out["spec"]["replicas"]
    return out
