"""Which files load reads, and how: regular files only, never through a symbolic link, each
up to a size limit (part of stage 1, load; docs/trust.md).

Discovery walks the repository without following links: a link that would have been read (a
``*.yaml``/``*.yml`` name, or a folder) is reported instead, as an error when it points outside
the repository. A folder that cannot be listed is an error: its workloads would silently be
missing from the bundle, and a sync agent would prune them.
"""
from __future__ import annotations

import errno
import fnmatch
import os
import stat
from pathlib import Path as FsPath

from .problems import Problem
from .yamltree import shown

#: the per-file limit when wlc.yaml sets no spec.limits.maxFileBytes (1 MiB: ConfigMaps hold
#: at most that much, and any one Kubernetes object about 1.5 MiB)
DEFAULT_MAX_FILE_BYTES = 1 << 20
ALWAYS_IGNORED = ("build", ".github")
_SUFFIXES = (".yaml", ".yml")
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
               | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def find_yaml_files(root: FsPath, exclude: list[str]) -> list[str]:
    """Repo-relative YAML paths under root, sorted (problems dropped: see :func:`discover`)."""
    return discover(root, exclude)[0]


def discover(root: FsPath, exclude: list[str]) -> tuple[list[str], list[Problem]]:
    """Repo-relative YAML paths under root, sorted, and the problems met on the way.

    Hidden folders and files, build/ and .github/ at the top, and ``exclude`` globs are skipped.
    """
    real_root = os.path.realpath(root)
    found: list[str] = []
    problems: list[Problem] = []
    pending = [""]
    while pending:
        reldir = pending.pop()
        try:
            with os.scandir(os.path.join(root, reldir)) as listing:
                entries = list(listing)
        except OSError as err:
            problems.append(Problem(reldir or ".", 0, 0, "file.unreadable-folder",
                                    f"cannot list this folder ({err.strerror}): its files would be missing"))
            continue
        for entry in entries:
            rel = f"{reldir}/{entry.name}" if reldir else entry.name
            if entry.is_symlink():
                problems.extend(_symlink(entry, rel, reldir, exclude, real_root))
            elif entry.is_dir(follow_symlinks=False):
                if _keep_dir(reldir, entry.name, exclude):
                    pending.append(rel)
            elif _keep_file(rel, entry.name, exclude):
                found.append(rel)
    return sorted(found), problems


def _symlink(entry: os.DirEntry[str], rel: str, reldir: str, exclude: list[str], real_root: str) -> list[Problem]:
    """A link where a file or folder would be read: refused, never followed."""
    wanted = (_keep_dir(reldir, entry.name, exclude) if _is_dir(entry)
              else _keep_file(rel, entry.name, exclude))
    if not wanted:
        return []
    target = shown(os.readlink(entry.path), 80)
    resolved = os.path.realpath(entry.path)
    if resolved != real_root and not resolved.startswith(real_root.rstrip(os.sep) + os.sep):
        return [Problem(rel, 0, 0, "file.symlink-outside",
                        f"a symbolic link to {target}, outside the repository: not followed")]
    return [Problem(rel, 0, 0, "file.symlink",
                    f"a symbolic link to {target}: not followed (wlc reads every file where it lives)",
                    severity="warning")]


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()  # stat through the link: never opens what it points to
    except OSError:
        return False


def _keep_file(rel: str, name: str, exclude: list[str]) -> bool:
    return name.endswith(_SUFFIXES) and not name.startswith(".") and not _excluded(rel, exclude)


def _keep_dir(reldir: str, name: str, exclude: list[str]) -> bool:
    if name.startswith(".") or (not reldir and name in ALWAYS_IGNORED):
        return False
    rel = f"{reldir}/{name}" if reldir else name
    return not _excluded(rel, exclude) and not _excluded(rel + "/", exclude)


def _excluded(rel: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(rel, p.rstrip("/")) for p in patterns)


def read_bytes(root: FsPath, rel: str, limit: int) -> bytes | Problem:
    """The bytes of a regular file of at most ``limit`` bytes, or why not.

    lstat first, so that nothing but a regular file is ever opened (a FIFO would block, a
    device would never end); the open follows no link and does not block, and fstat confirms
    what was opened; at most ``limit`` + 1 bytes are read, so a growing file is caught too.
    """
    path = os.path.join(root, rel)
    try:
        info = os.lstat(path)
        refused = _refusal(rel, info.st_mode, info.st_size, limit)
        if refused is not None:
            return refused
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as err:
        if err.errno == errno.ELOOP:
            return _refusal(rel, stat.S_IFLNK, 0, limit) or Problem(rel, 0, 0, "file.read", "cannot read")
        return Problem(rel, 0, 0, "file.read", f"cannot read: {err.strerror}")
    try:
        info = os.fstat(fd)
        refused = _refusal(rel, info.st_mode, info.st_size, limit)
        return refused if refused is not None else _read_upto(fd, rel, limit)
    except OSError as err:
        return Problem(rel, 0, 0, "file.read", f"cannot read: {err.strerror}")
    finally:
        os.close(fd)


def _refusal(rel: str, mode: int, size: int, limit: int) -> Problem | None:
    if stat.S_ISLNK(mode):
        return Problem(rel, 0, 0, "file.symlink", "a symbolic link: not followed (wlc reads only regular files)")
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _KINDS if test(mode)), "a special file")
        return Problem(rel, 0, 0, "file.not-regular", f"{kind}, not a regular file: wlc reads only regular files")
    if size > limit:
        return _too_large(rel, f"{size:,} bytes", limit)
    return None


def _too_large(rel: str, size: str, limit: int) -> Problem:
    return Problem(rel, 0, 0, "file.too-large",
                   f"{size}, over the limit of {limit:,} (spec.limits.maxFileBytes in wlc.yaml)")


def _read_upto(fd: int, rel: str, limit: int) -> bytes | Problem:
    chunks: list[bytes] = []
    left = limit + 1
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    if left <= 0:
        return _too_large(rel, f"more than {limit:,} bytes", limit)
    return b"".join(chunks)
