"""Reading bundle documents fast: a reader of exactly the canonical YAML that ``compiler/yamlout``
writes (block style, one scalar per line, plain / single-quoted / double-quoted strings, ``{}``
and ``[]`` for empty ones), and PyYAML (libyaml's parser) for any document outside that form.

A plain scalar is resolved and constructed by PyYAML's own resolver and safe constructor (cached
per text), so its type and value are what ``yaml.safe_load`` gives; a tag other than str, int,
float, bool or null (a timestamp, ``<<``), a comment, a blank line, a tab, flow collections, a
``? key``, an escape yamlout never writes or anything else unexpected sends the whole document to
PyYAML. tests/test_bundleyaml.py checks the two agree on every golden bundle and on generated
documents.
"""
from __future__ import annotations

import operator
import re
from functools import lru_cache
from itertools import repeat
from typing import Any

import yaml

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null")}
#: a plain scalar as yamlout writes one: no space, no indicator first, ":" only inside
_PLAIN = re.compile(r"(?!\.\.\.)-{0,2}[A-Za-z0-9_./][A-Za-z0-9_./=@,'\[\]+~%-]*(?::[A-Za-z0-9_./=@,'\[\]+~%-]+)*")
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[nrt\"\\])|\\")
_SHORT = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


class _NotCanonical(Exception):
    pass


def load(doc: str) -> Any:
    """One YAML document (a bundle object), as ``yaml.load(doc, CSafeLoader)`` would give it."""
    try:
        return _Reader(doc).document()
    except (_NotCanonical, IndexError, ValueError):
        return yaml.load(doc, Loader=_LOADER)


@lru_cache(maxsize=1 << 14)
def _plain(text: str) -> Any:
    if _PLAIN.fullmatch(text) is None:
        raise _NotCanonical(text)
    tag = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    if tag not in _TAGS:
        raise _NotCanonical(text)
    return _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, yaml.ScalarNode(tag, text))


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    if code is None:
        raise _NotCanonical("escape")
    return _SHORT[code] if len(code) == 1 else chr(int(code[1:], 16))


def _quoted(text: str) -> tuple[str, str]:
    """A quoted scalar at the start of ``text``: (its value, what follows it)."""
    if text[0] == "'":
        end = 1
        while True:
            end = text.index("'", end)
            if text[end + 1:end + 2] != "'":
                return text[1:end].replace("''", "'"), text[end + 1:]
            end += 2
    end = 1
    while True:
        end = text.index('"', end)
        slashes = len(text[:end]) - len(text[:end].rstrip("\\"))
        if slashes % 2 == 0:
            return _ESCAPE.sub(_unescape, text[1:end]), text[end + 1:]
        end += 1


def _scalar(text: str) -> Any:
    if text[0] in "'\"":
        value, rest = _quoted(text)
        if rest:
            raise _NotCanonical(text)
        return value
    return _plain(text)


class _Reader:
    def __init__(self, doc: str) -> None:
        self.lines = doc.split("\n")
        if self.lines[0] != "---" or self.lines[-1] != "":
            raise _NotCanonical("document start")
        self.lines[-1] = "\0"  # a sentinel line, at indent -1
        self.ind: list[int] = list(map(operator.sub, map(len, self.lines), map(len, map(str.lstrip, self.lines, repeat(" ")))))
        self.ind[-1] = -1
        self.i = 1

    def document(self) -> Any:
        if self.lines[1:] == ["{}", "\0"]:
            return {}
        value = self.block(0)
        if self.i != len(self.lines) - 1:
            raise _NotCanonical("trailing lines")
        return value

    def indent(self) -> int:
        """The indent of the current line (-1 at the end)."""
        return self.ind[self.i]

    def block(self, n: int) -> Any:
        if self.indent() != n:
            raise _NotCanonical("indent")
        return self.sequence(n) if self.lines[self.i][n] == "-" and self.lines[self.i][n:n + 2] in ("-", "- ") \
            else self.mapping(n)

    def mapping(self, n: int) -> dict[str, Any]:
        """The entries at indent ``n`` from the current line on (a key per line: ``key: value``,
        or ``key:`` with its block below, a sequence below at the same indent)."""
        out: dict[str, Any] = {}
        lines, ind = self.lines, self.ind
        i = self.i
        while ind[i] == n:
            text = lines[i][n:] if n else lines[i]
            first = text[0]
            if first == "-" and (len(text) == 1 or text[1] == " "):
                break  # a sequence item: the end of this mapping
            if first in "'\"":
                key, rest = _quoted(text)
                if not rest.startswith(":"):
                    raise _NotCanonical("key")
                rest = rest[1:]
            else:
                cut = text.find(": ")  # the first ":" followed by a space, or one that ends the line
                if cut >= 0:
                    key, rest = _plain(text[:cut]), text[cut + 1:]
                elif text[-1] == ":":
                    key, rest = _plain(text[:-1]), ""
                else:
                    raise _NotCanonical("key")
            if not isinstance(key, str):
                raise _NotCanonical("key")
            i += 1
            if rest:  # " value" on the key's line
                if rest[0] != " ":
                    raise _NotCanonical("value")
                out[key] = _inline(rest[1:])
                continue
            self.i = i
            below = lines[i][n:n + 2]
            out[key] = self.sequence(n) if ind[i] == n and (below == "- " or below == "-") else self.block(n + 2)
            i = self.i
        self.i = i
        return out

    def sequence(self, n: int) -> list[Any]:
        out: list[Any] = []
        lines, ind = self.lines, self.ind
        i = self.i
        while ind[i] == n:
            line = lines[i]
            mark = line[n:n + 2]
            if mark == "-" and len(line) == n + 1:  # a nested non-empty list (or map), at n + 2
                self.i = i + 1
                out.append(self.block(n + 2))
                i = self.i
                continue
            if mark != "- ":
                break
            item = line[n + 2:]
            first = item[0]
            if first in "'\"":
                value, rest = _quoted(item)
                if not rest:
                    i += 1
                    out.append(value)
                    continue
            elif ":" not in item or _scalar_like(item):
                i += 1
                out.append(_inline(item))
                continue
            lines[i] = " " * (n + 2) + item  # a mapping item: its first entry on the dash's line
            ind[i] = n + 2
            self.i = i
            out.append(self.mapping(n + 2))
            i = self.i
        self.i = i
        return out


def _inline(text: str) -> Any:
    """A value on its key's (or dash's) line: ``{}``, ``[]`` or a scalar."""
    if text == "{}":
        return {}
    if text == "[]":
        return []
    return _scalar(text)


def _scalar_like(item: str) -> bool:
    """A plain item holding ":" is a scalar when no ":" is followed by a space or ends it."""
    return ": " not in item and not item.endswith(":")
