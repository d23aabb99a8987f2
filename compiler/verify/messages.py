"""jsonschema's errors of an object that failed the fast check, as short located messages."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol


class _Error(Protocol):
    @property
    def absolute_path(self) -> Sequence[str | int]: ...

    @property
    def message(self) -> str: ...


class FullValidator(Protocol):
    """What wlc uses of a ``jsonschema`` validator (the package ships no type hints)."""

    def iter_errors(self, instance: object) -> Iterable[_Error]: ...


def error_messages(full: FullValidator, obj: object) -> list[str]:
    """``field.path: message`` of every error, in field-path order; never empty."""
    out = []
    for err in sorted(full.iter_errors(obj), key=lambda e: [str(p) for p in e.absolute_path]):
        out.append(f"{field_path(err.absolute_path)}: {short(err.message)}")
    return out or ["object rejected by the schema"]


def field_path(path: Iterable[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (("." if text else "") + str(part))
    return text or "(object)"


def short(message: str, limit: int = 200) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."
