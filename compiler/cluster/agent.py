"""The sync agent's loop: fetch a branch with git, build the fetched revision, sync it, record
the revision, wait, repeat. A build with errors applies nothing: the parents say why and the
last good revision keeps running. A stop request (SIGTERM) lets the current step finish.

The build is given as a function (the CLI passes the pipeline's), so this package does not
depend on the compiler's stages.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from ..problems import Problem
from .engine import Engine
from .errors import ClusterError
from .gitsource import FetchError, GitSource, redact
from .lease import Elector
from .metrics import State
from .plan import Plan
from .source import Bundle, BundleRefused

#: (checkout folder, overlay) -> the bundle built in memory; raises BundleRefused on errors
Build = Callable[[Path, str | None], Bundle]
#: a step's result -> the exit status of `wlc agent --once`
EXIT = {"synced": 0, "build-failed": 1, "sync-failed": 3, "fetch-failed": 3}


def log(event: str, level: str = "info", stream: TextIO | None = None, **fields: Any) -> None:
    """One JSON object per line on stderr (URLs redacted by the callers)."""
    record = {"time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
              "level": level, "event": event, **fields}
    out = stream or sys.stderr
    out.write(json.dumps(record, sort_keys=False, default=str) + "\n")
    out.flush()


class Agent:
    def __init__(self, source: GitSource, engine: Engine, build: Build, overlay: str | None,
                 state: State | None = None) -> None:
        self.source, self.engine, self.build, self.overlay = source, engine, build, overlay
        self.state = state or State()
        #: the last revision built and what its build gave (a bundle, or the problems that refused
        #: it): a step that fetches the same revision syncs it again without building it again (a
        #: build reads only the checkout, and the same inputs make the same bundle)
        self._built: tuple[str, Bundle | list[Problem]] | None = None

    def step(self) -> str:
        """One fetch, build and sync; the result (a key of EXIT)."""
        start = time.monotonic()
        try:
            checkout = self.source.fetch()
        except FetchError as err:
            log("fetch-failed", "error", url=redact(self.source.url), branch=self.source.branch, error=str(err))
            self.state.stepped("fetch-failed", time.monotonic() - start, reached=False)
            return "fetch-failed"
        revision = checkout.revision
        built = self._built is None or self._built[0] != revision
        if built:
            try:
                self._built = (revision, self.build(checkout.folder, self.overlay))
            except BundleRefused as refused:
                self._built = (revision, refused.problems)
        assert self._built is not None
        bundle = self._built[1]
        if isinstance(bundle, list):
            return self._refused(revision, bundle, start, built)
        before = self.engine.metrics
        try:
            plan = self.engine.sync(dataclasses.replace(bundle, revision=revision))
        except ClusterError as err:
            log("sync-failed", "error", revision=revision, error=str(err))
            self.state.stepped("sync-failed", time.monotonic() - start, reached=False)
            return "sync-failed"
        result = "synced" if plan.ok else "sync-failed"
        duration = time.monotonic() - start
        self.state.stepped(result, duration, revision, plan)
        log(result, "info" if plan.ok else "error", revision=revision, built=built, seconds=round(duration, 3),
            workloads=dict(sorted(plan.counts().items())), messages=plan.messages,
            failed={f"{w.namespace}/{w.name}": w.message for w in plan.workloads if w.action in
                    ("failed", "conflict", "refused")},
            **_organisation(plan),
            requests=plan.metrics.get("requests", 0) - before.get("requests", 0),
            writes=plan.metrics.get("writes", 0) - before.get("writes", 0))
        return result

    def _refused(self, revision: str, problems: list[Problem], start: float, built: bool) -> str:
        errors = [p for p in problems if p.severity == "error"] or problems
        first = errors[0]
        where = f"{first.file}:{first.line}:{first.col}" if first.line else first.file
        message = (f"revision {revision[:12]} is not applied: its build has {len(errors)} error(s), first "
                   f"{where}: {first.message}; the last good revision keeps running")
        written = 0
        try:
            written = self.engine.refuse("build-failed", message)
        except ClusterError as err:
            log("status-failed", "error", revision=revision, error=str(err))
        self.state.stepped("build-failed", time.monotonic() - start)
        log("build-failed", "error", revision=revision, built=built, errors=len(errors),
            first=f"{where}: {first.message}",
            parents_written=written)
        return "build-failed"

    def run(self, stop: threading.Event, interval: float, once: bool, elector: Elector | None = None) -> str:
        """Step until ``stop`` is set (then the current step finishes); once: one step. With an
        elector, only while this agent holds the lease (renewed in a thread of its own)."""
        self.state.interval = interval
        log("started", url=redact(self.source.url), branch=self.source.branch, path=self.source.path,
            overlay=self.overlay or "base", interval=interval, once=once)
        renewing = threading.Event()
        if elector is not None:
            elector.attempt()
            threading.Thread(target=elector.run, args=(renewing,), name="wlc-lease", daemon=True).start()
        result, leading = "synced", None
        while not stop.is_set():
            if elector is not None:
                leading = self._leading(elector, leading)
                if not leading:
                    if stop.wait(min(elector.renew_every, 1.0)):
                        break
                    continue
            result = self.step()
            if once or stop.wait(interval):
                break
        renewing.set()
        if elector is not None:
            elector.release()
        log("stopped", last=result)
        return result

    def _leading(self, elector: Elector, before: bool | None) -> bool:
        now = elector.leader
        self.state.standing(now)
        if now != before:
            log("leading" if now else "standby", identity=elector.identity,
                lease=f"{elector.namespace}/{elector.name}")
        return now


def _organisation(plan: Plan) -> dict[str, Any]:
    """The organisation's part of a step's log record: its counts, and why it failed when it did."""
    org = plan.organisation
    if org is None:
        return {}
    bad = {f"{o.kind} {o.namespace + '/' if o.namespace else ''}{o.name}": o.message for o in org.objects
           if o.action in ("failed", "conflict", "refused")}
    return {"organisation": {"action": org.action, "message": org.message, "objects": dict(sorted(
        Counter(o.action for o in org.objects).items())), "failed": bad}}
