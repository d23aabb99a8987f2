"""``wlc stop``, ``wlc activate`` (alias ``run``), ``wlc copy`` and ``wlc delete``: edits of the
workload files in place (compiler/edit/), checked with everything ``wlc validate`` checks before
anything is written. A workload is named ``NAME`` or ``PROJECT/NAME``."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path as FsPath

import click

from .. import inputs, pipeline
from ..config import RepoConfig
from ..edit.active import set_active
from ..edit.copy import copied, remove
from ..edit.documents import EditError, chunks, scalar
from ..model import WORKLOAD_KINDS
from ..problems import ConfigError
from ..repo import workload_project
from . import edits
from .common import EXIT_OK, guarded, repo_option
from .gitcommit import Git, commit_option, preflight, push_option

overlay_option = click.option("--overlay", default=None, help="Check as this overlay would build.")
dry_run_option = click.option("--dry-run", is_flag=True, help="Check and print what would change; write nothing.")
project_option = click.option("-p", "--project", default=None, help="The project of the workloads.")


def _split(ref: str, project: str | None) -> tuple[str, str | None]:
    """``PROJECT/NAME`` or ``NAME`` (with ``-p``), both checked as DNS-1123 labels."""
    proj, sep, name = ref.rpartition("/")
    if sep and project is not None and proj != project:
        raise ConfigError(f"{ref} names project {proj}, -p names {project}")
    project = proj if sep else project
    return edits.label(name, "name"), edits.label(project, "project") if project is not None else None


def _targets(repo: FsPath, cfg: RepoConfig, refs: tuple[str, ...], project: str | None,
             every: bool) -> list[tuple[str, str | None]]:
    if every:
        if project is None or refs:
            raise ConfigError("--all needs -p PROJECT and no workload names")
        return [(name, project) for name in _names_in(repo, cfg, edits.label(project, "project"))]
    if not refs:
        raise ConfigError("name at least one workload (or --all -p PROJECT)")
    return [_split(ref, project) for ref in refs]


def _names_in(repo: FsPath, cfg: RepoConfig, project: str, warn: bool = True) -> list[str]:
    """Every workload name of a project's files (a file that is not YAML is skipped: said so)."""
    names: list[str] = []
    for rel in inputs.workload_files(repo) or []:
        if workload_project(cfg, rel) == project:
            try:
                found = chunks(edits.read(repo, rel, {}))
            except EditError as err:
                if warn:
                    click.echo(f"wlc: warning: {rel} skipped: {str(err).splitlines()[0]}", err=True)
                continue
            for chunk in found:
                name = scalar(chunk.node, "metadata", "name")
                if scalar(chunk.node, "kind") in WORKLOAD_KINDS and name:
                    names.append(name)
    return sorted(names)


def _complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Shell completion of workload arguments: PROJECT/NAME of every workload of the repository."""
    repo = FsPath(ctx.params.get("repo") or ".")
    try:
        cfg = edits.config(repo)
        projects = sorted({p for rel in inputs.workload_files(repo) or [] if (p := workload_project(cfg, rel))})
        refs = [f"{p}/{n}" for p in projects for n in _names_in(repo, cfg, p, warn=False)]
    except Exception:  # noqa: BLE001 - completion must never fail the shell
        return []
    return [r for r in refs if r.startswith(incomplete) or r.split("/", 1)[1].startswith(incomplete)]


def _current(repo: FsPath, overlay: str | None) -> dict[tuple[str, str], tuple[bool, str]]:
    """(file, name) → the resolved ``active`` and, when not the file's own, where it comes from."""
    out: dict[tuple[str, str], tuple[bool, str]] = {}
    for rw in pipeline.specs(repo, edits.overlay_of(repo, overlay)).workloads:
        source = rw.prov.get(("active",))
        why = f" (active from {source.label()})" if source is not None and source.kind != "submission" else ""
        out[(rw.file, rw.name)] = (rw.active, why)
    return out


def _set(repo: FsPath, refs: tuple[str, ...], project: str | None, every: bool, overlay: str | None,
         dry_run: bool, value: bool, git: Git) -> int:
    cfg = edits.config(repo)
    preflight(repo, [], git)
    state, verb = ("active", "activated") if value else ("stopped", "stopped")
    current = _current(repo, overlay)
    changes: edits.Changes = {}
    done: list[tuple[str, str]] = []
    for name, proj in _targets(repo, cfg, refs, project, every):
        loc = edits.locate(repo, cfg, name, proj, changes)
        now, why = current.get((loc.rel, name), (None, ""))
        if now == value:
            click.echo(f"{loc.project}/{name} is already {state}{why}; nothing changed", err=True)
            continue
        text = edits.read(repo, loc.rel, changes)
        edit = set_active(text, loc.found, value)
        if edit.text == text:  # the file says so already (its workload does not resolve now)
            click.echo(f"{loc.project}/{name} is already {state} in {loc.rel}; nothing changed", err=True)
            continue
        changes[loc.rel] = edit.text
        line = edit.text.splitlines()[edit.line - 1].strip()
        done.append((f"{loc.project}/{name}", f"{loc.rel}:{edit.line}: {line}"))
    return _finish(repo, overlay, changes, done, dry_run, verb, git)


def _finish(repo: FsPath, overlay: str | None, changes: edits.Changes, done: list[tuple[str, str]],
            dry_run: bool, verb: str, git: Git) -> int:
    if not changes:
        return EXIT_OK
    problems = edits.check(repo, overlay, changes)
    if edits.errors(problems):
        return edits.refuse(problems)
    edits.warn(problems)
    said = [f"{'would have ' if dry_run else ''}{verb} {what}: {where}" for what, where in done]
    if dry_run:
        click.echo("\n".join(said), err=True)
    else:
        edits.publish(repo, changes, f"wlc {_verb(verb)} " + ", ".join(w for w, _ in done), git, said)
    return EXIT_OK


def _verb(done: str) -> str:
    return {"stopped": "stop", "activated": "activate", "deleted": "delete", "copied": "copy"}[done]


def _edit_options(fn: Callable[..., int]) -> Callable[..., None]:
    """What every editing verb takes: --overlay, --dry-run, --repo, --commit, --push."""
    return overlay_option(dry_run_option(repo_option(commit_option(push_option(guarded(fn))))))


def _target_options(fn: Callable[..., None]) -> Callable[..., None]:
    """The workloads a verb acts on: names, -p PROJECT, --all within the project."""
    every = click.option("--all", "every", is_flag=True, help="Every workload of the project (-p).")
    return click.argument("workloads", nargs=-1, shell_complete=_complete)(project_option(every(fn)))


@click.command()
@_target_options
@_edit_options
def stop(workloads: tuple[str, ...], project: str | None, every: bool, overlay: str | None, dry_run: bool,
         repo: FsPath, commit: bool, push: bool) -> int:
    """Stop workloads (spec.active: false): a Job is suspended, a workspace scaled to 0.
    Only that line of the file changes. Run:ai: the Stop button, runai training suspend NAME.

    \b
    Example:
      wlc stop nlp/llama-finetune
    """
    return _set(repo, workloads, project, every, overlay, dry_run, False, Git(commit, push))


@click.command()
@_target_options
@_edit_options
def activate(workloads: tuple[str, ...], project: str | None, every: bool, overlay: str | None, dry_run: bool,
             repo: FsPath, commit: bool, push: bool) -> int:
    """Activate stopped workloads again (spec.active: true). Run:ai: runai training resume NAME.

    \b
    Example:
      wlc activate vision/stopped-notebook
    """
    return _set(repo, workloads, project, every, overlay, dry_run, True, Git(commit, push))


@click.command()
@click.argument("workload", shell_complete=_complete)
@click.argument("new")
@click.option("-p", "--project", default=None, help="The project of the copy (default: the original's).")
@_edit_options
def copy(workload: str, new: str, project: str | None, overlay: str | None, dry_run: bool, repo: FsPath,
         commit: bool, push: bool) -> int:
    """Copy WORKLOAD (NAME or PROJECT/NAME) to a new file named NEW, comments kept.
    Run:ai: Copy & edit in the UI.

    \b
    Example:
      wlc copy nlp/llama-finetune llama-finetune-2
    """
    cfg = edits.config(repo)
    preflight(repo, [], Git(commit, push))
    name, source = _split(workload, None)
    edits.label(new, "name")
    loc = edits.locate(repo, cfg, name, source, {})
    dest = edits.label(project, "project") if project is not None else loc.project
    rel = edits.new_path(repo, cfg, dest, new)
    if edits.inside(repo, rel).exists():
        raise ConfigError(f"{rel} exists already: wlc copy never overwrites a file")
    text = copied(loc.found, new, dest if dest != loc.project else None)
    done = [(f"{loc.project}/{name} as {dest}/{new}", f"{rel} created")]
    return _finish(repo, overlay, {rel: text}, done, dry_run, "copied", Git(commit, push))


@click.command()
@_target_options
@_edit_options
def delete(workloads: tuple[str, ...], project: str | None, overlay: str | None, dry_run: bool, repo: FsPath,
           commit: bool, push: bool, every: bool = False) -> int:
    """Delete workloads: the file, or only the workload's document of a file with several.
    The sync agent then prunes its objects. Run:ai: runai training delete NAME.

    \b
    Example:
      wlc delete nlp/eval-sweep
    """
    cfg = edits.config(repo)
    preflight(repo, [], Git(commit, push))
    changes: edits.Changes = {}
    done: list[tuple[str, str]] = []
    for name, proj in _targets(repo, cfg, workloads, project, every):
        loc = edits.locate(repo, cfg, name, proj, changes)
        rest = remove(edits.read(repo, loc.rel, changes), loc.found)
        changes[loc.rel] = rest
        done.append((f"{loc.project}/{name}", f"{loc.rel} removed" if rest is None
                     else f"its document removed from {loc.rel}"))
    return _finish(repo, overlay, changes, done, dry_run, "deleted", Git(commit, push))
