"""The edge that reads git: a revision of the repository as a folder, without touching the
checkout (a temporary folder that is always removed).

The folder is what ``git archive REV`` extracted would hold (:func:`_extract`), or, with
``from_work_tree``, the same for everything the build reads, made from the commit's tree listing
with each file's bytes taken from the work tree when they hash to the commit's blob, and only
the other blobs read from git (:func:`_derive`: a diff's base differs from the working tree in
a few files, and reading ten thousand blobs out of git costs more than the build of them).
Used by ``wlc diff``, and by ``wlc sync --repo`` for the revision it records
(:func:`head_revision`); it runs the real ``git`` and knows nothing of the pipeline.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from . import gcpause
from .discover import read_bytes
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
def checkout(folder: Path, rev: str, from_work_tree: bool = False) -> Iterator[Path]:
    """``folder`` as it is at ``rev``: a temporary copy of the commit's tree (the checkout, its
    index and its work tree are never touched), removed on exit whatever happens. The folder
    yielded may not exist when ``folder`` did not exist at ``rev``. ``from_work_tree``: made by
    :func:`_derive` when it can (each file the build reads copied from the work tree where its
    bytes there are the commit's), else extracted from ``git archive`` as without it."""
    top, prefix = toplevel(folder)
    commit = resolve(folder, rev)
    tmp = Path(tempfile.mkdtemp(prefix="wlc-diff-", dir=_scratch()))
    tree = tmp / "tree"
    try:
        if not (from_work_tree and _derive(top, commit, prefix, tree, tmp)):
            shutil.rmtree(tree, ignore_errors=True)
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


@dataclass(frozen=True)
class _Entry:
    """One path of a commit's tree (``git ls-tree -r -t -l``): its mode, object id and size."""

    mode: str
    oid: str
    size: int
    path: str


#: the attributes by which ``git archive`` may write other bytes than the blob's, or leave a
#: path out (gitattributes(5): checkout conversion and "Creating an archive"); ``eol`` is
#: harmless as ``lf``, the others only unset
_CONVERTING = ("crlf", "eol", "filter", "ident", "working-tree-encoding", "export-ignore", "export-subst")
#: files the build may read (compiler/discover.py): only these are copied into a derived tree
_READ_SUFFIXES = (".yaml", ".yml")
#: the modes of a tree listing: folders (a submodule is an empty one in an archive), a link, files
_FOLDERS, _LINK, _FILES = ("040000", "160000"), "120000", ("100644", "100755")
_MADE = (*_FOLDERS, _LINK)


@gcpause.paused()
def _derive(top: Path, commit: str, prefix: str, tree: Path, tmp: Path) -> bool:
    """Make in ``tree`` what ``git archive commit`` extracted holds, for everything the build
    can see: every folder, symbolic link and submodule (an empty folder) of the commit, and each
    ``*.yaml``/``*.yml`` file under ``prefix``; a file's bytes come from the work tree ``top``
    when they hash to the commit's blob (whatever git's index says: an untracked, modified,
    assume-unchanged or converted file just does not match), else from ``git cat-file``.
    False, with nothing made that counts, when git might write other bytes than the blobs or
    leave paths out (line-end, filter, ident, encoding or export attributes, ``core.autocrlf``,
    ``core.eol``), when the tree holds a path that cannot be made as it is, or when git fails:
    the caller extracts the archive then. Other files are left out: the build reads none. The
    cyclic garbage collector is off meanwhile (nothing here makes a cycle, and in a process that
    holds a build, collections over it cost more than the rest)."""
    try:
        digest = _object_hash(top)
        entries = _listing(top, commit)
        if digest is None or entries is None:
            return False
        under = f"{prefix}/" if prefix else ""
        made = [e for e in entries if e.mode in _MADE or (e.mode in _FILES and e.path.startswith(under)
                                                          and e.path.endswith(_READ_SUFFIXES))]
        if _converts(top, commit, entries, made, tmp):
            return False
        have = {e.path: data for e in made if e.mode in _FILES and (data := _same(top, e, digest)) is not None}
        blobs = _blobs(top, sorted({e.oid for e in made if e.mode not in _FOLDERS and e.path not in have}))
        if blobs is None:
            return False
        tree.mkdir()
        for e in made:
            _make(tree, e, have[e.path] if e.path in have else blobs.get(e.oid))
    except (OSError, ValueError, UnicodeError, subprocess.SubprocessError):
        return False
    return True


def _object_hash(top: Path) -> Callable[[bytes], bytes] | None:
    """How the repository names a blob (SHA-1, or SHA-256 in a repository made so); None when
    git does not say."""
    out = _bytes(top, "rev-parse", "--show-object-format")
    algorithm = {b"sha1": hashlib.sha1, b"sha256": hashlib.sha256}.get((out or b"").strip())
    if algorithm is None:
        return None
    return lambda data: algorithm(b"blob %d\0" % len(data) + data).digest()


def _listing(top: Path, commit: str) -> list[_Entry] | None:
    """Every path of ``commit`` (folders before what they hold); None when one could not be
    made as it is named (an empty, ``.`` or ``..`` part: git would refuse it) or has a mode
    git does not make."""
    out = _bytes(top, "ls-tree", "-r", "-t", "-l", "-z", "--full-tree", commit)
    if out is None:
        return None
    entries = []
    for record in out.split(b"\0"):
        if not record:
            continue
        meta, _, raw = record.partition(b"\t")
        mode, _kind, oid, size = meta.decode("ascii").split()
        path = os.fsdecode(raw)
        if mode not in (*_MADE, *_FILES) or any(part in ("", ".", "..") for part in path.split("/")):
            return None
        entries.append(_Entry(mode, oid, int(size) if size.isdigit() else 0, path))
    return entries


def _converts(top: Path, commit: str, entries: list[_Entry], made: list[_Entry], tmp: Path) -> bool:
    """Whether ``git archive`` could write a path of ``made`` otherwise than its blob or leave
    it out: a setting that makes line ends CRLF, or a converting attribute set on the path
    (asked of ``git check-attr`` as archive asks: from the commit's own ``.gitattributes`` files,
    read into a temporary index, and the repository's, user's and system's attribute files)."""
    settings = _bytes(top, "config", "-z", "--get-regexp", r"^core\.(autocrlf|eol)$", ok=(0, 1))
    if settings is None:
        return True
    for item in settings.split(b"\0"):
        name, _, value = item.partition(b"\n")
        value = value.strip().lower()
        if (name == b"core.autocrlf" and value not in (b"false", b"no", b"off", b"0", b"input")
                or name == b"core.eol" and value not in (b"lf", b"native" if os.linesep == "\n" else b"lf")):
            return True
    env = {**os.environ, "GIT_INDEX_FILE": str(tmp / "index")}  # without .gitattributes: an empty index
    if any(e.path.rsplit("/", 1)[-1] == ".gitattributes" for e in entries):
        hooks = tmp / "no-hooks"  # writing an index runs no hook of the user's
        hooks.mkdir()
        if _bytes(top, "-c", f"core.hooksPath={hooks}", "-c", "core.splitIndex=false", "-c", "core.fsmonitor=false",
                  "read-tree", commit, env=env) is None:
            return True
    paths = b"".join(os.fsencode(e.path) + (b"/" if e.mode in _FOLDERS else b"") + b"\0" for e in made)
    out = _bytes(top, "check-attr", "--cached", "-z", "--stdin", *_CONVERTING, env=env, stdin=paths)
    if out is None:
        return True
    fields = out.split(b"\0")
    return any(value not in (b"unspecified", b"unset") and not (attr == b"eol" and value == b"lf")
               for attr, value in zip(fields[1::3], fields[2::3], strict=False))


def _same(top: Path, entry: _Entry, digest: Callable[[bytes], bytes]) -> bytes | None:
    """The work tree's bytes at ``entry``'s path when they are the blob's (a regular file,
    read as compiler/discover.py reads: no link followed at the end, nothing opened that could
    block, no more than the blob's size); None otherwise."""
    data = read_bytes(top, entry.path, entry.size)
    if isinstance(data, bytes) and len(data) == entry.size and digest(data).hex() == entry.oid:
        return data
    return None


def _blobs(top: Path, oids: list[str]) -> dict[str, bytes] | None:
    """The bytes of each blob (``git cat-file --batch``); None when one is missing."""
    if not oids:
        return {}
    out = _bytes(top, "cat-file", "--batch", stdin="".join(f"{oid}\n" for oid in oids).encode("ascii"))
    if out is None:
        return None
    blobs: dict[str, bytes] = {}
    at = 0
    for oid in oids:
        end = out.index(b"\n", at)
        header = out[at:end].split()
        if len(header) != 3 or header[0].decode("ascii") != oid or header[1] != b"blob":
            return None
        size = int(header[2])
        blobs[oid] = out[end + 1:end + 1 + size]
        at = end + 1 + size + 1
    return blobs


def _make(tree: Path, entry: _Entry, data: bytes | None) -> None:
    """One path of the derived tree: a folder (a submodule too), a symbolic link, or a file."""
    path = os.path.join(tree, entry.path)
    if entry.mode in _FOLDERS:
        os.mkdir(path)
        return
    if data is None:
        raise ValueError(f"no bytes for {entry.path}")
    if entry.mode == _LINK:
        os.symlink(os.fsdecode(data), path)
        return
    mode = 0o777 if entry.mode == "100755" else 0o666  # less the umask, as tar makes them
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _bytes(top: Path, *args: str, ok: tuple[int, ...] = (0,), env: dict[str, str] | None = None,
           stdin: bytes | None = None) -> bytes | None:
    """``git -C top ARGS``' output, or None when it fails (any status but ``ok``)."""
    try:
        done = subprocess.run(["git", "-C", str(top), *args], input=stdin, capture_output=True, check=False,
                              env=env)
    except OSError:
        return None
    return done.stdout if done.returncode in ok else None


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
