"""Progress on the terminal while a long build runs: its step lines as they come, and a heartbeat
with the elapsed time, the step in progress, where the result is cached and how to skip.

The control plane's first build takes many minutes; pytest captures output, so the fixture
calls this with capture disabled and the newcomer sees what is happening instead of a blank
terminal.
"""
from __future__ import annotations

import os
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

PREFIX = "[cluster build]"


def elapsed(seconds: float) -> str:
    """``75`` -> ``1m15s``."""
    whole = int(seconds)
    return f"{whole // 60}m{whole % 60:02d}s" if whole >= 60 else f"{whole}s"


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


#: how long the control plane's first build takes (docs/cluster.md's figures: 8 min 12 s on an idle
#: 2-core machine; with Go's module and build caches empty too, 1,500 CPU-seconds, and 51 min
#: measured while six other jobs shared the machine)
CONTROL_PLANE = "8 to 15 min on an idle 2-core machine, up to 51 on a busy one"


def cannot_build(what: str, script: str) -> str | None:
    """Why ``what`` is not built here, or None: no Go toolchain, or ``WLC_CLUSTER_BUILD=0``
    (which skips every Go build of the cluster tests, not only the control plane's)."""
    if os.environ.get("WLC_CLUSTER_BUILD", "1") == "0":
        return f"{what} not built and WLC_CLUSTER_BUILD=0"
    if shutil.which("go") is None:
        return f"no Go toolchain to build {what} ({script})"
    return None


def run_with_progress(argv: Sequence[str], log: IO[str], terminal: IO[str], cache: Path,
                      skip_hint: str, heartbeat: float = 30.0, what: str = "the Kubernetes control plane",
                      first_run: str = CONTROL_PLANE) -> int:
    """Run ``argv``, the build of ``what``; every output line goes to ``log``, step lines
    (``build.sh: ...``) also to ``terminal``; every ``heartbeat`` seconds without a step line a
    progress line is printed. ``first_run`` says how long a first build takes. Returns the exit code."""
    start = time.monotonic()
    say = _Printer(terminal)
    say(f"{PREFIX} building {what} from Go modules (first run: {first_run}; then cached in {cache}); "
        f"{skip_hint}")
    proc = subprocess.Popen(list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            errors="replace")
    assert proc.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True).start()
    step = "starting"
    while True:
        try:  # the heartbeat counts from the last line shown: Go's own chatter goes to the log only
            line = lines.get(timeout=max(0.0, say.last + heartbeat - time.monotonic()))
        except queue.Empty:
            say(f"{PREFIX} {elapsed(time.monotonic() - start)} elapsed, still at: {step}")
            continue
        if line is None:
            break
        log.write(line)
        log.flush()
        if line.startswith("build.sh: "):
            step = line.removeprefix("build.sh: ").strip()
            say(f"{PREFIX} {elapsed(time.monotonic() - start)} {step}")
    rc = proc.wait()
    say(f"{PREFIX} {'done' if rc == 0 else f'failed (exit {rc})'} after {elapsed(time.monotonic() - start)}")
    return rc


class _Printer:
    """One line at a time, flushed, so it shows up at once between pytest's dots."""

    def __init__(self, terminal: IO[str]) -> None:
        self.terminal = terminal
        self.first = True
        #: when the last line was shown (time.monotonic())
        self.last = time.monotonic()

    def __call__(self, text: str) -> None:
        self.terminal.write(("\n" if self.first else "") + text + "\n")
        self.first = False
        self.terminal.flush()
        self.last = time.monotonic()
