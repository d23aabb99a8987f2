"""``--commit`` and ``--push`` of the editing verbs: one commit of exactly the files the verb
changed, with a message that names the verb, the project and the workload; pushed to the
current branch's upstream on request. The ``git`` command does the work."""
from __future__ import annotations

import os
import subprocess
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path as FsPath

import click

from ..problems import ConfigError

commit_option = click.option("--commit", is_flag=True, help="Commit the changed files (only those) with git.")
push_option = click.option("--push", is_flag=True, help="With --commit: push the commit to the branch's upstream.")


@dataclass(frozen=True)
class Git:
    """What the user asked for: a commit, and a push of it."""

    commit: bool = False
    push: bool = False


def _git(repo: FsPath, *args: str, check: bool = True) -> str:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)
    except OSError as err:
        raise ConfigError(f"cannot run git: {err.strerror}") from None
    if not check:
        return done.stdout if done.returncode == 0 else ""
    if done.returncode != 0:
        raise ConfigError(f"git {args[0]} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def preflight(repo: FsPath, files: Collection[str], git: Git) -> None:
    """Refuse before anything is written: not a git repository, no upstream for --push, or
    staged changes of other files (they would slip into the commit)."""
    if git.push and not git.commit:
        raise ConfigError("--push needs --commit")
    if not git.commit:
        return
    top = FsPath(_git(repo, "rev-parse", "--show-toplevel").strip())
    ours = {os.path.relpath(os.path.realpath(repo / f), os.path.realpath(top)) for f in files}
    staged = set(_git(repo, "diff", "--cached", "--name-only", "-z").split("\0")) - {""}
    other = sorted(staged - ours)
    if other:
        raise ConfigError(f"the repository has staged changes of other files ({', '.join(other[:5])}): "
                          "commit or unstage them first, or leave out --commit")
    edited = _uncommitted(repo, sorted(ours))
    if edited:
        raise ConfigError(f"{', '.join(edited[:5])} has changes that are not committed: the commit would hold "
                          "them too; commit or undo them first, or leave out --commit")
    if git.push:
        _upstream(repo)


def _uncommitted(repo: FsPath, ours: list[str]) -> list[str]:
    """Those of ``ours`` (paths from the top of the work tree) whose content differs from HEAD's
    already; a repository without a commit yet has none."""
    if not ours or not _git(repo, "rev-parse", "--verify", "-q", "HEAD^{commit}", check=False).strip():
        return []
    top = _git(repo, "rev-parse", "--show-toplevel").strip()
    return sorted(set(_git(FsPath(top), "diff", "HEAD", "--name-only", "-z", "--", *ours).split("\0")) - {""})


def _upstream(repo: FsPath) -> tuple[str, str]:
    branch = _git(repo, "symbolic-ref", "--short", "HEAD").strip()
    try:
        remote = _git(repo, "config", f"branch.{branch}.remote").strip()
        merge = _git(repo, "config", f"branch.{branch}.merge").strip()
    except ConfigError:
        raise ConfigError(f"branch {branch} has no upstream to push to (git push -u REMOTE {branch} once)") from None
    return remote, merge


def commit(repo: FsPath, files: Collection[str], message: str, git: Git) -> None:
    """Stage and commit exactly ``files`` (new, changed or deleted); push when asked."""
    if not git.commit:
        return
    paths = sorted(files)
    try:
        _git(repo, "add", "-A", "--", *paths)
        _git(repo, "commit", "-q", "-m", message, "--", *paths)
    except ConfigError as err:
        raise ConfigError(f"{err} (the edit is written, not committed: {', '.join(paths)})") from None
    click.echo(f"committed: {message}", err=True)
    if git.push:
        remote, merge = _upstream(repo)
        _git(repo, "push", "-q", remote, f"HEAD:{merge}")
        click.echo(f"pushed to {remote} {merge.removeprefix('refs/heads/')}", err=True)
