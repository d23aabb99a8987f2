"""The edge that reads git: a revision of the repository as a folder, without touching the
checkout (``git archive REV`` extracted into a temporary folder that is always removed).

Used by ``wlc diff``; it runs the real ``git`` and knows nothing of the pipeline.
"""
from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .problems import ConfigError, WlcError


class GitError(WlcError):
    """git failed on something that is not the user's mistake (exit 2 with its message)."""


def _git(cwd: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, check=False)
    except FileNotFoundError as err:
        raise GitError("git is not installed (wlc diff needs it)") from err
    if done.returncode != 0:
        raise ConfigError(f"git {' '.join(args)}: {done.stderr.strip() or 'failed'}")
    return done.stdout.strip()


def toplevel(folder: Path) -> tuple[Path, str]:
    """The work tree root of the git repository that holds ``folder``, and ``folder``'s path
    inside it ('' at the root)."""
    if not folder.is_dir():
        raise ConfigError(f"repository folder not found: {folder}")
    try:
        top = _git(folder, "rev-parse", "--show-toplevel")
    except ConfigError as err:
        raise ConfigError(f"{folder} is not inside a git repository (wlc diff compares git revisions): "
                          f"{err}") from err
    return Path(top), _git(folder, "rev-parse", "--show-prefix").rstrip("/")


def resolve(folder: Path, rev: str) -> str:
    """The commit id of ``rev`` (a branch, tag, ``HEAD~1``, an id...)."""
    if not rev or rev.startswith("-"):
        raise ConfigError(f"not a revision: {rev!r}")
    try:
        return _git(folder, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    except ConfigError as err:
        raise ConfigError(f"unknown revision {rev!r} in {folder}") from err


@contextmanager
def checkout(folder: Path, rev: str) -> Iterator[Path]:
    """``folder`` as it is at ``rev``: a temporary copy of the commit's tree (the checkout, its
    index and its work tree are never touched), removed on exit whatever happens. The folder
    yielded may not exist when ``folder`` did not exist at ``rev``."""
    top, prefix = toplevel(folder)
    commit = resolve(folder, rev)
    tmp = Path(tempfile.mkdtemp(prefix="wlc-diff-"))
    try:
        _extract(top, commit, tmp)
        yield tmp / prefix if prefix else tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _extract(top: Path, commit: str, into: Path) -> None:
    proc = subprocess.Popen(["git", "-C", str(top), "archive", "--format=tar", commit],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            if hasattr(tarfile, "data_filter"):  # Python 3.11.4+: no link or path out of ``into``
                tar.extractall(into, filter="data")
            else:  # pragma: no cover - older 3.11 releases
                tar.extractall(into)
    except tarfile.TarError as err:  # e.g. a symbolic link that points outside the tree
        raise ConfigError(f"cannot check out {commit}: {err}") from err
    finally:
        proc.stdout.close()
        message = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.wait() != 0:
            raise GitError(f"git archive {commit} failed: {message.strip()}")
