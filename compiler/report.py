"""Reporters: problems as text, JSON, GitHub workflow annotations, SARIF 2.1.0 (code scanning)
or a GitLab Code Quality report.

One problem is always one line: file names, codes and messages come from the input (a file
name, a field name, a value may hold a newline, an escape sequence or a Unicode line
separator), so ``one_line`` writes every control character (C0, DEL, C1, U+2028, U+2029) as a
backslash escape before text is printed. GitHub annotations are escaped the way the runner
reads workflow commands (``%``, CR and LF as ``%25``, ``%0D``, ``%0A``; ``:`` and ``,`` too in
properties), so no input can start a line with ``::`` and forge a command. JSON, SARIF and
GitLab reports carry the raw text (JSON strings escape everything); SARIF file URIs are
percent-encoded.

GitLab fingerprints hash the file, code, field and message, never the line: a problem on a line
that moved keeps its fingerprint, so the merge request does not show it as fixed and new again.
"""
from __future__ import annotations

import hashlib
import json
import re
from urllib.parse import quote

from . import __version__
from .problems import Problem

FORMATS = ("text", "json", "github", "sarif", "gitlab")
CONFIG_FILE = "wlc.yaml"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_GITLAB_SEVERITY = {"error": "major", "warning": "minor"}
_SARIF_LEVEL = {"error": "error", "warning": "warning"}

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
    if fmt == "sarif":
        return json.dumps(sarif(problems), indent=2, sort_keys=True) + "\n"
    if fmt == "gitlab":
        return json.dumps(gitlab(problems), indent=2, sort_keys=True) + "\n"
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


def fingerprints(problems: list[Problem]) -> list[str]:
    """A stable id per problem: sha256 of file, code, field and message (not the line); the n-th
    repeat of the same four gets ``:n`` before hashing, so ids stay unique."""
    seen: dict[tuple[str, str, str, str], int] = {}
    out = []
    for p in problems:
        key = (p.file, p.code, p.field, p.message)
        n = seen[key] = seen.get(key, -1) + 1
        text = "\0".join(key) + (f"\0{n}" if n else "")
        out.append(hashlib.sha256(text.encode()).hexdigest())
    return out


def gitlab(problems: list[Problem]) -> list[dict[str, object]]:
    """A GitLab Code Quality report (``artifacts:reports:codequality``): one issue per problem (a
    problem of no file is placed on wlc.yaml: GitLab needs a path)."""
    return [{"type": "issue", "check_name": p.code, "description": p.message + p.tag(), "fingerprint": fp,
             "severity": _GITLAB_SEVERITY.get(p.severity, "info"), "categories": ["Bug Risk"],
             "location": {"path": p.file or CONFIG_FILE, "lines": {"begin": max(p.line, 1)}}}
            for p, fp in zip(problems, fingerprints(problems))]


def sarif(problems: list[Problem]) -> dict[str, object]:
    """A SARIF 2.1.0 log with one run of wlc: a rule per problem code, a result per problem."""
    codes = sorted({p.code for p in problems})
    rules = [{"id": c, "name": c, "shortDescription": {"text": c}} for c in codes]
    index = {c: i for i, c in enumerate(codes)}
    results = [_sarif_result(p, index[p.code], fp) for p, fp in zip(problems, fingerprints(problems))]
    driver = {"name": "wlc", "version": __version__, "rules": rules}
    run = {"tool": {"driver": driver}, "results": results, "columnKind": "unicodeCodePoints",
           "originalUriBaseIds": {"SRCROOT": {"description": {"text": "The GitOps repository's root."}}}}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _sarif_result(p: Problem, rule: int, fingerprint: str) -> dict[str, object]:
    result: dict[str, object] = {"ruleId": p.code, "ruleIndex": rule, "message": {"text": p.message + p.tag()},
                              "level": _SARIF_LEVEL.get(p.severity, "note"),
                              "partialFingerprints": {"wlcProblem/v1": fingerprint}}
    if p.file:
        region = {"startLine": max(p.line, 1)} | ({"startColumn": p.col} if p.line >= 1 and p.col >= 1 else {})
        result["locations"] = [{"physicalLocation": {
            "artifactLocation": {"uri": quote(p.file), "uriBaseId": "SRCROOT"}, "region": region}}]
    if p.field:
        result["properties"] = {"field": p.field}
    return result
