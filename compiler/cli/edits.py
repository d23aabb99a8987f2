"""What every editing verb (new, stop, activate, copy, delete) shares: finding a workload's
file, checking the repository as the edit would leave it, and writing atomically."""
from __future__ import annotations

import fnmatch
import os
import re
import stat
from dataclasses import dataclass, replace
from pathlib import Path as FsPath

import click

from .. import inputs, outdir, pipeline, report
from ..config import RepoConfig
from ..edit.documents import EditError, Found, find
from ..model import WORKLOAD_KINDS
from ..problems import ConfigError, Problem, sort_problems
from ..repo import workload_project
from .gitcommit import Git, commit, preflight

#: a changed file (repo-relative) → its new text, or None when the edit deletes it
Changes = dict[str, str | None]


def label(name: str, what: str) -> str:
    """``name`` when it is a DNS-1123 label (checked before it becomes part of any path)."""
    if not outdir.is_label(name):
        raise ConfigError(f"{what} {name!r} must be a DNS-1123 label: lowercase letters, digits and "
                          '"-", starting and ending with a letter or digit, at most 63 characters')
    return name


def config(repo: FsPath) -> RepoConfig:
    if not repo.is_dir():
        raise ConfigError(f"repository folder not found: {repo}")
    cfg, problems = inputs.read_config(repo)
    if cfg is None:
        click.echo(report.render(problems, "text"), nl=False, err=True)
        raise ConfigError("wlc.yaml has errors (above): fix it first")
    return cfg


def new_path(repo: FsPath, cfg: RepoConfig, project: str, name: str) -> str:
    """``<workload root>/<project>/<name>.yaml``: the root that already has the project's folder,
    else the first; refused when it would land outside the repository or be excluded."""
    roots = cfg.workload_roots or ["workloads"]
    root = next((r for r in roots if (repo / r / project).is_dir()), roots[0])
    rel = "/".join(filter(None, (root, label(project, "project"), label(name, "name")))) + ".yaml"
    inside(repo, rel)
    if _excluded(rel, cfg.exclude):
        raise ConfigError(f"{rel} is excluded by wlc.yaml's exclude: wlc validate would not read it")
    return rel


def _excluded(rel: str, patterns: list[str]) -> bool:
    """Whether wlc.yaml's ``exclude`` globs leave ``rel`` (or a folder of it) out."""
    parts = rel.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    return any(fnmatch.fnmatchcase(p, g) or fnmatch.fnmatchcase(p + "/", g) or fnmatch.fnmatchcase(p, g.rstrip("/"))
               for p in prefixes for g in patterns)


def inside(repo: FsPath, rel: str) -> FsPath:
    """The file ``rel`` of the repository; refused when its folder leads outside (a symlink)."""
    target = outdir.resolve_inside(repo, rel)
    if target is None:
        raise ConfigError(f"{rel} leads outside the repository {repo} (a symbolic link?); nothing was written")
    return target


@dataclass(frozen=True)
class Located:
    """A workload's document in its file."""

    rel: str
    project: str
    found: Found


def locate(repo: FsPath, cfg: RepoConfig, name: str, project: str | None, changes: Changes) -> Located:
    """The one workload called ``name`` (in ``project`` when given) among the workload files."""
    hits: list[Located] = []
    unread: list[str] = []
    for rel in sorted(set(inputs.workload_files(repo) or []) | set(changes)):
        proj = _project(cfg, rel)
        if proj is None or (project is not None and proj != project):
            continue
        text = changes[rel] if rel in changes else _read(repo, rel)
        if text is None or name not in text:
            continue
        try:
            found = find(text, name, WORKLOAD_KINDS)
        except EditError as err:  # a file wlc validate reports; it cannot be the one edited
            unread.append(f"{rel}: {str(err).splitlines()[0]}")
            continue
        if found is not None:
            hits.append(Located(rel, proj, found))
    if not hits:
        where = f" in project {project}" if project else ""
        skipped = f" (files not read: {'; '.join(unread)})" if unread else ""
        raise ConfigError(f'no workload named "{name}"{where}{skipped}')
    if len(hits) > 1:
        raise ConfigError(f'"{name}" names workloads in several projects ({", ".join(h.project for h in hits)}): '
                          "choose one with -p PROJECT")
    return hits[0]


def _project(cfg: RepoConfig, rel: str) -> str | None:
    return workload_project(cfg, rel)


def _read(repo: FsPath, rel: str) -> str:
    path = inside(repo, rel)
    if path.is_symlink():
        raise ConfigError(f"{rel} is a symbolic link: wlc edits only regular files of the repository")
    try:
        with open(path, encoding="utf-8", newline="") as fh:  # CRLF line ends are kept as they are
            return fh.read()
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read {rel}: {err}") from None


def read(repo: FsPath, rel: str, changes: Changes) -> str:
    """A file's current text: as an earlier edit of this run left it, else from disk."""
    text = changes[rel] if rel in changes else _read(repo, rel)
    if text is None:
        raise ConfigError(f"{rel} is deleted by this command already")
    return text


def overlay_of(repo: FsPath, overlay: str | None) -> str | None:
    """``--overlay``, else wlc.yaml's ``defaultOverlay``: the build ``wlc validate`` checks."""
    return overlay if overlay is not None else pipeline.default_overlay(repo)


def check(repo: FsPath, overlay: str | None, changes: Changes, sources: dict[str, str] | None = None) -> list[Problem]:
    """The problems the repository would have after ``changes`` that it does not have now: every
    new error, and the new warnings of the changed files; each named with the flag that set its
    field (``sources``: field → flag)."""
    overlay = overlay_of(repo, overlay)
    after = [p for p in pipeline.check(repo, overlay, 1, changes).problems
             if p.severity == "error" or p.file in changes]
    if not after:
        return []
    if any(p.severity == "error" or (repo / p.file).exists() for p in after):
        before = {_key(p) for p in pipeline.check(repo, overlay, 1).problems}
        after = [p for p in after if _key(p) not in before]
    return sort_problems([_with_flag(p, sources or {}) for p in after])


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def warn(problems: list[Problem]) -> None:
    """The new warnings of an edit that is made (printed like wlc validate prints them)."""
    if problems:
        click.echo(report.render(problems, "text"), nl=False)


def _key(p: Problem) -> tuple[str, str, str, str]:
    return (p.file, p.code, re.sub(r":\d+(:\d+)?\b", "", p.message), p.field)


def _with_flag(p: Problem, sources: dict[str, str]) -> Problem:
    field = re.sub(r"\[\d+\]", "", p.field)
    for path in sorted(sources, key=len, reverse=True):
        if field == path or field.startswith(path + "."):
            return replace(p, message=f"{p.message} [set by {sources[path]}]")
    return p


def refuse(problems: list[Problem]) -> int:
    click.echo(report.render(problems, "text"), nl=False)
    click.echo(f"wlc: {report.summary(problems)}; nothing was written", err=True)
    return 1


def write(repo: FsPath, changes: Changes) -> None:
    """Every change: written beside and renamed over (a reader never sees half a file; a symlink
    of that name is replaced, never written through), or the file removed."""
    for rel, text in sorted(changes.items()):
        try:
            _write_one(inside(repo, rel), text)
        except OSError as err:
            done = [r for r in sorted(changes) if r < rel]
            raise ConfigError(f"cannot write {rel}: {err.strerror or err}"
                              + (f" (written before it: {', '.join(done)})" if done else "; nothing was written")) from None


def _write_one(target: FsPath, text: str | None) -> None:
    if text is None:
        target.unlink()
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        if target.is_file() and not target.is_symlink():  # an edited file keeps its mode (git records +x)
            os.chmod(tmp, stat.S_IMODE(target.stat().st_mode))
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def publish(repo: FsPath, changes: Changes, message: str, git: Git, said: list[str]) -> None:
    """Write the checked changes, print what changed (``said``); commit (and push) them when
    asked, else say how."""
    preflight(repo, changes, git)
    write(repo, changes)
    for line in said:
        click.echo(line, err=True)
    if git.commit:
        commit(repo, changes, message, git)
    else:
        next_steps(changes, message)


def next_steps(changes: Changes, message: str) -> None:
    files = " ".join(sorted(changes))
    click.echo(f"next: git add -A -- {files} && git commit -m {_quote(message)}", err=True)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"
