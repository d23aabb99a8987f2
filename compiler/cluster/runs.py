"""Finished jobs are runs, not desired state.

The parent records, per spec hash, the uid of each run object (Job, PyTorchJob, TFJob, MPIJob)
wlc created or found: annotation ``wlc.dev/run`` = ``{"specHash": ..., "jobs": {"Kind/name": uid}}``.
A run object that is gone from the cluster (its TTL deleted it, or someone did) while the parent
still records it for the same spec hash is not created again. A changed spec hash is a new run.
"""
from __future__ import annotations

import json
from typing import Any

from .. import labels as L
from .source import DesiredObject

RUN = "wlc.dev/run"
RUN_KINDS = frozenset({("batch", "Job"), ("kubeflow.org", "PyTorchJob"), ("kubeflow.org", "TFJob"),
                       ("kubeflow.org", "MPIJob"), ("kubeflow.org", "XGBoostJob")})


def is_run(obj: DesiredObject) -> bool:
    return (obj.group, obj.kind) in RUN_KINDS


def key(obj: DesiredObject) -> str:
    return f"{obj.kind}/{obj.name}"


def recorded(parent: dict[str, Any] | None, spec_hash: str) -> dict[str, str]:
    """The runs the live parent records for ``spec_hash`` (none for another hash)."""
    if parent is None:
        return {}
    text = ((parent.get("metadata") or {}).get("annotations") or {}).get(RUN)
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        return {}
    if not isinstance(data, dict) or data.get("specHash") != spec_hash or not isinstance(data.get("jobs"), dict):
        return {}
    return {str(k): str(v) for k, v in data["jobs"].items()}


def record_text(spec_hash: str, jobs: dict[str, str], active: bool = True) -> str:
    """The value of the run record annotation."""
    return json.dumps({"specHash": spec_hash, "jobs": dict(sorted(jobs.items())), "active": active}, sort_keys=True,
                      separators=(",", ":"))


def annotate(body: dict[str, Any], spec_hash: str, jobs: dict[str, str], active: bool = True) -> dict[str, Any]:
    """The parent body with the run record (unchanged when there is nothing to record)."""
    if not jobs:
        return body
    meta = body["metadata"]
    value = record_text(spec_hash, jobs, active)
    return {**body, "metadata": {**meta, "annotations": {**(meta.get("annotations") or {}), RUN: value}}}


def applied_record(parent: dict[str, Any] | None) -> bool:
    """Whether field manager wlc's apply holds the live parent's run record, as earlier wlc
    versions wrote it (a second apply of the parent). The record is written with the status now
    (``syncstatus``, manager wlc-status, in the patch a sync sends anyway); an applied one must
    go on being applied, or the next apply would remove it, and with it the memory of the runs
    that finished."""
    for entry in ((parent or {}).get("metadata") or {}).get("managedFields") or []:
        if (isinstance(entry, dict) and entry.get("manager") == L.FIELD_MANAGER and entry.get("operation") == "Apply"
                and not entry.get("subresource")):
            annotations = ((entry.get("fieldsV1") or {}).get("f:metadata") or {}).get("f:annotations") or {}
            if f"f:{RUN}" in annotations:
                return True
    return False


def flipped(parent: dict[str, Any] | None, active: bool) -> bool:
    """Whether the live parent's run record was made for the other ``active`` (a stop or resume)."""
    text = (((parent or {}).get("metadata") or {}).get("annotations") or {}).get(RUN)
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        return False
    return isinstance(data, dict) and isinstance(data.get("active"), bool) and data["active"] != active


def _within(want: Any, have: Any) -> bool:
    """``want`` is found in ``have`` (which may hold defaults and a controller's additions)."""
    if isinstance(want, dict):
        return isinstance(have, dict) and all(_within(v, have.get(k)) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(have, list) and len(have) >= len(want) and all(map(_within, want, have))
    if isinstance(want, int | float) and not isinstance(want, bool) and isinstance(have, str):
        return str(want) == have  # a quantity the server wrote as a string (nvidia.com/gpu: 1 -> "1")
    return bool(want == have)


def same_job(m: DesiredObject, live: dict[str, Any]) -> bool:
    """The live run object already is the desired one but for ``suspend``: a stop or resume
    changes it in place (suspend is mutable), it is not a new run."""
    spec = json.loads(json.dumps(m.body.get("spec") or {}))
    spec.pop("suspend", None)
    (spec.get("runPolicy") or {}).pop("suspend", None)
    return _within(spec, live.get("spec") or {})


def spec_hash_of(obj: dict[str, Any]) -> str:
    """The spec hash a live object was applied with (its wlc.dev/spec-hash annotation)."""
    return str(((obj.get("metadata") or {}).get("annotations") or {}).get(L.SPEC_HASH, ""))


def recreate_reason(m: DesiredObject, live: dict[str, Any], spec_hash: str, flip: bool = False) -> str | None:
    """Why a live run object must be deleted and created again, or None: it was applied for another
    spec hash, so the desired one is a new run (and a Job's template is immutable). Decided from
    the hashes, never from a server's error. ``flip``: the spec hash changed with ``active``; when
    the job is otherwise the same, that is a stop or resume of the same run, not a new one."""
    old = spec_hash_of(live)
    if not is_run(m) or not old or old == spec_hash or (flip and same_job(m, live)):
        return None
    return f"spec hash {old} -> {spec_hash}: a new run; the old {m.kind} is deleted and created again"


# -- the run history, from the run objects' status as seen at sync time -----------------------

#: status annotation on the parent (field manager wlc-status): the runs seen, oldest first
HISTORY = "status.wlc.dev/runs"
MAX_HISTORY = 20
_SUCCEEDED = frozenset({"Complete", "Succeeded"})


def _true_conditions(status: dict[str, Any]) -> dict[str, str]:
    """type -> lastTransitionTime of the conditions that are True."""
    out = {}
    for c in status.get("conditions") or []:
        if isinstance(c, dict) and c.get("status") == "True":
            out[str(c.get("type"))] = str(c.get("lastTransitionTime") or "")
    return out


def _suspended(obj: dict[str, Any]) -> bool:
    spec = obj.get("spec") or {}
    return bool(spec.get("suspend") or (spec.get("runPolicy") or {}).get("suspend"))


def observe(obj: dict[str, Any]) -> dict[str, str]:
    """One run as its live object says: uid, kind, name, spec hash, start, completion and result
    (pending, running, suspended, succeeded, failed)."""
    meta, status = obj.get("metadata") or {}, obj.get("status") or {}
    true = _true_conditions(status)
    done = next((t for t in ("Failed", *sorted(_SUCCEEDED)) if t in true), None)
    if done is not None:
        result = "failed" if done == "Failed" else "succeeded"
    elif _suspended(obj):
        result = "suspended"
    else:
        result = "running" if status.get("startTime") or "Running" in true else "pending"
    entry = {"uid": str(meta.get("uid", "")), "kind": str(obj.get("kind", "")), "name": str(meta.get("name", "")),
             "specHash": spec_hash_of(obj), "result": result}
    if status.get("startTime"):
        entry["start"] = str(status["startTime"])
    completion = status.get("completionTime") or (true.get(done) if done is not None else None)
    if completion:
        entry["completion"] = str(completion)
    return entry


def history(parent: dict[str, Any] | None) -> list[dict[str, str]]:
    """The runs the live parent's status records (none when absent or unreadable)."""
    text = (((parent or {}).get("metadata") or {}).get("annotations") or {}).get(HISTORY)
    try:
        data = json.loads(text) if text else []
    except ValueError:
        return []
    if not isinstance(data, list):
        return []
    return [{str(k): str(v) for k, v in e.items()} for e in data if isinstance(e, dict) and e.get("uid")]


def merged(old: list[dict[str, str]], seen: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The history with each run seen now replacing its earlier entry (by uid), new ones last,
    at most MAX_HISTORY entries. A run seen finished keeps its result once its object is gone."""
    out = {e["uid"]: e for e in old}
    for obj in seen:
        entry = observe(obj)
        if entry["uid"]:
            out[entry["uid"]] = entry  # in place: a no-op sync keeps the text (and writes nothing)
    return list(out.values())[-MAX_HISTORY:]


def history_text(entries: list[dict[str, str]]) -> str:
    return json.dumps(entries, sort_keys=True, separators=(",", ":"))
