"""Carrying out a plan: apply one workload, prune its leftovers, delete a workload as one."""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from .. import labels as L
from ..bundle import sort_key
from . import adopt, errors, kueuejobs, runs, syncstatus
from .kube import Kube, Resource
from .ownership import why_not_owned
from .plan import ObjectPlan, WorkloadPlan
from .source import DesiredWorkload

POLL = 0.25
#: fault tests only (tests/integration/test_sync_faults.py): once this many writes were sent, the
#: sync waits after its next object until the file PAUSE_UNTIL exists (the test kills it there,
#: or stops the API server)
PAUSE_AFTER, PAUSE_UNTIL = "WLC_TEST_PAUSE_AFTER_WRITES", "WLC_TEST_PAUSE_UNTIL"
_paused: list[bool] = []
#: how long a run object being re-created may take to go (its pods are deleted first)
RECREATE_TIMEOUT = 120.0
#: (group, kind) of the members that make pods: in a new workload, every member up to the first
#: of them is applied without a dry run (a failure rolls the workload back before anything ran)
POD_MAKERS = frozenset({("batch", "Job"), ("batch", "CronJob"), ("apps", "Deployment"), ("apps", "StatefulSet"),
                        ("apps", "DaemonSet"), ("apps", "ReplicaSet"), ("", "Pod"), ("kubeflow.org", "PyTorchJob"),
                        ("kubeflow.org", "TFJob"), ("kubeflow.org", "MPIJob"), ("kubeflow.org", "XGBoostJob"),
                        ("serving.knative.dev", "Service"), ("serving.kserve.io", "InferenceService")})


@dataclass
class Planned:
    """One workload's plan with what applying it needs."""

    desired: DesiredWorkload
    plan: WorkloadPlan
    resources: dict[str, Resource]
    old_gks: set[str]
    parent_uid: str | None
    namespace_missing: bool
    #: the parent as applied (with the run record), and the runs recorded so far
    parent_body: dict[str, Any]
    runs: dict[str, str]
    #: the run objects as seen during this sync (live before it, and as applied), for the history
    observed: list[dict[str, Any]] = field(default_factory=list)
    #: the run record is applied with the parent (a parent of an earlier wlc: runs.applied_record),
    #: else written with the status (syncstatus)
    applied_runs: bool = False
    #: the runs recorded after the apply (``runs`` and those it created)
    recorded: dict[str, str] = field(default_factory=dict)


@dataclass
class Gone:
    """A workload whose parent is in the cluster but not in the bundle."""

    plan: WorkloadPlan
    parent: dict[str, Any]
    resources: dict[str, Resource]


def with_owner(body: dict[str, Any], parent: str, uid: str) -> dict[str, Any]:
    """The member with an ownerReference to its ApplySet parent (for the garbage collector).
    A new body and metadata; the rest is shared with ``body`` (bodies are read, never changed)."""
    meta = body["metadata"]
    refs = [r for r in meta.get("ownerReferences") or [] if r.get("name") != parent]
    refs.append({"apiVersion": "v1", "kind": "ConfigMap", "name": parent, "uid": uid, "blockOwnerDeletion": True})
    return {**body, "metadata": {**meta, "ownerReferences": refs}}


def parent_body(body: dict[str, Any], gks: set[str]) -> dict[str, Any]:
    """The parent with its group-kinds annotation set to ``gks`` (sharing the rest with ``body``)."""
    meta = body["metadata"]
    annotations = {**meta["annotations"], L.APPLYSET_GKS: ",".join(sorted(gks))}
    return {**body, "metadata": {**meta, "annotations": annotations}}


def apply_workload(kube: Kube, p: Planned) -> str | None:
    """Parent (widened), changed members in order, prune, parent (narrowed). Stops at the first
    failure: what follows it in the bundle's order is not applied and nothing is pruned.
    Returns the parent's uid (None when it could not be applied)."""
    w, wp = p.desired, p.plan
    parent_op, member_ops = wp.objects[0], wp.objects[1:1 + len(w.members)]
    new = w.group_kinds()
    union = p.old_gks | new
    cm = p.resources[w.parent.group_kind]
    current: ObjectPlan = parent_op
    done = dict(p.runs)
    uid = p.parent_uid
    adopted: list[tuple[ObjectPlan, dict[str, Any]]] = []  # released again if a new workload is rolled back
    p.observed = [op.live for op, m in zip(member_ops, w.members)
                  if runs.is_run(m) and op.live is not None and op.action != "create"]
    try:
        if parent_op.action != "unchanged" or union != new:
            body = parent_body(p.parent_body, union)
            uid = str(kube.apply(cm, body, force=parent_op.owned)["metadata"]["uid"])
        assert uid is not None
        for op, m in zip(member_ops, w.members):
            current = op
            final = op.live
            if op.action == "recreate":
                _delete(kube, p.resources, op, "Foreground")
                _wait_gone(kube, p.resources[m.group_kind], op.namespace, op.name,
                           str((op.live or {})["metadata"]["uid"]), RECREATE_TIMEOUT)
            if op.action == "adopt" and op.live is not None:  # its fields wlc's first, then the apply
                kube.merge_patch(p.resources[m.group_kind], op.namespace, op.name,
                                 adopt.take_fields_patch(op.live), L.FIELD_MANAGER)
            if op.action in ("create", "update", "recreate", "adopt"):
                body = op.body if op.body is not None else m.body
                final = kube.apply(p.resources[m.group_kind], with_owner(body, w.parent.name, uid), force=op.owned)
                if op.action == "adopt":
                    adopted.append((op, final))
                if runs.is_run(m):
                    done[runs.key(m)] = str(final["metadata"]["uid"])
                    p.observed.append(final)
            note = kueuejobs.follow_active(kube, m, final, w.active) if final is not None else ""
            op.message = "; ".join(t for t in (op.message, note) if t)
            _fault_point(kube)
        prunes = [o for o in wp.objects[1 + len(w.members):] if o.action == "prune" and o.live is not None]
        for op in sorted(prunes, key=lambda o: sort_key(o.live or {}), reverse=True):
            current = op
            _delete(kube, p.resources, op, "Background")
        if union != new or (p.applied_runs and done != p.runs):
            current = parent_op
            body = runs.annotate(w.parent.body, w.spec_hash, done, w.active) if p.applied_runs else w.parent.body
            kube.apply(cm, parent_body(body, new), force=True)
    except errors.ClusterError as err:
        current.action, current.message = "failed", str(err)
        wp.fail("failed", f"{current.group_kind} {current.name}: {err}")
        if parent_op.action == "create" and p.parent_uid is None and uid is not None:
            _roll_back(kube, cm, p, uid, adopted)
            return None
    finally:
        p.recorded = done
    return uid


def _roll_back(kube: Kube, cm: Resource, p: Planned, uid: str,
               adopted: list[tuple[ObjectPlan, dict[str, Any]]] | None = None) -> None:
    """A new workload that failed part-way is deleted again (its parent, with foreground
    propagation: the garbage collector removes what was applied of it), so nothing of it stays.
    What it adopted is given back first (wlc's labels, annotations and the ownerReference
    removed): it existed before this sync and is not deleted with it; if that fails, the parent
    is kept and the next sync goes on from there."""
    w, wp = p.desired, p.plan
    for op, final in adopted or []:
        try:
            kube.merge_patch(p.resources[op.group_kind], op.namespace, op.name, adopt.release_patch(final, uid),
                             L.FIELD_MANAGER)
        except errors.ClusterError as err:
            wp.message += (f"; giving back the adopted {op.group_kind} {op.name} failed ({err}): the new workload "
                           "is kept, the next sync goes on from there")
            return
        op.action, op.message = "release", "adopted by this sync, given back when it was rolled back"
    try:
        kube.delete(cm, w.namespace, w.parent.name, uid, "Foreground")
        wp.message += "; the workload was new: what was applied of it is deleted again, nothing of it is kept"
    except errors.ClusterError as err:
        wp.message += f"; rolling the new workload back failed too ({err}): the next sync goes on from there"
    for op in wp.objects:
        if op.action == "create":
            op.action, op.message = "failed", "rolled back"


def _fault_point(kube: Kube) -> None:
    after = os.environ.get(PAUSE_AFTER, "")
    if not after.isdigit() or _paused or kube.metrics["writes"] < int(after):
        return
    _paused.append(True)
    print(f"wlc: test pause after {kube.metrics['writes']} writes", file=sys.stderr, flush=True)
    until = os.environ.get(PAUSE_UNTIL, "")
    while not (until and os.path.exists(until)):
        time.sleep(0.1)


def _delete(kube: Kube, resources: dict[str, Resource], op: ObjectPlan, propagation: str) -> None:
    res = resources.get(op.group_kind) or kube.resource(op.group, op.version, op.kind)
    uid = str(((op.live or {}).get("metadata") or {}).get("uid", ""))
    kube.delete(res, op.namespace, op.name, uid, propagation)


def delete_workload(kube: Kube, gone: Gone, timeout: float) -> None:
    """Delete the parent with foreground propagation (the garbage collector removes the members
    first), wait until it is gone, then delete any owned member the collector did not take."""
    wp, meta = gone.plan, gone.parent["metadata"]
    ns, name, uid = str(meta.get("namespace", "")), str(meta["name"]), str(meta["uid"])
    cm = kube.resource("", "v1", "ConfigMap")
    members = [o for o in wp.objects[1:] if o.action == "prune"]
    syncstatus.event(kube, ns, name, uid, "Deleted", f"no longer in the bundle: deleting the workload and its "
                 f"{len(members)} object(s)")
    try:
        kube.delete(cm, ns, name, uid, "Foreground")
        _wait_gone(kube, cm, ns, name, uid, timeout)
        for res in gone.resources.values():
            for obj in kube.list(res, ns, f"{L.PART_OF}={wp.applyset}"):
                if why_not_owned(obj, wp.applyset, is_parent=False, parent_uid=uid) is None:
                    kube.delete(res, ns, str(obj["metadata"]["name"]), str(obj["metadata"]["uid"]), "Background")
    except errors.ClusterError as err:
        wp.fail("failed", f"deleting the workload: {err}")


def _wait_gone(kube: Kube, res: Resource, ns: str, name: str, uid: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        live = kube.get(res, ns, name)
        if live is None or live["metadata"].get("uid") != uid:
            return
        if time.monotonic() > deadline:
            raise errors.TemporaryError(f"{res.kind} {ns}/{name} still exists {timeout:.0f} s after its foreground "
                                        "deletion (members waiting on finalizers?)")
        time.sleep(POLL)


