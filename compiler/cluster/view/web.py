"""`wlc view`: the workloads page, server-side rendered with Jinja2, served by the standard
library's HTTP server (docs/view.md). Read-only unless started with a token and an actor: then
the actions POST to /action (actions.py checks token and origin) and the actor commits."""
from __future__ import annotations

import html
import json
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import jinja2

from .. import errors
from ..fetch import Workload
from . import actions as wactions
from . import details, gpumetrics, syncstate, table

NO_METRICS = "metrics not read: this page was started without a metrics source"
#: a snapshot of the cluster: the workloads and node -> node pool
Source = Callable[[], tuple[list[Workload], dict[str, str]]]
#: a workload's GPU metrics from Prometheus; None when no Prometheus URL was given
Gpus = Callable[[Workload], "gpumetrics.GpuUsage | None"]
#: (namespace, name) -> GPU utilization ("71%"), for the table's gpu-util column
GpuTable = Callable[[Sequence[Workload]], Mapping[tuple[str, str], str]]
ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                         autoescape=True, trim_blocks=True, lstrip_blocks=True)


@dataclass(frozen=True)
class Query:
    search: str = ""
    status: str = ""
    type: str = ""
    sort: str = "workload"
    columns: tuple[str, ...] = table.DEFAULT
    selected: str = ""  # namespace/name
    events: str = ""
    sync: str = ""

    @classmethod
    def parse(cls, query: str) -> Query:
        q = {k: v[-1] for k, v in parse_qs(query).items()}
        cols = tuple(c for c in parse_qs(query).get("col", []) if c in table.COLUMNS) or table.DEFAULT
        sort = q.get("sort", "workload")
        return cls(q.get("q", ""), q.get("status", ""), q.get("type", ""),
                   sort if sort in table.COLUMNS else "workload", cols, q.get("w", ""), q.get("events", ""),
                   q.get("sync", ""))


def shown(workloads: Sequence[Workload], pools: Mapping[str, str], q: Query,
          gpu_table: GpuTable | None = None) -> list[tuple[Workload, table.Row]]:
    util = gpu_table(workloads) if gpu_table and "gpu-util" in (*q.columns, q.sort) else {}
    pairs = [(w, table.row(w, pools, None, util.get((w.namespace, w.name), ""))) for w in workloads]
    keep = {id(r) for r in table.sort(table.select([r for _, r in pairs], q.type, q.status, q.search, q.sync), q.sort)}
    order = {id(r): i for i, r in enumerate(table.sort([r for _, r in pairs], q.sort))}
    return sorted(((w, r) for w, r in pairs if id(r) in keep), key=lambda p: order[id(p[1])])


def actions(w: Workload) -> list[tuple[str, str, str]]:
    """(button, the command it stands for, the verb POSTed to /action)."""
    p = shlex.quote(w.project)
    n = shlex.quote(w.name)
    return [("Stop", f"wlc stop {n} --project {p} --commit", "stop"),
            ("Run", f"wlc activate {n} --project {p} --commit", "activate"),
            ("Make a copy", f"wlc copy {n} {n}-copy --project {p} --commit", "copy"),
            ("Delete", f"wlc delete {n} --project {p} --commit", "delete")]


def repeated(workloads: Sequence[Workload]) -> set[str]:
    """Names that several namespaces have: their rows show the namespace too."""
    seen: dict[str, int] = {}
    for w in workloads:
        seen[w.name] = seen.get(w.name, 0) + 1
    return {name for name, count in seen.items() if count > 1}


def render_page(workloads: Sequence[Workload], pools: Mapping[str, str], q: Query, fragment: str = "",
                metrics: Callable[[Workload], str] | None = None, can_act: bool = False,
                gpus: Gpus | None = None, gpu_table: GpuTable | None = None) -> str:
    pairs = shown(workloads, pools, q, gpu_table)
    chosen = next((w for w, _ in pairs if f"{w.namespace}/{w.name}" == q.selected), None)
    gpu = gpus(chosen) if gpus and chosen else None
    context = {
        "q": q, "rows": [r for _, r in pairs], "keys": [f"{w.namespace}/{w.name}" for w, _ in pairs],
        "headers": table.COLUMNS, "all_columns": list(table.COLUMNS),
        "statuses": sorted({r.values["status"] for _, r in pairs} | ({q.status} - {""})),
        "types": sorted({w.type for w in workloads}), "sync_states": syncstate.SYNC_STATES, "total": len(workloads),
        "chosen": chosen, "actions": actions(chosen) if chosen else [],
        "pods": details.pod_rows(chosen, pools) if chosen else [],
        "conditions": details.condition_rows(chosen) if chosen else [],
        "sync_of": syncstate.from_records,
        "metrics": (metrics(chosen) if metrics else NO_METRICS) if chosen else "",
        "can_act": can_act, "token_header": wactions.TOKEN_HEADER, "repeated": repeated(workloads),
        "namespaces": [w.namespace for w, _ in pairs],
        "gpu_summary": gpumetrics.summary(gpu) if gpu else gpumetrics.NO_URL,
        "gpu_headers": gpumetrics.HEADERS, "gpu_rows": gpumetrics.rows(gpu) if gpu else [],
    }
    return ENV.get_template(fragment or "page.html").render(**context)


def csv_text(workloads: Sequence[Workload], pools: Mapping[str, str], q: Query,
             gpu_table: GpuTable | None = None) -> str:
    return table.render([r for _, r in shown(workloads, pools, q, gpu_table)], q.columns, "csv")


def make_handler(source: Source, events: Callable[[Workload], list[dict[str, object]]],
                 logs: Callable[[Workload], str], metrics: Callable[[Workload], str] | None = None,
                 actor: wactions.Actor | None = None, token: str | None = None,
                 gpus: Gpus | None = None, gpu_table: GpuTable | None = None) -> type[BaseHTTPRequestHandler]:
    can_act = bool(token) and actor is not None

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def _send(self, body: str, ctype: str, extra: Mapping[str, str] | None = None, code: int = 200) -> None:
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                             "script-src 'self' 'unsafe-inline'")
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlparse(self.path)
            q = Query.parse(url.query)
            try:
                workloads, pools = source()
            except errors.ClusterError as err:  # the cluster failed: say so on the page
                self._send(f"<p>cluster error: {html.escape(str(err))}</p>", "text/html; charset=utf-8", code=502)
                return
            chosen = next((w for w in workloads if f"{w.namespace}/{w.name}" == q.selected), None)
            if url.path == "/":
                self._send(render_page(workloads, pools, q, metrics=metrics, can_act=can_act, gpus=gpus,
                                       gpu_table=gpu_table),
                           "text/html; charset=utf-8")
            elif url.path == "/rows":
                self._send(render_page(workloads, pools, q, "rows.html", gpu_table=gpu_table), "text/html; charset=utf-8")
            elif url.path == "/workloads.csv":
                self._send(csv_text(workloads, pools, q, gpu_table), "text/csv; charset=utf-8",
                           {"Content-Disposition": 'attachment; filename="workloads.csv"'})
            elif url.path == "/events" and chosen is not None:
                rows = details.event_rows(events(chosen), q.events)
                self._send(ENV.get_template("events.html").render(events=rows), "text/html; charset=utf-8")
            elif url.path == "/logs" and chosen is not None:
                name = f"{chosen.name}_{chosen.pods[0]['metadata']['name'] if chosen.pods else 'nopod'}.log"
                self._send(logs(chosen), "text/plain; charset=utf-8",
                           {"Content-Disposition": f'attachment; filename="{name}"'})
            else:
                self._send("not found", "text/plain", code=404)

        def do_POST(self) -> None:
            if urlparse(self.path).path != "/action":
                self._send("not found", "text/plain", code=404)
                return
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if not 0 <= length <= wactions.MAX_BODY:
                self._send(json.dumps({"error": "bad Content-Length"}), "application/json", code=400)
                return
            body = self.rfile.read(length)
            headers = {k: self.headers.get(k) or "" for k in ("Origin", "Host", "Content-Type", wactions.TOKEN_HEADER)}
            code, answer = wactions.handle(token, actor, {k: v for k, v in headers.items() if v}, body)
            self._send(json.dumps(answer), "application/json", {"Cache-Control": "no-store"}, code=code)
    return Handler


def serve(source: Source, events: Callable[[Workload], list[dict[str, object]]], logs: Callable[[Workload], str],
          host: str = "127.0.0.1", port: int = 8080,
          metrics: Callable[[Workload], str] | None = None, actor: wactions.Actor | None = None,
          token: str | None = None, gpus: Gpus | None = None, gpu_table: GpuTable | None = None) -> ThreadingHTTPServer:
    """A server bound to ``host:port`` (not yet serving: call serve_forever). With a token and an
    actor the page's actions act; without, they show the command and POSTs are refused."""
    return ThreadingHTTPServer((host, port), make_handler(source, events, logs, metrics, actor, token, gpus,
                                                            gpu_table))
