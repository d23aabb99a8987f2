"""The actor of ``wlc view --repo DIR --token-file FILE``: the page's Stop, Run, Make a copy and
Delete run the authoring verbs' own code (compiler/cli/workloads.py) with ``--commit`` on DIR,
one at a time, and answer with the commit (docs/view.md "Actions and security model")."""
from __future__ import annotations

import contextlib
import io
import os
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path as FsPath

import click

from ..cluster.view.actions import Actor, Outcome
from ..problems import ConfigError
from . import workloads

TOKEN_ENV = "WLC_VIEW_TOKEN"


def read_token(token_file: FsPath | None) -> str | None:
    """The token from ``--token-file`` (first line), else ``$WLC_VIEW_TOKEN``; None: read-only."""
    if token_file is not None:
        try:
            lines = token_file.read_text(encoding="utf-8").splitlines()
        except OSError as err:
            raise ConfigError(f"cannot read --token-file {token_file}: {err.strerror}") from None
        token = lines[0].strip() if lines else ""
        if len(token) < 16:
            raise ConfigError(f"--token-file {token_file}: the token must be at least 16 characters")
        return token
    env = os.environ.get(TOKEN_ENV, "").strip()
    if env and len(env) < 16:
        raise ConfigError(f"${TOKEN_ENV}: the token must be at least 16 characters")
    return env or None


def _git(repo: FsPath, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else ""


def _calls(repo: FsPath) -> dict[str, Callable[[str, str], object]]:
    """verb -> run its command's callback (which exits with the verb's code) on project/name."""
    common: dict[str, object] = {"overlay": None, "dry_run": False, "repo": repo, "commit": True, "push": False}
    return {
        "stop": lambda p, n: workloads.stop.callback(workloads=(n,), project=p, every=False, **common),  # type: ignore[misc]
        "activate": lambda p, n: workloads.activate.callback(  # type: ignore[misc]
            workloads=(n,), project=p, every=False, **common),
        "copy": lambda p, n: workloads.copy.callback(workload=f"{p}/{n}", new=f"{n}-copy", project=None,  # type: ignore[misc]
                                                     **common),
        "delete": lambda p, n: workloads.delete.callback(workloads=(n,), project=p, **common),  # type: ignore[misc]
    }


def make_actor(repo: FsPath) -> Actor:
    """An actor over the git repository ``repo``; a lock keeps one edit and commit at a time."""
    lock = threading.Lock()
    calls = _calls(repo)

    def act(verb: str, project: str, name: str) -> Outcome:
        with lock:
            dirty = _git(repo, "status", "--porcelain", "--untracked-files=no")
            if dirty:
                return Outcome(False, "the repository has uncommitted changes: commit or stash them first",
                               output=dirty)
            before = _git(repo, "rev-parse", "HEAD")
            code, said = _run(lambda: calls[verb](project, name))
            after = _git(repo, "rev-parse", "HEAD")
        if code != 0:
            return Outcome(False, _last_error(said) or f"wlc {verb} failed (exit {code})", output=said)
        if after and after != before:
            return Outcome(True, _git(repo, "log", "-1", "--format=%s"), commit=after, output=said)
        return Outcome(True, said.strip().splitlines()[-1] if said.strip() else "nothing changed", output=said)
    return act


def _run(call: Callable[[], object]) -> tuple[int, str]:
    """The verb's exit code and everything it printed (stdout and stderr together)."""
    out = io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            call()
        except SystemExit as done:  # every verb ends with sys.exit (compiler/cli/common.guarded)
            code = done.code if isinstance(done.code, int) else 1
        except click.ClickException as err:
            click.echo(err.format_message(), err=True)
            code = err.exit_code
    return code, out.getvalue()


def _last_error(said: str) -> str:
    lines = [line for line in said.splitlines() if line.startswith("wlc: ")]
    return lines[0].removeprefix("wlc: ") if lines else ""
