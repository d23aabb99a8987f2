"""What every verb shares: exit codes, the common options, and `guarded`, which turns a verb's
return value or exception into the process's exit status."""
from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path as FsPath

import click

from .. import report
from ..problems import CompilerBug, Problem, WlcError

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_CLUSTER, EXIT_BUG = 0, 1, 2, 3, 4
BUG_NOTE = ("this is a bug in wlc, not a mistake in your input: please report it on the wlc issue "
            "tracker with the command you ran, the output of `wlc --version` and the smallest input "
            "that shows it (WLC_DEBUG=1 prints the traceback)")


def _repo_callback(ctx: click.Context, param: click.Parameter, value: FsPath) -> FsPath:
    from . import outcome  # the compiler's modules load only for the verbs that read a repository
    return outcome.repo_callback(ctx, param, value)


repo_option = click.option("--repo", "repo", type=click.Path(file_okay=False, path_type=FsPath),
                           default=".", show_default=True, callback=_repo_callback,
                           help="The GitOps repository's root folder (where wlc.yaml is).")
jobs_option = click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
                           help="Worker processes for large repositories (default: WLC_JOBS or the CPU "
                                "count; never more than the CPUs wlc may use).")
format_option = click.option("--format", "fmt", type=click.Choice(report.FORMATS), default="text",
                             show_default=True, help="How problems are printed (github = workflow annotations).")


def guarded(fn: Callable[..., int]) -> Callable[..., None]:
    """Run a verb: configuration errors exit 2 with one line, never a traceback; a bug in wlc
    (an unexpected exception) exits 4 and says so (WLC_DEBUG=1 adds the traceback)."""
    def wrapper(*args: object, **kwargs: object) -> None:
        try:
            code = fn(*args, **kwargs)
        except CompilerBug as err:
            code = _bug(err)
        except WlcError as err:  # ConfigError and the environment's failures
            click.echo(f"wlc: error: {report.one_line(str(err))}", err=True)
            code = EXIT_USAGE
        except Exception as err:  # noqa: BLE001 - a bug: reported as one, never as bad input
            code = _bug(err)
        sys.exit(code)
    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _bug(err: Exception) -> int:
    if os.environ.get("WLC_DEBUG"):
        traceback.print_exc()
    click.echo(f"wlc: internal error: {report.one_line(f'{type(err).__name__}: {err}')}", err=True)
    click.echo(f"wlc: {BUG_NOTE}", err=True)
    return EXIT_BUG


def exit_code(problems: list[Problem]) -> int:
    """4 when a problem is a bug in wlc (code ``bug.*``), else 1 with errors, else 0."""
    if any(p.code.startswith("bug.") for p in problems):
        click.echo(f"wlc: {BUG_NOTE}", err=True)
        return EXIT_BUG
    errors = any(p.severity == "error" for p in problems)
    return EXIT_PROBLEMS if errors else EXIT_OK


def jobs_for(jobs: int | None) -> int:
    """--jobs (default WLC_JOBS or the CPU count), at most the CPUs this process may run on."""
    from .. import parallel
    return max(1, min(jobs or parallel.default_jobs(), _cpus()))


def _cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def overlay_for(repo: FsPath, overlay: str | None) -> str | None:
    """--overlay, else wlc.yaml's ``defaultOverlay`` (None: the base build)."""
    from .. import pipeline
    return overlay if overlay is not None else pipeline.default_overlay(repo)
