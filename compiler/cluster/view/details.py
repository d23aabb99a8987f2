"""A workload's details: its objects, pods (node, node pool, image, GPUs), conditions, events."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .. import status as st
from ..fetch import Workload, event_time
from . import syncstate
from .table import text_table

Obj = dict[str, Any]


def pod_rows(w: Workload, pools: Mapping[str, str]) -> list[dict[str, str]]:
    out = []
    for p in sorted(w.pods, key=lambda p: str(p["metadata"]["name"])):
        spec, status = p.get("spec") or {}, p.get("status") or {}
        node = str(spec.get("nodeName") or "")
        out.append({"pod": str(p["metadata"]["name"]), "status": _pod_status(p), "node": node,
                    "node-pool": pools.get(node, ""),
                    "image": ", ".join(str(c.get("image", "")) for c in spec.get("containers") or []),
                    "gpus": f"{st.pod_gpus(p) if node else 0:g}",
                    "restarts": str(sum(int(c.get("restartCount", 0)) for c in status.get("containerStatuses") or []))})
    return out


def _pod_status(pod: Obj) -> str:
    problem = st.pod_problem(pod)
    phase = str((pod.get("status") or {}).get("phase") or "Unknown")
    if st.pod_ready(pod):
        return "Running"
    return f"{phase} ({problem.split(':')[0]})" if problem else phase


def condition_rows(w: Workload) -> list[list[str]]:
    rows = []
    for o in w.objects:
        for c in (o.get("status") or {}).get("conditions") or []:
            rows.append([f"{o['kind']}/{o['metadata']['name']}", str(c.get("type")), str(c.get("status")),
                         str(c.get("reason") or ""), str(c.get("message") or "")])
    return rows


def event_rows(events: Sequence[Obj], text: str | None) -> list[dict[str, str]]:
    out = []
    for e in events:
        involved = e.get("involvedObject") or {}
        row = {"time": event_time(e), "type": str(e.get("type") or ""), "reason": str(e.get("reason") or ""),
               "object": f"{involved.get('kind')}/{involved.get('name')}", "message": str(e.get("message") or "")}
        if text and not any(text.lower() in v.lower() for v in row.values()):
            continue
        out.append(row)
    return out


def describe(w: Workload, pools: Mapping[str, str], events: Sequence[Obj], events_filter: str | None,
             metrics: Sequence[str] = ()) -> str:
    s = w.status()
    lines = [f"Workload:      {w.name}", f"Namespace:     {w.namespace}", f"Project:       {w.project}",
             f"Type:          {w.type}", f"Status:        {s.status}" + (f" ({s.message})" if s.message else ""),
             f"Pods:          {s.running_pods} running / {s.requested_pods} requested",
             f"GPUs:          {s.gpus_requested:g} requested / {s.gpus_allocated:g} allocated",
             f"Created:       {w.created()}", f"Sync:          {_sync(syncstate.from_records(w))}", "", "Objects:"]
    lines += [f"  {o['kind']}/{o['metadata']['name']}" for o in w.objects]
    lines += ["", *metrics] if metrics else []
    pods = pod_rows(w, pools)
    lines += ["", "Pods:" + ("" if pods else " none")]
    if pods:
        keys = ["pod", "status", "node", "node-pool", "image", "gpus", "restarts"]
        lines += _indent(text_table([k.upper() for k in keys], [[p[k] for k in keys] for p in pods]))
    conds = condition_rows(w)
    lines += ["", "Conditions:" + ("" if conds else " none")]
    if conds:
        lines += _indent(text_table(["OBJECT", "TYPE", "STATUS", "REASON", "MESSAGE"], conds))
    evs = event_rows(events, events_filter)
    lines += ["", "Events" + (f" matching {events_filter!r}" if events_filter else "") + ":" + ("" if evs else " none")]
    if evs:
        keys = ["time", "type", "reason", "object", "message"]
        lines += _indent(text_table([k.upper() for k in keys], [[e[k] for k in keys] for e in evs]))
    return "\n".join(lines) + "\n"


def _indent(text: str) -> list[str]:
    return ["  " + line for line in text.rstrip("\n").split("\n")]


def _sync(sync: syncstate.SyncState) -> str:
    revision = f" at {sync.revision}" if sync.revision else ""
    return f"{sync.state}{revision}" + (f" ({sync.message})" if sync.message else "")
