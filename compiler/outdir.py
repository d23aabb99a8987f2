"""The output folder wlc owns: where a bundle may go, and how it replaces the previous one.

Layout of ``OUT`` (docs/trust.md, "What wlc writes and deletes")::

    OUT/.wlc/lock                  fcntl lock: one build writes into OUT at a time
    OUT/.wlc/<overlay>.<16 hex>/   one complete bundle (a "generation"), never changed once linked;
                                   the hex is the start of the sha256 of its files (deterministic)
    OUT/<overlay> -> .wlc/<overlay>.<16 hex>   relative symlink, switched by one atomic rename

A new generation is written completely, then ``OUT/<overlay>`` is switched to it with one
``rename(2)`` of a new symlink over the old one: a reader sees the old bundle or the new one,
never a missing or half one, and a kill at any point leaves the old bundle whole. The previous
generation stays until the next build into OUT starts, which first deletes every generation
no link points to (what a killed build left). wlc deletes only what it recognises as its own.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import stat
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from fnmatch import fnmatchcase
from pathlib import Path as FsPath

from .problems import ConfigError

PRIVATE = ".wlc"
LOCK = "lock"
ALWAYS_IGNORED = ("build", ".github")  # top-level folders the loader never reads (compiler/load.py)
_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_GENERATION = re.compile(r"([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)\.[0-9a-f]{16}")
_TEMP_LINK = re.compile(r"\.link-[0-9a-f]{16}")


class OutputError(ConfigError):
    """The output folder cannot be written safely (exit 2): nothing was written."""


def is_label(name: str) -> bool:
    """A DNS-1123 label (the whole string): the only names wlc turns into path components."""
    return _LABEL.fullmatch(name) is not None


def check_out(out: FsPath, repo: FsPath, exclude: list[str]) -> FsPath:
    """The resolved output folder; a ConfigError when wlc would write over what it reads."""
    if not str(out):
        raise ConfigError("--out must not be empty")
    target, root = out.resolve(), repo.resolve()
    if target == root or root.is_relative_to(target):
        raise ConfigError(f"--out {out} contains the repository {repo}: choose a folder inside "
                          "build/ or outside the repository")
    if target.is_relative_to(root):
        parts = target.relative_to(root).parts
        if parts[0] == ".git" or not _not_read(parts, exclude):
            raise ConfigError(f"--out {out} lies inside what wlc reads from {repo}: choose a folder "
                              "inside build/ or outside the repository")
    return target


def _not_read(parts: tuple[str, ...], exclude: list[str]) -> bool:
    """True when the loader skips this repo-relative folder (hidden, build/, .github/, exclude)."""
    for i, name in enumerate(parts):
        rel = "/".join(parts[:i + 1])
        if name.startswith(".") or (i == 0 and name in ALWAYS_IGNORED):
            return True
        if any(fnmatchcase(rel, p) or fnmatchcase(rel, p.rstrip("/")) or fnmatchcase(rel + "/", p)
               for p in exclude):
            return True
    return False


def check_relpath(rel: str) -> None:
    """A bundle-relative file path: relative, no empty, ``.`` or ``..`` part, nothing odd."""
    parts = rel.split("/")
    if (rel.startswith("/") or "\\" in rel or "\0" in rel
            or any(p in ("", ".", "..") or not p.isprintable() for p in parts)):
        raise OutputError(f"refusing to write {rel!r}: not a plain path inside the output folder")


@contextmanager
def locked(out: FsPath, on_wait: Callable[[], None] | None = None) -> Iterator[FsPath]:
    """Hold OUT's lock (waiting for another build into OUT to finish); yields OUT/.wlc."""
    private = _private(out)
    fd = _open_lock(private / LOCK)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield private
    finally:
        os.close(fd)  # closing releases the lock; the kernel does the same for a killed build


def _open_lock(path: FsPath) -> int:
    """Open (or create) the lock file itself: never through a symbolic link someone put there."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)
    except OSError as err:
        what = "a symbolic link wlc did not make" if path.is_symlink() else f"not usable ({err.strerror})"
        raise OutputError(f"{path} is {what}: remove it or choose another --out") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OutputError(f"{path} is not a regular file wlc made: remove it or choose another --out")
    return fd


def _private(out: FsPath) -> FsPath:
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    private = out / PRIVATE
    if private.is_symlink() or (private.exists() and not private.is_dir()):
        raise OutputError(f"{private} is not a folder wlc made; remove it or choose another --out")
    private.mkdir(exist_ok=True)
    return private


def publish(out: FsPath, bundles: dict[str, dict[str, str]], prune: bool = False,
            on_wait: Callable[[], None] | None = None) -> list[str]:
    """Write each overlay's files as OUT/<overlay>, atomically, under OUT's lock.

    Every destination and every path is checked before anything is written. With ``prune``,
    OUT/<name> of overlays not in ``bundles`` is removed (only what wlc wrote). Returns the
    names of the overlays removed."""
    for name, texts in bundles.items():
        if not is_label(name):
            raise OutputError(f"refusing to write overlay folder {name!r}: not a DNS-1123 label")
        for rel in texts:
            check_relpath(rel)
    for name in bundles:  # refuse before creating anything; checked again under the lock
        _slot(out, name)
    with locked(out, on_wait) as private:
        slots = {name: _slot(out, name) for name in bundles}
        _collect_garbage(out, private)
        for name, texts in bundles.items():
            generation = private / _generation_name(name, texts)
            if (slots[name] == "link" and _current(out, name) == generation.name
                    and _holds_exactly(generation, texts)):
                continue  # the same bundle is already there, whole: nothing to switch
            if generation.exists() or generation.is_symlink():  # edited, or a leftover not deleted
                generation = private / f"{name}.{secrets.token_hex(8)}"
            _write_generation(generation, texts)
            _switch(out, private, name, generation, slots[name])
        return _prune(out, private, set(bundles)) if prune else []


def _slot(out: FsPath, name: str) -> str:
    """What OUT/<name> is now: new, link (wlc's), empty (folder), legacy (an old wlc bundle)."""
    path = out / name
    if path.is_symlink():
        if _owned_link(path, name):
            return "link"
        raise OutputError(f"{path} is a symbolic link wlc did not make; remove it or choose another --out")
    if not path.exists():
        return "new"
    if path.is_dir():
        if not any(path.iterdir()):
            return "empty"
        if _legacy_bundle(path):
            return "legacy"
    raise OutputError(f"{path} exists and was not written by wlc; remove it or choose another --out")


def _owned_link(path: FsPath, name: str) -> bool:
    target = os.readlink(path)
    head, _, generation = target.partition("/")
    match = _GENERATION.fullmatch(generation)
    return head == PRIVATE and match is not None and match.group(1) == name


def _legacy_bundle(path: FsPath, overlay: str | None = None) -> bool:
    """A real folder written by wlc before generations: its index.json is a BundleIndex."""
    index = path / "index.json"
    if index.is_symlink() or not index.is_file():
        return False
    try:
        doc = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (isinstance(doc, dict) and doc.get("kind") == "BundleIndex"
            and (overlay is None or doc.get("overlay") == overlay))


def _generation_name(name: str, texts: dict[str, str]) -> str:
    """``<overlay>.<16 hex>``: the same files give the same name, whatever the machine."""
    digest = hashlib.sha256()
    for rel in sorted(texts):
        data = texts[rel].encode("utf-8")
        digest.update(f"{rel}\0{len(data)}\0".encode())
        digest.update(data)
    return f"{name}.{digest.hexdigest()[:16]}"


def _current(out: FsPath, name: str) -> str:
    return os.readlink(out / name).partition("/")[2]


def _holds_exactly(generation: FsPath, texts: dict[str, str]) -> bool:
    """True when ``generation`` has exactly these files (regular files, same bytes)."""
    found: set[str] = set()
    for dirpath, dirs, files in os.walk(generation):
        if any(os.path.islink(os.path.join(dirpath, d)) for d in dirs):
            return False
        for fname in files:
            path = os.path.join(dirpath, fname)
            rel = os.path.relpath(path, generation).replace(os.sep, "/")
            if rel not in texts or os.path.islink(path) or len(found) >= len(texts):
                return False
            with open(path, "rb") as f:
                if f.read() != texts[rel].encode("utf-8"):
                    return False
            found.add(rel)
    return len(found) == len(texts)


def _write_generation(generation: FsPath, texts: dict[str, str]) -> None:
    generation.mkdir()
    base = os.path.realpath(generation)
    for d in sorted({os.path.dirname(rel) for rel in texts} - {""}):
        folder = os.path.join(base, d)
        os.makedirs(folder, exist_ok=True)
        if not os.path.realpath(folder).startswith(base + os.sep):
            raise OutputError(f"refusing to write into {d!r}: it leaves the output folder")

    def write(rel: str) -> None:
        with open(os.path.join(base, rel), "xb") as f:  # x: never through an existing link
            f.write(texts[rel].encode("utf-8"))

    with ThreadPoolExecutor(max_workers=4) as pool:  # file creation waits on the disk, not the CPU
        list(pool.map(write, sorted(texts)))


def _switch(out: FsPath, private: FsPath, name: str, generation: FsPath, slot: str) -> None:
    """Point OUT/<name> at ``generation`` with one rename of a new symlink over the old one."""
    path = out / name
    if slot == "empty":
        path.rmdir()
    elif slot == "legacy":  # an old wlc's real folder: moved aside (a moment without OUT/<name>)
        os.rename(path, private / f"{name}.{secrets.token_hex(8)}")
    link = private / f".link-{secrets.token_hex(8)}"
    os.symlink(f"{PRIVATE}/{generation.name}", link)
    os.replace(link, path)


def _collect_garbage(out: FsPath, private: FsPath) -> None:
    """Delete every generation and temporary link in OUT/.wlc that no OUT/<name> links to."""
    live = {_current(out, p.name) for p in out.iterdir() if p.is_symlink() and _owned_link(p, p.name)}
    for entry in private.iterdir():
        if entry.name in live:
            continue
        if _TEMP_LINK.fullmatch(entry.name) and entry.is_symlink():
            entry.unlink()
        elif _GENERATION.fullmatch(entry.name) and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)  # a failed delete is retried next build


def _prune(out: FsPath, private: FsPath, keep: set[str]) -> list[str]:
    """Remove OUT/<name> of overlays that no longer exist: wlc's links, and an old wlc's real
    folders whose index.json names that overlay (their data goes at the next build)."""
    removed = []
    for path in sorted(out.iterdir()):
        if path.name in keep or not is_label(path.name):
            continue
        if path.is_symlink() and _owned_link(path, path.name):
            path.unlink()
        elif not path.is_symlink() and path.is_dir() and _legacy_bundle(path, path.name):
            os.rename(path, private / f"{path.name}.{secrets.token_hex(8)}")
        else:
            continue
        removed.append(path.name)
    return removed


def resolve_inside(out: FsPath, rel: str) -> FsPath | None:
    """Where to write OUT/rel: its folder after following every symlink, when that stays inside
    OUT, and the file name (a symlink of that name is replaced, not written through); else None."""
    try:
        check_relpath(rel)
    except OutputError:
        return None
    base = os.path.realpath(out)
    folder = os.path.realpath(os.path.join(base, os.path.dirname(rel)))
    if folder != base and not folder.startswith(base + os.sep):
        return None
    return FsPath(folder) / os.path.basename(rel)
