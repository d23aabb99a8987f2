"""Problem records: how every stage reports a user mistake.

A problem is a value, not an exception: stages return lists of them and the
pipeline collects them all, so one bad file never hides another.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One user-facing problem, located in a repo-relative file.

    ``line`` and ``col`` count from 1; 0 means "the whole file".
    ``field`` is the dotted field path inside the document (``spec.compute.gpuDevicesRequest``).
    ``overlay`` names the build that found it when several are reported together
    (``wlc build --all-overlays``); empty otherwise.
    """

    file: str
    line: int
    col: int
    code: str
    message: str
    severity: str = "error"
    field: str = ""
    overlay: str = ""

    def text(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.severity}[{self.code}]: {self.message}{self.tag()}"

    def tag(self) -> str:
        """`` [overlay NAME]`` when the problem belongs to one build of several, else ``""``."""
        return f" [overlay {self.overlay}]" if self.overlay else ""

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.col,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "field": self.field,
        } | ({"overlay": self.overlay} if self.overlay else {})


#: YAML problems of a number the reader keeps as its text; the schema then sees a string there
RANGE_CODES = frozenset({"yaml.int-range", "yaml.number-range"})


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """Problems in file, then position order; exact duplicates dropped, and echoes: the schema's
    "got string" for a number already reported out of range at the same place is one mistake."""
    ranges = {(p.file, p.line, p.col, p.overlay) for p in problems if p.code in RANGE_CODES}
    kept = {p for p in problems
            if not (p.code == "schema.type" and "got string" in p.message
                    and (p.file, p.line, p.col, p.overlay) in ranges)}
    return sorted(kept, key=lambda p: (p.file, p.line, p.col, p.code, p.message, p.overlay))


class WlcError(Exception):
    """Root of wlc's own exceptions: bugs and environment failures, never user mistakes."""


class ConfigError(WlcError):
    """A usage or configuration error (exit code 2)."""


class CompilerBug(WlcError):
    """The compiler produced something it must not (for example text that does not read back as
    the object it was made from): a bug in wlc, exit 4."""
