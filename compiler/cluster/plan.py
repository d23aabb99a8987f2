"""What a sync does (or would do), per workload and object, and how it is printed."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

#: Object and workload actions. A workload's action is its worst object's (failed > refused >
#: conflict > prune > release > recreate > create > adopt > update > unchanged), or its own when
#: the workload as a whole is created, pruned or refused. ``adopt``: an object that existed before
#: wlc taken over (adopt.py; an organisation object or a workload member); ``release``: an
#: organisation object given back, or a member a rolled-back new workload had adopted.
WORKLOAD_ACTIONS = ("create", "update", "recreate", "unchanged", "prune", "conflict", "refused", "failed")
ACTIONS = (*WORKLOAD_ACTIONS, "adopt", "release")
_SEVERITY = {"unchanged": 0, "update": 1, "adopt": 2, "create": 3, "recreate": 4, "release": 5, "prune": 6,
             "conflict": 7, "refused": 8, "failed": 9}
BAD = frozenset({"conflict", "refused", "failed"})


@dataclass
class ObjectPlan:
    group: str
    version: str
    kind: str
    namespace: str
    name: str
    action: str
    message: str = ""
    #: filled when planned: the live object, and the body to apply (with ownerReference)
    live: dict[str, Any] | None = field(default=None, repr=False)
    owned: bool = False
    #: the body to apply when it is not the bundle's (a field left to a controller)
    body: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def group_kind(self) -> str:
        return f"{self.kind}.{self.group}" if self.group else self.kind

    def as_dict(self) -> dict[str, Any]:
        out = {"group": self.group, "version": self.version, "kind": self.kind, "namespace": self.namespace,
               "name": self.name, "action": self.action}
        return out | ({"message": self.message} if self.message else {})


@dataclass
class WorkloadPlan:
    name: str
    namespace: str
    applyset: str
    action: str = "unchanged"
    message: str = ""
    objects: list[ObjectPlan] = field(default_factory=list)

    def settle(self) -> None:
        """The workload's action from its objects (keeps prune/refused/failed set as a whole)."""
        worst = max((o.action for o in self.objects), key=_SEVERITY.__getitem__, default="unchanged")
        if _SEVERITY[worst] > _SEVERITY[self.action]:
            self.action = worst

    def fail(self, action: str, message: str) -> None:
        self.action, self.message = action, message

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "namespace": self.namespace, "applyset": self.applyset,
                               "action": self.action}
        if self.message:
            out["message"] = self.message
        out["objects"] = [o.as_dict() for o in self.objects]
        return out


@dataclass
class Plan:
    overlay: str
    dry_run: bool
    workloads: list[WorkloadPlan] = field(default_factory=list)
    #: problems not of one workload (namespaces, the prune guard)
    messages: list[str] = field(default_factory=list)
    metrics: dict[str, int] = field(default_factory=dict)
    #: the organisation (namespaces, access, queues), when the bundle has one
    organisation: WorkloadPlan | None = None

    @property
    def ok(self) -> bool:
        org_bad = self.organisation is not None and self.organisation.action in BAD
        return not any(w.action in BAD for w in self.workloads) and not self.messages and not org_bad

    def counts(self) -> Counter[str]:
        return Counter(w.action for w in self.workloads)

    def as_dict(self) -> dict[str, Any]:
        return {"overlay": self.overlay, "dryRun": self.dry_run, "ok": self.ok,
                "summary": {a: self.counts().get(a, 0) for a in WORKLOAD_ACTIONS}, "messages": self.messages,
                "workloads": [w.as_dict() for w in self.workloads], "metrics": dict(sorted(self.metrics.items()))} | (
                    {"organisation": self.organisation.as_dict()} if self.organisation is not None else {})


def render_json(plan: Plan) -> str:
    return json.dumps(plan.as_dict(), indent=2, sort_keys=False) + "\n"


def render_text(plan: Plan, verbose: bool = False) -> str:
    """Changed workloads with their objects (every workload with ``verbose``), then a summary."""
    lines: list[str] = []
    org = [plan.organisation] if plan.organisation is not None else []
    for w in org + plan.workloads:
        if w.action == "unchanged" and not verbose:
            continue
        what = "organisation" if w is plan.organisation else f"workload {w.namespace}/{w.name}"
        lines.append(f"{w.action:<9} {what}" + (f": {w.message}" if w.message else ""))
        for o in w.objects:
            if o.action != "unchanged" or verbose:
                ref = f"{o.group_kind} {o.namespace}/{o.name}" if o.namespace else f"{o.group_kind} {o.name}"
                lines.append(f"  {o.action:<9} {ref}" + (f": {o.message}" if o.message else ""))
    lines.extend(f"error: {m}" for m in plan.messages)
    counts = plan.counts()
    summary = ", ".join(f"{counts.get(a, 0)} {a}" for a in WORKLOAD_ACTIONS)
    verb = "plan" if plan.dry_run else "sync"
    if plan.organisation is not None:
        objects = Counter(o.action for o in plan.organisation.objects)
        lines.append(f"{verb} ({plan.overlay}): organisation: {len(plan.organisation.objects)} object(s): "
                     + ", ".join(f"{objects.get(a, 0)} {a}" for a in ACTIONS if a in WORKLOAD_ACTIONS or objects[a]))
    lines.append(f"{verb} ({plan.overlay}): {len(plan.workloads)} workload(s): {summary}")
    return "\n".join(lines) + "\n"
