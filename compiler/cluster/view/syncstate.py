"""Whether the cluster matches git, per workload: Synced, OutOfSync, Missing, Refused (docs/view.md).

From the agent's records alone (the ``status.wlc.dev/*`` annotations that syncstatus.py writes on
the ApplySet parent), or against a bundle (``wlc get --bundle DIR`` / ``--repo DIR``), which alone
can say that a workload of git is Missing from the cluster. Pure functions; the annotations are
read defensively (an older agent, or a parent applied by kubectl, has none of them).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ... import labels as L
from .. import syncstatus
from ..fetch import Obj, Workload
from ..source import Bundle, DesiredWorkload

SYNCED, OUT_OF_SYNC, MISSING, REFUSED, UNKNOWN = "Synced", "OutOfSync", "Missing", "Refused", "Unknown"
SYNC_STATES = (SYNCED, OUT_OF_SYNC, MISSING, REFUSED, UNKNOWN)
#: recorded results that mean the agent would not apply this workload's desired state
REFUSING = {"refused", "build-failed", "conflict"}
SPEC_HASH = L.SPEC_HASH


@dataclass(frozen=True)
class SyncState:
    state: str
    revision: str = ""
    message: str = ""


def short_revision(revision: str, chars: int) -> str:
    """A commit id cut to ``chars``, keeping the mark of an uncommitted work tree
    (``wlc sync --repo`` records ``<commit>-dirty``, gitrev.DIRTY)."""
    commit, dash, mark = revision.partition("-")
    return commit[:chars] + dash + mark


def parent_of(w: Workload) -> Obj | None:
    return next((o for o in w.objects if o.get("kind") == "ConfigMap"
                 and L.APPLYSET_ID in ((o.get("metadata") or {}).get("labels") or {})), None)


def from_records(w: Workload) -> SyncState:
    """What the agent recorded on the parent: its last result, revision and spec hash."""
    parent = parent_of(w)
    if parent is None:
        return SyncState(UNKNOWN, "", "no ApplySet parent in the cluster")
    notes = syncstatus.annotations_of(parent)
    result, revision = notes.get(syncstatus.RESULT, ""), notes.get(syncstatus.REVISION, "")
    message = notes.get(syncstatus.MESSAGE, "")
    if not result:
        return SyncState(UNKNOWN, revision, "no sync recorded on the parent (applied without the agent?)")
    if result in REFUSING:
        return SyncState(REFUSED, revision, f"{result}: {message}" if message else result)
    if result != "synced":
        return SyncState(OUT_OF_SYNC, revision, f"the last sync {result}: {message}" if message else result)
    synced, applied = notes.get(syncstatus.SPEC_HASH, ""), notes.get(SPEC_HASH, "")
    if synced and applied and synced != applied:
        return SyncState(OUT_OF_SYNC, revision, f"the parent has spec {applied}, the agent synced {synced}")
    return SyncState(SYNCED, revision, message)


def against(w: Workload | None, desired: DesiredWorkload | None, revision: str = "") -> SyncState:
    """The state of one workload given what the bundle wants (None: not in the bundle)."""
    if w is None:
        assert desired is not None
        return SyncState(MISSING, revision, f"in the bundle (spec {desired.spec_hash}), not in the cluster")
    recorded = from_records(w)
    if recorded.state == REFUSED:
        return recorded
    if desired is None:
        return SyncState(OUT_OF_SYNC, recorded.revision, "not in the bundle: the next sync deletes it")
    differs = _difference(w, desired)
    if differs:
        return SyncState(OUT_OF_SYNC, recorded.revision, differs)
    if recorded.state == OUT_OF_SYNC:
        return recorded
    return SyncState(SYNCED, recorded.revision, recorded.message if recorded.state == SYNCED else
                     "matches the bundle (no sync recorded)")


def _difference(w: Workload, desired: DesiredWorkload) -> str:
    parent = parent_of(w)
    applied = syncstatus.annotations_of(parent).get(SPEC_HASH, "")
    if applied != desired.spec_hash:
        return f"git has spec {desired.spec_hash}, the cluster {applied or 'none'}"
    want = {(m.kind, m.name) for m in (desired.parent, *desired.members)}
    have = {(str(o.get("kind")), str((o.get("metadata") or {}).get("name"))) for o in w.objects}
    gone = sorted(want - have)
    if gone:
        return "missing in the cluster: " + ", ".join(f"{k}/{n}" for k, n in gone)
    extra = sorted(have - want)
    if extra:
        return "not in the bundle: " + ", ".join(f"{k}/{n}" for k, n in extra)
    return ""


def compare(workloads: Sequence[Workload], bundle: Bundle,
            namespaces: Iterable[str] = (), project: str | None = None) -> tuple[list[Workload], dict[tuple[str, str], SyncState]]:
    """Every workload of the cluster and of the bundle (a Missing one has no objects), with its
    state, keyed by (namespace, name). ``namespaces``/``project`` narrow the bundle like the LISTs."""
    wanted = {w.key: w for w in bundle.workloads
              if (not namespaces or w.namespace in set(namespaces)) and (project is None or w.project == project)}
    have = {(w.namespace, w.name): w for w in workloads}
    states = {k: against(w, wanted.get(k), bundle.revision) for k, w in have.items()}
    missing = [Workload(d.name, d.namespace, d.project, d.type) for k, d in sorted(wanted.items()) if k not in have]
    for m in missing:
        states[(m.namespace, m.name)] = against(None, wanted[(m.namespace, m.name)], bundle.revision)
    return sorted([*workloads, *missing], key=lambda w: (w.namespace, w.name)), states
