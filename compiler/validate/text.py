"""Problems located in a document, and values put into words for their messages.

``problem`` places a problem at a path of its document (at the key for an unknown field);
``quoted_path``, ``show`` and ``got`` write paths and values as a user reads them; ``did_you_mean``
suggests a close spelling.
"""
from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable

from ..model import Doc, Path
from ..problems import Problem

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*\Z")


def problem(doc: Doc, path: Path, code: str, message: str, key: bool = False,
            field: str | None = None) -> Problem:
    """A problem at ``path`` (its key with ``key``); ``field`` defaults to ``quoted_path(path)``."""
    line, col = doc.loc(path, key=key)
    return Problem(doc.file, line, col, code, message,
                   field=field if field is not None else quoted_path(path))


def quoted_path(path: Iterable[str | int]) -> str:
    """spec.storage.pvc[0].claimName; odd keys as ["app.kubernetes.io/name"].

    Unlike ``merge.dotted`` (a spec field path, whose keys are always field names), a document
    path can hold any key (a label, an annotation), so keys that are not identifiers are quoted.
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENT.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out


def show(value: object) -> str:
    if isinstance(value, str):
        shown = json.dumps(value, ensure_ascii=False)
        return shown if len(shown) <= 70 else shown[:66] + '..."'
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def got(value: object) -> str:
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return f"boolean {show(value)}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"number {value!r}"
    if isinstance(value, str):
        return f"string {show(value)}"
    return show(value)


def did_you_mean(word: str, options: Iterable[str]) -> str:
    close = closest(word, list(options))
    return f' (did you mean "{close}"?)' if close else ""


def closest(word: str, choices: list[str]) -> str | None:
    """The choice that differs only in case, else a close spelling (not for values with
    digits: "1.20" is not a misspelt "1.32")."""
    same_case = [o for o in choices if o.lower() == word.lower()]
    if same_case:
        return same_case[0]
    if any(c.isdigit() for c in word):
        return None
    prefixed = [o for o in choices if len(word) >= 3 and o.lower().startswith(word.lower())]
    if len(prefixed) == 1:
        return prefixed[0]
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return close[0] if close else None
