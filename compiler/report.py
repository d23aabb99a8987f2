"""Reporters: problems as text, JSON or GitHub workflow annotations."""
from __future__ import annotations

import json

from .problems import Problem

FORMATS = ("text", "json", "github")


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
    return "".join(p.text() + "\n" for p in problems)


def _escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def _github(p: Problem) -> str:
    level = "error" if p.severity == "error" else "warning"
    props = f"file={_escape(p.file, True)},line={p.line},col={p.col},title={_escape(p.code, True)}"
    return f"::{level} {props}::{_escape(p.message)}"
