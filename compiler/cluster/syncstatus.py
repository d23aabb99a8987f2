"""What the last sync did, recorded on each workload's ApplySet parent (and the organisation's,
orgsync.report), and Kubernetes Events.

Status annotations (field manager ``wlc-status``, a merge patch that never creates the parent):
``status.wlc.dev/revision`` (the synced git revision, when known), ``status.wlc.dev/spec-hash``,
``status.wlc.dev/result`` (``synced``, ``failed``, ``conflict``, ``refused``, ``build-failed``),
``status.wlc.dev/message``, ``status.wlc.dev/time`` and, for workloads with runs,
``status.wlc.dev/runs`` (``runs.HISTORY``). They are written only when one of them (but the
time) changes, so a no-op sync writes nothing. Bundles never carry them.

Events (core/v1, ``involvedObject`` the parent, source ``wlc``): ``Created``, ``Updated``,
``Recreated``, ``Pruned``, ``Deleted`` (and the organisation's ``Adopted``, ``Released``) for
what a sync wrote; ``Refused``, ``Conflict``,
``SyncFailed`` and ``BuildFailed`` (Warning) when the recorded result changes to that;
``Drift`` (Warning) naming the objects and field paths a sync put back after a hand edit.
"""
from __future__ import annotations

import datetime as dt
import socket
from typing import Any

from . import drift, errors, runs
from .kube import Kube
from .plan import ObjectPlan, WorkloadPlan

MANAGER = "wlc-status"
PREFIX = "status.wlc.dev/"
REVISION, SPEC_HASH, RESULT, MESSAGE, TIME = (PREFIX + k for k in ("revision", "spec-hash", "result", "message",
                                                                     "time"))
MAX_MESSAGE = 1000
#: workload action -> recorded result
RESULTS = {"conflict": "conflict", "refused": "refused", "failed": "failed"}
#: object action -> event reason
WRITES = {"create": "Created", "update": "Updated", "recreate": "Recreated", "prune": "Pruned", "adopt": "Adopted",
          "release": "Released"}
WARNINGS = {"conflict": "Conflict", "refused": "Refused", "failed": "SyncFailed", "build-failed": "BuildFailed"}
#: a Warning event when a sync put back what someone changed by hand
DRIFT = "Drift"


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def annotations_of(obj: dict[str, Any] | None) -> dict[str, str]:
    found = ((obj or {}).get("metadata") or {}).get("annotations") or {}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def result_of(wp: WorkloadPlan) -> tuple[str, str]:
    """(result, message) to record for a workload's sync."""
    if wp.action in RESULTS:
        return RESULTS[wp.action], wp.message
    return "synced", f"{len(wp.objects)} object(s) in sync"


def record(kube: Kube, namespace: str, name: str, live: dict[str, Any] | None, values: dict[str, str | None]) -> bool:
    """Merge the status values into the parent's annotations unless they are already there; True
    when written. A parent that is gone is left gone."""
    have = annotations_of(live)
    if live is not None and all(have.get(k) == v for k, v in values.items()):
        return False
    text = values.get(MESSAGE)
    if text is not None and len(text) > MAX_MESSAGE:
        values = {**values, MESSAGE: text[:MAX_MESSAGE - 3] + "..."}
    body = {"metadata": {"annotations": {**values, TIME: now()}}}
    try:
        kube.merge_patch(kube.resource("", "v1", "ConfigMap"), namespace, name, body, MANAGER)
    except errors.NotFound:
        return False
    return True


def event(kube: Kube, namespace: str, parent: str, uid: str, reason: str, message: str) -> None:
    """One core/v1 Event about the parent ConfigMap (a failure to post one is not a sync failure)."""
    stamp = now()
    body = {"apiVersion": "v1", "kind": "Event",
            "metadata": {"generateName": f"{parent}.", "namespace": namespace},
            "involvedObject": {"apiVersion": "v1", "kind": "ConfigMap", "name": parent, "namespace": namespace,
                               "uid": uid},
            "reason": reason, "message": message[:MAX_MESSAGE], "action": reason,
            "type": "Warning" if reason in WARNINGS.values() or reason == DRIFT else "Normal",
            "source": {"component": "wlc", "host": socket.gethostname()}, "reportingComponent": "wlc",
            "reportingInstance": socket.gethostname(), "firstTimestamp": stamp, "lastTimestamp": stamp, "count": 1}
    try:
        kube.create(kube.resource("", "v1", "Event"), namespace, body)
    except errors.ClusterError:
        pass  # events are a report; the sync itself stands


def _refs(objects: list[ObjectPlan], namespace: str) -> str:
    """``Kind name`` of each object, with its namespace when not the parent's (the organisation's)."""
    return ", ".join(f"{o.group_kind} {o.namespace}/{o.name}" if o.namespace and o.namespace != namespace
                     else f"{o.group_kind} {o.name}" for o in objects)


def report_workload(kube: Kube, wp: WorkloadPlan, parent: str, uid: str | None, live: dict[str, Any] | None,
                    revision: str, spec_hash: str, observed: list[dict[str, Any]] | None = None,
                    run_record: str | None = None) -> None:
    """After a workload's sync: events for what was written, then its status on the parent (with
    the run history, from the ``observed`` run objects, when given, and the run record
    ``runs.RUN``: the same patch, so a new run costs no write of its own)."""
    if uid is None:
        return  # no parent of ours in the cluster: nothing to record on
    for action, reason in WRITES.items():
        done = [o for o in wp.objects if o.action == action]
        if done:
            event(kube, wp.namespace, parent, uid, reason, f"{action}: {_refs(done, wp.namespace)}")
    drifted = [o for o in wp.objects if o.action == "update" and drift.drifted(o.message)]
    if drifted:
        event(kube, wp.namespace, parent, uid, DRIFT, "changed by hand and put back: " + "; ".join(
            f"{o.group_kind} {o.name}: {o.message.removeprefix(drift.PREFIX)}" for o in drifted))
    result, message = result_of(wp)
    values: dict[str, str | None] = {REVISION: revision or None, SPEC_HASH: spec_hash or None, RESULT: result,
                                     MESSAGE: message}
    if result != "synced":  # a failed sync keeps the last synced revision and spec hash
        values = {RESULT: result, MESSAGE: message}
    history = runs.history(live)
    if observed:
        history = runs.merged(history, observed)
    if history:
        values[runs.HISTORY] = runs.history_text(history)
    if run_record is not None:
        values[runs.RUN] = run_record
    if record(kube, wp.namespace, parent, live, values) and result in WARNINGS:
        event(kube, wp.namespace, parent, uid, WARNINGS[result], message)


def report_refusal(kube: Kube, parents: list[dict[str, Any]], result: str, message: str) -> int:
    """A refusal of the whole desired state (a build with errors) on every parent given; the
    parents keep their last synced revision. Returns how many were written."""
    written = 0
    for p in parents:
        meta = p["metadata"]
        ns, name = str(meta.get("namespace", "")), str(meta["name"])
        if record(kube, ns, name, p, {RESULT: result, MESSAGE: message}):
            written += 1
            event(kube, ns, name, str(meta["uid"]), WARNINGS.get(result, "Refused"), message)
    return written
