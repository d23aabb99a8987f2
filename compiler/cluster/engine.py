"""The sync engine: plan a bundle against the cluster, then apply, prune and delete.

Order per workload: its namespace (created first, or refused by option), the ApplySet parent
(group-kinds widened to old ∪ new), the members in the bundle's order with an ownerReference to
the parent, the prune of members the bundle no longer has, and the parent narrowed to the new
group-kinds. Workloads whose parent is in the cluster but not in the bundle are deleted as one,
behind the empty-set and mass-delete guards. Only objects wlc provably owns are touched
(``ownership.why_not_owned``); unchanged objects are not written. The live state is read up
front with LISTs (``livestate``); an object is unchanged when its listed state already is what
the apply would make it (``samefields``), else a server-side dry run decides. A new object is
dry-run first, except in a workload that is new as a whole: there the members up to its first
pod-making one are applied without one, and a failure rolls the workload back (``execute``).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from .. import gcpause
from .. import labels as L
from . import adopt, drift, errors, execute, fields, gone, livestate, orgsync, runs, samefields, syncstatus
from .execute import Planned, with_owner
from .kube import Kube, Resource
from .livestate import LiveState
from .ownership import comparable, group_kinds, why_not_owned
from .plan import ObjectPlan, Plan, WorkloadPlan
from .source import Bundle, DesiredObject, DesiredWorkload

#: what a member's conflict says when ``--adopt`` would take the object over
ADOPT_HINT = f"an object that existed before wlc is taken over with `wlc sync {adopt.OPTION}` (docs/sync.md)"


@dataclass(frozen=True)
class Options:
    """What an admin may choose."""

    create_namespaces: bool = True
    allow_mass_delete: bool = False
    #: a sync deleting more workloads than this, or more than this share of the workloads wlc
    #: has in the cluster, is refused unless approved (approval.py)
    max_delete: int = 10
    max_delete_share: float = 0.5
    #: ids of large deletes approved (approval.delete_id), and the Namespace whose
    #: wlc.dev/approve-delete annotation approves more (the agent's)
    approve_delete: tuple[str, ...] = ()
    approval_namespace: str = ""
    delete_timeout: float = 120.0
    #: workloads planned and applied at the same time (each one's own steps stay in order)
    concurrency: int = 4
    #: the namespaces whose wlc workloads this bundle owns (empty: the whole cluster); a workload
    #: outside them is never deleted as "gone from the bundle"
    namespaces: tuple[str, ...] = ()
    #: organisation objects that existed before wlc (no wlc labels, no other tool's) are adopted
    adopt: bool = False


#: the collector is off while a bundle is read and while the engine runs: both make millions of
#: objects that live to the end (about a fifth of a no-op sync's CPU went to rescanning them)
paused_gc = gcpause.paused


class Engine:
    def __init__(self, kube: Kube, options: Options | None = None) -> None:
        self.kube = kube
        self.options = options or Options()

    @property
    def metrics(self) -> dict[str, int]:
        """Requests sent so far: ``requests``, ``requests.<VERB>``, ``writes``."""
        return {"requests": 0, "writes": 0, **self.kube.metrics}

    def plan(self, bundle: Bundle) -> Plan:
        return self.run(bundle, dry_run=True)

    def sync(self, bundle: Bundle) -> Plan:
        return self.run(bundle, dry_run=False)

    def run(self, bundle: Bundle, dry_run: bool) -> Plan:
        with paused_gc():
            return self._run(bundle, dry_run)

    def _run(self, bundle: Bundle, dry_run: bool) -> Plan:
        out = Plan(bundle.overlay, dry_run)
        org = orgsync.plan(self.kube, bundle, self.options, dry_run)  # applied first, pruned last
        if org is not None and not dry_run:
            orgsync.apply(self.kube, org)
        missing, refused = self._namespaces(bundle, out, dry_run)
        resource_of = livestate.resolver(self.kube, bundle)
        state = livestate.read(self.kube, bundle, self.options.namespaces, missing | refused, resource_of,
                               self.options.concurrency)
        def one(w: DesiredWorkload) -> WorkloadPlan:
            wp = WorkloadPlan(w.name, w.namespace, w.applyset)
            if w.namespace in refused:
                wp.fail("refused", f"namespace {w.namespace} does not exist and creating namespaces is off")
                return wp
            planned = self._plan_workload(w, wp, state, w.namespace in missing and dry_run, dry_run)
            uid = execute.apply_workload(self.kube, planned) if planned is not None and not dry_run else None
            wp.settle()
            if not dry_run:
                record = None  # the run record goes with the status, unless it is applied with the parent
                if planned is not None and not planned.applied_runs and planned.recorded:
                    record = runs.record_text(w.spec_hash, planned.recorded, w.active)
                self._report(wp, w.parent.name, uid, bundle.revision, w.spec_hash,
                             planned.observed if planned is not None else None, record)
            return wp

        with ThreadPoolExecutor(max_workers=self.options.concurrency) as pool:  # workloads are independent
            out.workloads.extend(pool.map(one, bundle.workloads))
        scope = set(self.options.namespaces)
        in_scope = [p for (ns, _n), p in sorted(state.parents.items())
                    if (not scope or ns in scope) and not orgsync.is_parent(p)]  # the organisation: orgsync
        gone_ = gone.plan_gone(self.kube, bundle, in_scope, out, self.options, resource_of)
        out.workloads.extend(g.plan for g in gone_)
        doomed = [g for g in gone_ if g.plan.action == "prune"] if not dry_run else []
        for g in gone_ if not dry_run else []:
            if g.plan.action == "refused":
                self._report(g.plan, str(g.parent["metadata"]["name"]), None, "", "")
        with ThreadPoolExecutor(max_workers=self.options.concurrency) as pool:
            list(pool.map(lambda g: execute.delete_workload(self.kube, g, self.options.delete_timeout), doomed))
        if org is not None:
            out.organisation = orgsync.finish(self.kube, org, self.options, dry_run)
        out.metrics = self.metrics
        return out

    def _report(self, wp: WorkloadPlan, parent: str, uid: str | None, revision: str, spec_hash: str,
                observed: list[dict[str, Any]] | None = None, run_record: str | None = None) -> None:
        """Events and status (and the run record, when given) on the workload's parent, when it is ours."""
        first = wp.objects[0] if wp.objects else None
        live = first.live if first is not None and first.owned else None
        if uid is None and live is not None:
            uid = str(live["metadata"]["uid"])
        syncstatus.report_workload(self.kube, wp, parent, uid, live, revision, spec_hash, observed, run_record)

    def refuse(self, result: str, message: str) -> int:
        """Record a refusal of the whole desired state (a build with errors) on every wlc parent in
        scope; nothing else is written. Returns how many parents were written."""
        cm = self.kube.resource("", "v1", "ConfigMap")
        selector = f"{L.MANAGED_BY}={L.MANAGED_BY_VALUE},{L.APPLYSET_ID}"
        parents = [p for ns in (self.options.namespaces or ("",)) for p in self.kube.list(cm, ns, selector)]
        owned = [p for p in parents if why_not_owned(p, str(p["metadata"]["labels"][L.APPLYSET_ID]), True) is None]
        return syncstatus.report_refusal(self.kube, owned, result, message)

    # -- namespaces ------------------------------------------------------------------------------

    def _namespaces(self, bundle: Bundle, out: Plan, dry_run: bool) -> tuple[set[str], set[str]]:
        """(missing namespaces, refused namespaces); creates the missing ones unless dry_run."""
        ns_res = self.kube.resource("", "v1", "Namespace")
        missing, refused = set(), set()
        for ns in sorted({w.namespace for w in bundle.workloads}):
            if self.kube.get(ns_res, "", ns) is not None:
                continue
            if not self.options.create_namespaces:
                refused.add(ns)
                continue
            missing.add(ns)
            if not dry_run:
                body = {"apiVersion": "v1", "kind": "Namespace",
                        "metadata": {"name": ns, "labels": {L.MANAGED_BY: L.MANAGED_BY_VALUE}}}
                try:
                    self.kube.apply(ns_res, body, force=False)
                except errors.ClusterError as err:
                    out.messages.append(f"namespace {ns}: {err}")
                    refused.add(ns)
        return missing, refused

    # -- one workload ----------------------------------------------------------------------------

    def _plan_workload(self, w: DesiredWorkload, wp: WorkloadPlan, state: LiveState,
                       namespace_missing: bool, dry_run: bool) -> Planned | None:
        try:
            resources = {o.group_kind: self.kube.resource(o.group, o.version, o.kind) for o in (w.parent, *w.members)}
        except errors.MissingKind as err:
            wp.fail("failed", f"{err}; nothing of this workload is applied (the others go on)")
            return None
        try:
            return self._compare(w, wp, state, resources, namespace_missing, dry_run)
        except errors.ClusterError as err:
            wp.fail("failed", str(err))
            return None

    def _compare(self, w: DesiredWorkload, wp: WorkloadPlan, state: LiveState, resources: dict[str, Resource],
                 namespace_missing: bool, dry_run: bool) -> Planned | None:
        if namespace_missing:  # a dry run cannot ask the server about a namespace that is not there yet
            wp.objects = [_object_plan(o, "create", "namespace will be created") for o in (w.parent, *w.members)]
            return Planned(w, wp, resources, set(), None, True, w.parent.body, {})
        cm = resources[w.parent.group_kind]
        live_parent = state.parent(w.namespace, w.parent.name)
        reason = None if live_parent is None else why_not_owned(live_parent, w.applyset, is_parent=True)
        owned = live_parent is not None and reason is None
        old = group_kinds(live_parent) if owned else set()
        uid = str(live_parent["metadata"]["uid"]) if live_parent is not None and owned else None
        live = state.members_of(w.namespace, w.applyset, old | w.group_kinds())
        done = runs.recorded(live_parent, w.spec_hash) if owned else {}
        flip = owned and runs.flipped(live_parent, w.active)
        for m in w.members:  # run objects wlc applied are recorded on the parent
            obj = live.get((m.group_kind, m.name))
            if (runs.is_run(m) and obj is not None and why_not_owned(obj, w.applyset, False, uid) is None
                    and runs.recreate_reason(m, obj, w.spec_hash, flip) is None):
                done[runs.key(m)] = str(obj["metadata"]["uid"])
        applied_runs = owned and runs.applied_record(live_parent)
        body = runs.annotate(w.parent.body, w.spec_hash, done, w.active) if applied_runs else w.parent.body
        parent_body = execute.parent_body(body, w.group_kinds())
        if live_parent is None:
            # a sync applies a new parent first, before any member: only a plan needs its dry run
            wp.objects.append(self._dry_create(w.parent, cm) if dry_run else _object_plan(w.parent, "create"))
        elif reason is not None:
            wp.objects.append(_object_plan(w.parent, "conflict", reason, live_parent))
        else:
            wp.objects.append(self._dry_run(w.parent, cm, parent_body, live_parent))
        unchecked = live_parent is None and not dry_run  # a new workload: rolled back if it fails (execute)
        for m in w.members:
            found = live.pop((m.group_kind, m.name), None)
            if found is None and runs.key(m) in done and runs.is_run(m):
                wp.objects.append(_object_plan(m, "unchanged", f"run {done[runs.key(m)]} of spec {w.spec_hash} "
                                               "finished and was deleted: not run again"))
                continue
            if found is None:  # not labelled as ours: free, or someone else's
                found = state.lookup(m.group_kind, m.namespace, m.name)
            wp.objects.append(self._member_plan(m, resources[m.group_kind], found, w, uid, flip, not unchecked))
            unchecked = unchecked and (m.group, m.kind) not in execute.POD_MAKERS
        for (gk, name), obj in sorted(live.items()):  # labelled as ours, no longer in the bundle
            wp.objects.append(gone.prune_plan(gk, name, obj, w.applyset, uid))
        if any(o.action == "conflict" for o in wp.objects):
            wp.fail("conflict", "objects of this name exist and wlc does not own them; nothing of this workload "
                    "is applied")
            return None
        return Planned(w, wp, resources, old, uid, False, parent_body, done, applied_runs=applied_runs)

    def _member_plan(self, m: DesiredObject, res: Resource, live: dict[str, Any] | None, w: DesiredWorkload,
                     parent_uid: str | None, flip: bool = False, check: bool = True) -> ObjectPlan:
        if live is None:
            return self._dry_create(m, res) if check else _object_plan(m, "create")
        reason = why_not_owned(live, w.applyset, is_parent=False, parent_uid=parent_uid)
        if reason is not None:
            return self._adopt_or_conflict(m, w, live, reason)
        body = adopt.body_for(fields.desired_body(m, w, live), live)  # an adopted one keeps its annotation
        recreate = runs.recreate_reason(m, live, w.spec_hash, flip) if parent_uid is not None else None
        if recreate is not None:
            found = _object_plan(m, "recreate", recreate, live, owned=True)
        elif parent_uid is None:
            found = _object_plan(m, "update", "the parent is re-created: new ownerReference", live, owned=True)
        else:
            found = self._dry_run(m, res, with_owner(body, w.parent.name, parent_uid), live)
        found.body = body
        return found

    def _adopt_or_conflict(self, m: DesiredObject, w: DesiredWorkload, live: dict[str, Any],
                           reason: str) -> ObjectPlan:
        """A member of this name that wlc does not own: with ``Options.adopt``, taken over when
        nothing else claims it (adopt.py) and it is not a run (a Job wlc did not start is no run
        of this spec); else a conflict that says whether ``--adopt`` would take it."""
        run = "a run (Job or training job) that wlc did not start" if runs.is_run(m) else None
        if run is not None or not self.options.adopt or adopt.why_not_adoptable(live) is not None:
            message = adopt.conflict_message(reason, live, self.options.adopt, ADOPT_HINT, run)
            return _object_plan(m, "conflict", message, live)
        found = _object_plan(m, "adopt", adopt.taken_message(reason) + "; from now on it lives and dies with the "
                             "workload", live, owned=True)
        found.body = adopt.body_for(fields.desired_body(m, w, live), live, adopting=True)
        return found

    def _dry_create(self, obj: DesiredObject, res: Resource) -> ObjectPlan:
        """A create, validated by the server first (a workload with an invalid object applies nothing)."""
        self.kube.apply(res, obj.body, force=False, dry_run=True)
        return _object_plan(obj, "create")

    def _dry_run(self, obj: DesiredObject, res: Resource, body: dict[str, Any], live: dict[str, Any]) -> ObjectPlan:
        """Unchanged when the listed object shows it (no request), else as the server's dry run says."""
        if samefields.unchanged(body, live):
            return _object_plan(obj, "unchanged", "", live, owned=True)
        after = comparable(self.kube.apply(res, body, force=True, dry_run=True))
        if after != comparable(live):  # a controller may have written in between: look again
            again = self.kube.get(res, obj.namespace, obj.name)
            live = again if again is not None else live
        action = "unchanged" if after == comparable(live) else "update"
        return _object_plan(obj, action, drift.message(live, after, obj.body) if action == "update" else "", live,
                            owned=True)


def _object_plan(o: DesiredObject, action: str, message: str = "", live: dict[str, Any] | None = None,
                 owned: bool = False) -> ObjectPlan:
    return ObjectPlan(o.group, o.version, o.kind, o.namespace, o.name, action, message, live, owned)

