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


def annotate(body: dict[str, Any], spec_hash: str, jobs: dict[str, str]) -> dict[str, Any]:
    """The parent body with the run record (unchanged when there is nothing to record)."""
    if not jobs:
        return body
    meta = body["metadata"]
    value = json.dumps({"specHash": spec_hash, "jobs": dict(sorted(jobs.items()))}, sort_keys=True,
                       separators=(",", ":"))
    return {**body, "metadata": {**meta, "annotations": {**(meta.get("annotations") or {}), RUN: value}}}


def spec_hash_of(obj: dict[str, Any]) -> str:
    """The spec hash a live object was applied with (its wlc.dev/spec-hash annotation)."""
    return str(((obj.get("metadata") or {}).get("annotations") or {}).get(L.SPEC_HASH, ""))


def recreate_reason(m: DesiredObject, live: dict[str, Any], spec_hash: str) -> str | None:
    """Why a live run object must be deleted and created again, or None: it was applied for another
    spec hash, so the desired one is a new run (and a Job's template is immutable). Decided from
    the hashes, never from a server's error."""
    old = spec_hash_of(live)
    if not is_run(m) or not old or old == spec_hash:
        return None
    return f"spec hash {old} -> {spec_hash}: a new run; the old {m.kind} is deleted and created again"
