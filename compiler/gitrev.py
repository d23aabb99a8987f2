"""The edge that reads git: a revision of the repository as a folder, without touching the
checkout (a temporary folder that is always removed): what ``git archive REV`` holds, unpacked
(:func:`_extract`). Used by ``wlc diff``, and by ``wlc sync --repo`` for the revision it
records (:func:`head_revision`); it runs the real ``git`` and knows nothing of the pipeline.

A checkout made from the work tree's files where they hash to the commit's blobs (reading only
the other blobs from git) was tried and measured: at 10,000 workloads it took 1.8-2.0 s against
git archive's 0.9-1.4 s, most of it creating the files, and in a thread beside the head's parse
it held the interpreter while ``git archive`` runs in a process of its own (docs/ci.md).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

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
    tmp = Path(tempfile.mkdtemp(prefix="wlc-diff-", dir=_scratch()))
    tree = tmp / "tree"
    try:
        tree.mkdir()
        _extract(top, commit, tree)
        yield tree / prefix if prefix else tree
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


#: a memory file system is used for checkouts when it has this much room (creating ten thousand
#: small files on a disk can take longer than building them)
SHM, SHM_FREE = Path("/dev/shm"), 512 << 20


def _scratch() -> str | None:
    """Where checkouts go: TMPDIR (or ``tempfile.tempdir``) when set, else /dev/shm when it is
    writable with room, else the system's temporary folder."""
    if tempfile.tempdir is not None or os.environ.get("TMPDIR"):
        return None
    try:
        if os.access(SHM, os.W_OK) and shutil.disk_usage(SHM).free >= SHM_FREE:
            return str(SHM)
    except OSError:
        pass
    return None


def _extract(top: Path, commit: str, into: Path) -> None:
    """``git archive`` of ``commit`` unpacked into ``into``: by the system's ``tar`` when there is
    one (ten times faster than Python's; a git tree holds no absolute path, no ``..`` and no
    path below a symbolic link, so nothing lands outside ``into``), else by ``tarfile``."""
    archive = subprocess.Popen(["git", "-C", str(top), "archive", "--format=tar", commit],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert archive.stdout is not None
    try:
        tar = shutil.which("tar")
        if tar is not None:
            done = subprocess.run([tar, "-x", "-f", "-", "-C", str(into), "--no-same-owner"], stdin=archive.stdout,
                                  capture_output=True, check=False)
            if done.returncode != 0:
                raise ConfigError(f"cannot check out {commit}: {done.stderr.decode(errors='replace').strip()}")
        else:  # pragma: no cover - a system without tar
            _untar(archive.stdout, into, commit)
    finally:
        archive.stdout.close()
        message = archive.stderr.read().decode(errors="replace") if archive.stderr else ""
        if archive.wait() != 0:
            raise GitError(f"git archive {commit} failed: {message.strip()}")


def _untar(stream: IO[bytes], into: Path, commit: str) -> None:
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            if hasattr(tarfile, "data_filter"):  # Python 3.11.4+: no link or path out of ``into``
                tar.extractall(into, filter="data")
            else:
                tar.extractall(into)
    except tarfile.TarError as err:
        raise ConfigError(f"cannot check out {commit}: {err}") from err


#: appended to HEAD's commit id when the work tree differs from it in a file the build reads
DIRTY = "-dirty"
#: seconds any one git command of :func:`head_revision` may take
REVISION_TIMEOUT = 10.0


def head_revision(folder: Path, timeout: float = REVISION_TIMEOUT) -> tuple[str, str]:
    """(revision, "") for the git work tree that holds ``folder``: ``HEAD``'s commit id, with
    :data:`DIRTY` appended when a file under ``folder`` that the build reads (a ``*.yaml`` or
    ``*.yml`` file outside hidden folders and the top ``build/`` and ``.github/``) is modified,
    staged, deleted or untracked; or ("", why) when there is no revision to record (not in a
    work tree, no commit yet, no git, git too slow). Never raises."""
    inside = _quiet(folder, timeout, "rev-parse", "--is-inside-work-tree")
    if inside is None or inside.strip() != "true":
        return "", f"{folder} is not inside a git work tree"
    head = _quiet(folder, timeout, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    prefix = _quiet(folder, timeout, "rev-parse", "--show-prefix")
    changed = _quiet(folder, timeout, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames",
                     "--", ".")
    if not head or prefix is None or changed is None:
        return "", f"git cannot tell the revision of {folder} (no commit yet, or git failed)"
    rel = [p[3:].removeprefix(prefix.strip()) for p in changed.split("\0") if len(p) > 3]
    return head.strip() + (DIRTY if any(build_reads(p) for p in rel) else ""), ""


def build_reads(rel: str) -> bool:
    """Whether the build reads the file at ``rel`` (relative to the repository folder)."""
    parts = rel.split("/")
    if any(p.startswith(".") for p in parts) or parts[0] in ("build", ".github"):
        return False
    return rel.endswith((".yaml", ".yml"))


def _quiet(folder: Path, timeout: float, *args: str) -> str | None:
    """``git -C folder ARGS``' output, or None when git is missing, fails or times out."""
    try:
        done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, check=False,
                              timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None
