"""Under Kueue, ``suspend`` of a job belongs to Kueue once it has admitted the job.

wlc emits every job of a Kueue queue (label ``kueue.x-k8s.io/queue-name``) with ``suspend:
true``; Kueue unsuspends it when it admits it, which moves the field's ownership to Kueue's
manager. From then on wlc leaves ``suspend`` out of what it applies (``desired_body``), so a sync
never suspends an admitted job again. wlc keeps sending it while it still owns the field: leaving
out a field only wlc owns would remove it, which unsuspends the job behind Kueue's back.

A user's stop (``active: false``) suspends the job (wlc applies ``suspend: true`` with force) and,
since Kueue starts a suspended job it has admitted, also deactivates the job's Kueue Workload
(``spec.active: false``, with the annotation ``wlc.dev/stopped``): Kueue evicts it and keeps it
stopped. ``active: true`` activates again only a Workload that wlc itself deactivated.
"""
from __future__ import annotations

import copy
from typing import Any

from . import errors
from .kube import Kube
from .source import DesiredObject

QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
JOB_UID_LABEL = "kueue.x-k8s.io/job-uid"
STOPPED = "wlc.dev/stopped"
GROUP = "kueue.x-k8s.io"


def suspend_path(m: DesiredObject) -> tuple[str, ...] | None:
    if (m.group, m.kind) == ("batch", "Job"):
        return ("spec", "suspend")
    if m.group == "kubeflow.org" and m.kind.endswith("Job"):
        return ("spec", "runPolicy", "suspend")
    return None


def queued(m: DesiredObject) -> bool:
    """A job of a Kueue queue (wlc's Kueue scheduler)."""
    labels = (m.body.get("metadata") or {}).get("labels") or {}
    return suspend_path(m) is not None and QUEUE_LABEL in labels


def _get(body: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = body
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def desired_body(m: DesiredObject, active: bool, body: dict[str, Any], live: dict[str, Any],
                 wlc_owns_suspend: bool) -> dict[str, Any]:
    """``body`` without ``suspend`` when Kueue owns it (it admitted the job, or it stopped it) and
    it already says what the user wants: not stopped, or stopped and suspended."""
    path = suspend_path(m)
    if path is None or not queued(m) or wlc_owns_suspend or _get(body, path) is not True:
        return body
    if not active and _get(live, path) is not True:
        return body  # the user stopped a job Kueue runs: suspend it (and deactivate its Workload)
    out = copy.deepcopy(body)
    del _get(out, path[:-1])[path[-1]]
    return out


def follow_active(kube: Kube, m: DesiredObject, job: dict[str, Any], active: bool) -> str:
    """Deactivate the job's Kueue Workload when the user stopped the job, activate the one wlc
    deactivated when it is active again; a note for the report ("" when nothing was written).
    Reads the Workloads only when the job is suspended or stopped."""
    path = suspend_path(m)
    if path is None or not queued(m) or (active and _get(job, path) is not True):
        return ""
    try:
        version = kube.preferred_version(GROUP)
        res = kube.resource(GROUP, version, "Workload") if version else None
    except errors.MissingKind:
        res = None
    if res is None:
        return ""  # Kueue is not installed: the job's own suspend is all there is
    uid = str(job["metadata"]["uid"])
    notes = []
    for wl in kube.list(res, m.namespace, f"{JOB_UID_LABEL}={uid}"):
        meta = wl["metadata"]
        is_active = (wl.get("spec") or {}).get("active", True) is not False
        if not active and is_active:
            body: dict[str, Any] = {"metadata": {"annotations": {STOPPED: "true"}}, "spec": {"active": False}}
        elif active and not is_active and STOPPED in (meta.get("annotations") or {}):
            body = {"metadata": {"annotations": {STOPPED: None}}, "spec": {"active": True}}
        else:
            continue
        kube.merge_patch(res, m.namespace, str(meta["name"]), body, "wlc")
        notes.append(f"Kueue Workload {meta['name']} {'activated' if active else 'deactivated'}")
    return "; ".join(notes)
