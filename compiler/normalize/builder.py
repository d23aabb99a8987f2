"""The native document under construction, where each value came from, and the problems found.

Every native path gets the position of the Run:ai value it was made from, so that later stages
point into the original file; problems are located there too.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..model import Doc, Path
from ..problems import Problem
from ..repo import suggest


@dataclass
class Out:
    """The native document being built, its positions, and the problems found on the way."""

    src: Doc
    #: the native document being written: dicts and lists that ``put`` creates as it goes
    data: dict[str, Any]
    locs: dict[Path, tuple[int, int]] = field(default_factory=dict)
    key_locs: dict[Path, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    #: (Run:ai field, item label) → the keys of the items of that label in the other documents
    #: (``labels.item_labels``): what a deletion by label removes
    labels: dict[tuple[str, str], tuple[object, ...]] = field(default_factory=dict)

    def put(self, npath: Path, value: object, spath: Path, at_key: bool = False) -> None:
        """Set the native ``npath`` to ``value``, located at the Run:ai value ``spath``
        (or at its key, for values made from a key such as an item label)."""
        cur: object = self.data
        for depth, key in enumerate(npath[:-1]):
            cur = _child(cur, key, [] if isinstance(npath[depth + 1], int) else {})
            self.mark(npath[: depth + 1], spath)
        _assign(cur, npath[-1], value)
        self.locs[npath] = self.src.loc(spath, key=True) if at_key else self.src.loc(spath)
        self._key_loc(npath, spath)

    def mark(self, npath: Path, spath: Path) -> None:
        """Give a native container a position unless it already has one."""
        if npath not in self.locs:
            self.locs[npath] = self.src.loc(spath)
            self._key_loc(npath, spath)

    def _key_loc(self, npath: Path, spath: Path) -> None:
        kpath = _key_path(spath)
        if kpath in self.src.key_locs:
            self.key_locs.setdefault(npath, self.src.key_locs[kpath])

    def problem(self, spath: Path, code: str, message: str, severity: str = "error",
                key: bool = False) -> None:
        """A problem at the Run:ai value ``spath`` (or at its key), named by its field path."""
        kpath = _key_path(spath)
        line, col = self.src.loc(kpath, key=True) if key else self.src.loc(spath)
        self.problems.append(Problem(self.src.file, line, col, code, message, severity, _runai_path_text(kpath)))

    def unknown(self, spath: Path, known: Iterable[str], what: str = "field") -> None:
        """``runai.unknown-field`` at the key, with the closest of ``known``."""
        name = str(spath[-1])
        self.problem(spath, "runai.unknown-field",
                     f'unknown Run:ai {what} "{name}"{suggest(name, sorted(set(known)))}', key=True)

    def dropped(self, spath: Path, why: str) -> None:
        """A warning: the field is left out of the native document."""
        self.problem(spath, "runai.dropped", f"{_runai_path_text(_key_path(spath))} is not imported: {why}",
                     severity="warning", key=True)

    def unmappable(self, spath: Path, why: str) -> None:
        """An error: the field says something wlc cannot express."""
        self.problem(spath, "runai.unmappable", f"{_runai_path_text(_key_path(spath))} cannot be imported: {why}",
                     key=True)


def _child(cur: object, key: str | int, default: object) -> object:
    if isinstance(cur, list):
        assert isinstance(key, int)
        if key == len(cur):
            cur.append(default)
        return cur[key]
    assert isinstance(cur, dict)
    return cur.setdefault(key, default)


def _assign(cur: object, key: str | int, value: object) -> None:
    if isinstance(cur, list):
        assert isinstance(key, int)
        if key == len(cur):
            cur.append(value)
        else:
            cur[key] = value
    else:
        assert isinstance(cur, dict)
        cur[key] = value


def _key_path(spath: Path) -> Path:
    """The path of the field itself: ``spath`` without trailing ``value`` wrappers."""
    while spath and spath[-1] == "value":
        spath = spath[:-1]
    return spath


def _runai_path_text(path: Path) -> str:
    """("spec", "pvcs", "items", "a", "value") → "spec.pvcs.items.a.value".

    Not ``compiler.merge.dotted``: for a key that starts with ``[`` or holds ``.[`` this one drops
    the dot (``spec.[x]`` reads ``spec[x]``), and problem field paths must not change here.
    """
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path).replace(".[", "[")
