"""What the agent has done, for ``/metrics`` (Prometheus text format 0.0.4), ``/healthz`` and
``/readyz``, served by a stdlib HTTP server in a thread. ``/healthz`` is 200 while the loop is
alive (it stepped within three intervals); ``/readyz`` is 200 once a step reached the cluster
and the last one did not fail to fetch or reach it."""
from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .plan import Plan

STATES = ("create", "update", "recreate", "unchanged", "prune", "conflict", "refused", "failed")


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


@dataclass
class State:
    interval: float = 60.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    steps: Counter[str] = field(default_factory=Counter)
    applied: int = 0
    pruned: int = 0
    #: objects put back after a hand edit (drift.py)
    drifted: int = 0
    failures: int = 0
    last_duration: float = 0.0
    last_good_revision: str = ""
    last_good_time: float = 0.0
    last_step: float = field(default_factory=time.time)
    ready: bool = False
    workloads: dict[tuple[str, str], str] = field(default_factory=dict)
    #: whether this agent holds the lease (always true without leader election)
    leader: bool = True

    def stepped(self, result: str, duration: float, revision: str = "", plan: Plan | None = None,
                reached: bool = True) -> None:
        """Record one step; ``reached``: it fetched and reached the cluster (ready)."""
        with self.lock:
            self.steps[result] += 1
            self.last_duration, self.last_step = duration, time.time()
            self.ready = reached
            if result != "synced":
                self.failures += 1
            if plan is not None:
                objects = [o for w in plan.workloads for o in w.objects]
                self.applied += sum(o.action in ("create", "update", "recreate") for o in objects)
                self.pruned += sum(o.action == "prune" for o in objects)
                self.drifted += sum(o.action == "update" and o.message.startswith("drift: ") for o in objects)
                self.workloads = {(w.namespace, w.name): w.action for w in plan.workloads}
            if result == "synced":
                self.last_good_revision, self.last_good_time = revision, time.time()

    def standing(self, leader: bool) -> None:
        """A loop turn with leader election: a standby agent is alive and ready to take over."""
        with self.lock:
            self.leader = leader
            if not leader:
                self.last_step, self.ready = time.time(), True

    def healthy(self) -> bool:
        return time.time() - self.last_step < 3 * self.interval + 60

    def render(self) -> str:
        with self.lock:
            lines = ["# HELP wlc_sync_steps_total Agent steps by result.", "# TYPE wlc_sync_steps_total counter"]
            lines += [f'wlc_sync_steps_total{{result="{r}"}} {n}' for r, n in sorted(self.steps.items())]
            lines += _gauge("wlc_leader", "1 when this agent holds the lease and syncs.", str(int(self.leader)))
            lines += _gauge("wlc_sync_duration_seconds", "Duration of the last step.", f"{self.last_duration:.3f}")
            lines += _counter("wlc_objects_applied_total", "Objects created or updated.", self.applied)
            lines += _counter("wlc_objects_pruned_total", "Objects pruned or deleted with their workload.",
                              self.pruned)
            lines += _counter("wlc_drift_total", "Objects changed by hand and put back.", self.drifted)
            lines += _counter("wlc_sync_failures_total", "Steps that did not sync (fetch, build or cluster).",
                              self.failures)
            lines += ["# HELP wlc_last_successful_revision_info The revision of the last good sync.",
                      "# TYPE wlc_last_successful_revision_info gauge",
                      f'wlc_last_successful_revision_info{{revision="{_label(self.last_good_revision)}"}} 1']
            lines += _gauge("wlc_last_successful_sync_timestamp_seconds", "Time of the last good sync.",
                            f"{self.last_good_time:.0f}")
            lines += ["# HELP wlc_workload_sync_state The last sync's action per workload (1: the current one).",
                      "# TYPE wlc_workload_sync_state gauge"]
            for (ns, name), action in sorted(self.workloads.items()):
                lines += [f'wlc_workload_sync_state{{namespace="{_label(ns)}",workload="{_label(name)}",'
                          f'state="{s}"}} {int(s == action)}' for s in STATES]
        return "\n".join(lines) + "\n"


def _gauge(name: str, help_text: str, value: str) -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {value}"]


def _counter(name: str, help_text: str, value: int) -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} counter", f"{name} {value}"]


def serve(state: State, host: str, port: int) -> ThreadingHTTPServer:
    """Start the HTTP server in a daemon thread; ``server.server_address`` says the port."""
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/metrics":
                self._send(200, state.render(), "text/plain; version=0.0.4; charset=utf-8")
            elif self.path == "/healthz":
                ok = state.healthy()
                self._send(200 if ok else 503, "ok\n" if ok else "the loop has not stepped recently\n")
            elif self.path == "/readyz":
                self._send(200 if state.ready else 503, "ready\n" if state.ready else "not synced yet\n")
            else:
                self._send(404, "not found\n")

        def _send(self, code: int, text: str, ctype: str = "text/plain; charset=utf-8") -> None:
            data = text.encode()
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass  # requests are not logged (probes every few seconds)

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="wlc-metrics", daemon=True).start()
    return server
