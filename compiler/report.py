"""Reporters: problems as text, JSON or GitHub workflow annotations.

One problem is always one line: file names, codes and messages come from the input (a file
name, a field name, a value may hold a newline, an escape sequence or a Unicode line
separator), so ``one_line`` writes every control character (C0, DEL, C1, U+2028, U+2029) as a
backslash escape before text is printed. GitHub annotations are escaped the way the runner
reads workflow commands (``%``, CR and LF as ``%25``, ``%0D``, ``%0A``; ``:`` and ``,`` too in
properties), so no input can start a line with ``::`` and forge a command.
"""
from __future__ import annotations

import json
import re

from .problems import Problem

FORMATS = ("text", "json", "github")

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def one_line(text: str) -> str:
    """``text`` with every control character and line separator as a visible escape."""
    return _CONTROL.sub(_escape_char, text)


def _escape_char(m: re.Match[str]) -> str:
    ch = m.group(0)
    if ch in _NAMED:
        return _NAMED[ch]
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def summary(problems: list[Problem]) -> str:
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    if not problems:
        return "no problems"
    parts = [f"{errors} error{'s' if errors != 1 else ''}"]
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return ", ".join(parts)


def render(problems: list[Problem], fmt: str) -> str:
    if fmt == "json":
        body = {"problems": [p.as_dict() for p in problems],
                "errors": sum(1 for p in problems if p.severity == "error"),
                "warnings": sum(1 for p in problems if p.severity != "error")}
        return json.dumps(body, indent=2, sort_keys=True) + "\n"
    if fmt == "github":
        return "".join(_github(p) + "\n" for p in problems)
    return "".join(text_line(p) + "\n" for p in problems)


def text_line(p: Problem) -> str:
    """``file:line:col: severity[code]: message`` on one line."""
    return one_line(p.text())


def _escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return one_line(text)


def _github(p: Problem) -> str:
    level = "error" if p.severity == "error" else "warning"
    props = f"file={_escape(p.file, True)},line={p.line},col={p.col},title={_escape(p.code, True)}"
    return f"::{level} {props}::{_escape(p.message + p.tag())}"
