"""What the CLI says about a run besides its problems: the summary line's counts, the problems
of several builds merged (``--all-overlays``), a folder with no wlc documents, and a ``--repo``
that points below the repository's root."""
from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path as FsPath

import click

from .. import config, inputs, load, pipeline
from ..problems import Problem

EMPTY_CODE = "repo.empty"


def failed(results: list[pipeline.Result]) -> int:
    """How many of the repository's workloads some build did not build (errors), out of
    ``counted``: neither bundled nor left out by an overlay's excludeWorkloads."""
    done: set[tuple[str, str]] | None = None
    for res in results:
        ok = {(b.source, b.name) for b in res.bundles} | {(e["source"], e["name"]) for e in res.excluded}
        done = ok if done is None else done & ok
    return max(0, results[0].counted - len(done or set()))


def summary_line(text: str, counted: int, failures: int) -> str:
    """``4 errors in 20 workload(s) (4 failed)``."""
    return f"{text} in {counted} workload(s)" + (f" ({failures} failed)" if failures else "")


def merge_builds(results: list[pipeline.Result]) -> list[Problem]:
    """The problems of several builds: one found by every build is reported once, as it is;
    any other once per build that found it, with ``overlay`` set to the build's name."""
    found = [set(res.problems) for res in results]
    common = set.intersection(*found) if found else set()
    tagged = [replace(p, overlay=res.overlay) for res in results for p in res.problems if p not in common]
    return list(common) + tagged


def checked(repo: FsPath, res: pipeline.Result) -> pipeline.Result:
    """``res`` with a problem when the folder holds no wlc document at all."""
    empty = nothing_there(repo, res)
    return replace(res, problems=res.problems + empty) if empty else res


def nothing_there(repo: FsPath, res: pipeline.Result) -> list[Problem]:
    """A folder with no wlc.yaml and no wlc or Run:ai document at all is a mistake (a mistyped
    ``--repo``), not an empty success."""
    known = res.repo
    if (repo / config.CONFIG_FILE).is_file() or res.problems or res.counted or known is None:
        return []
    if known.workloads or known.broken or any(known.by_kind.values()):
        return []
    return [Problem(".", 0, 0, EMPTY_CODE,
                    f"no wlc documents in {repo}: no {config.CONFIG_FILE} and no YAML file with apiVersion "
                    "wlc.dev/v1alpha1 or run.ai/...; is --repo the repository's root folder?")]


def repo_callback(ctx: click.Context, param: click.Parameter, value: FsPath) -> FsPath:
    """``--repo``: warn when the folder has no wlc.yaml but a folder above it has one (the
    root's policies, overlays and settings would not be read)."""
    if value.is_dir() and not (value / config.CONFIG_FILE).is_file():
        parent = _root_above(value)
        if parent is not None:
            shown = parent if value.is_absolute() else FsPath(os.path.relpath(parent))
            click.echo(f"wlc: warning: {value} has no {config.CONFIG_FILE} but {shown} has: its "
                       f"workload roots, policies, overlays and settings are not read (did you mean "
                       f"--repo {shown}?)", err=True)
    return value


def _root_above(folder: FsPath) -> FsPath | None:
    """The nearest folder above ``folder`` with a wlc.yaml, when that repository reads files of
    ``folder`` (a folder its ``exclude`` leaves out, such as a test fixture, is not part of it)."""
    here = folder.resolve()
    parent = next((p for p in here.parents if (p / config.CONFIG_FILE).is_file()), None)
    if parent is None:
        return None
    cfg, _ = inputs.read_config(parent)
    prefix = here.relative_to(parent).as_posix() + "/"
    files = load.find_yaml_files(parent, cfg.exclude if cfg is not None else [])
    return parent if any(rel.startswith(prefix) for rel in files) else None
