"""Canonical YAML text: the one serializer of every bundle file (an output contract).

Block style, map keys sorted, list order kept, one scalar per line. A string is written in one
of three forms, chosen so that YAML 1.1 (PyYAML, libyaml), YAML 1.2 (ruamel.yaml) and Go's
sigs.k8s.io/yaml (kubectl, Argo CD, Flux) all read back exactly that string:

1. plain, only when it fully matches a strict allow-list (ASCII letters, digits and a few
   punctuation characters, no spaces, no leading indicator, ``:`` only inside) and no reader
   resolves it to anything but a string (numbers in any base or with ``_``, booleans and nulls
   of YAML 1.1 and 1.2, timestamps, ``<<`` and ``=``: checked against PyYAML's own resolver and
   against the YAML 1.2 and Go rules below);
2. single-quoted, when every character is printable (``str.isprintable``: no control, format,
   line or paragraph separator character, no space other than U+0020);
3. double-quoted otherwise, every other character escaped with an escape that YAML has
   (``\\n``, ``\\t``, ``\\r``, ``\\"``, ``\\\\``, ``\\xXX``, ``\\uXXXX``, ``\\UXXXXXXXX``).

No raw line break is ever written inside a scalar, so every line is one entry and no line of a
value can start a document (``---``), end one (``...``) or be a comment. A lone surrogate has no
UTF-8 form and Go readers refuse its escape: it is an ``EmitError`` (a compiler bug), not text.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

import yaml

from .problems import CompilerBug


class EmitError(CompilerBug):
    """An object that has no faithful YAML form (a lone surrogate, a key that is not a string)."""


_BODY = r"[A-Za-z0-9_./=@,'\[\]+~%-]"
#: the allow-list: an optional "-" or "--", then a letter, digit, "_", "." or "/"; ":" only
#: between two allowed characters; never a document marker
_PLAIN = re.compile(rf"(?!\.\.\.)-{{0,2}}[A-Za-z0-9_./]{_BODY}*(?::{_BODY}+)*")
#: what YAML 1.2 (core schema and ruamel's extensions) or Go's reader may take for a non-string:
#: digits and "_" with at most one "." and an exponent (ints and floats of any schema, Go drops
#: every "_"), YAML 1.1 sexagesimal numbers, 0x/0o/0b numbers, the special floats, every YAML 1.1
#: boolean and null word, "<<", "=" and anything that starts like a date
_NOT_A_STRING = re.compile(
    r"""[-+]?(?:[0-9_]+(?:\.[0-9_]*)?|\.[0-9_]+)(?:[eE][-+]?[0-9_]*)?
    |[-+]?[0-9][0-9_]*(?::[0-9_]+)+(?:\.[0-9_]*)?
    |[-+]?0(?:[xX][0-9a-fA-F_]*|[oO][0-7_]*|[bB][01_]*)
    |[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)
    |y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
    |null|Null|NULL|~|<<|=
    |[0-9]{4}-[0-9].*""",
    re.VERBOSE | re.DOTALL,
)
_RESOLVER = yaml.resolver.Resolver()
_STR = "tag:yaml.org,2002:str"
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
_TO_ESCAPE = re.compile(r'["\\]|[^\x20-\x7e]+')  # runs of non-ASCII: most are printable as they are
#: YAML limits an implicit key to 1024 characters: longer keys are written as "? key"
MAX_IMPLICIT_KEY = 1000


def scalar(value: object) -> str:
    """One scalar in canonical form (every reader above agrees on its type and value)."""
    if isinstance(value, str):
        return _string(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    raise EmitError(f"cannot serialize a {type(value).__name__}")


@lru_cache(maxsize=1 << 16)
def _string(value: str) -> str:
    if plain_ok(value):
        return value
    if value.isprintable():
        return "'" + value.replace("'", "''") + "'"
    return '"' + _TO_ESCAPE.sub(_escape, value) + '"'


def plain_ok(value: str) -> bool:
    """True when ``value`` may stand unquoted: allow-listed and a string for every reader."""
    return (_PLAIN.fullmatch(value) is not None and _NOT_A_STRING.fullmatch(value) is None
            and _RESOLVER.resolve(yaml.ScalarNode, value, (True, False)) == _STR)  # type: ignore[no-untyped-call]


def _escape(match: re.Match[str]) -> str:
    text = match.group()
    if text.isprintable() and text not in _SHORT_ESCAPES:
        return text
    return "".join(map(_escape_char, text))


def _escape_char(char: str) -> str:
    short = _SHORT_ESCAPES.get(char)
    if short is not None:
        return short
    if char.isprintable():
        return char
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        raise EmitError(f"string contains a lone surrogate (U+{code:04X}), which no YAML file can carry")
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _float(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if value in (float("inf"), float("-inf")):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    if "e" in text and "." not in text.split("e")[0]:
        mantissa, exp = text.split("e")
        text = f"{mantissa}.0e{exp}"
    return text


def _sorted_keys(mapping: Mapping[str, object]) -> list[str]:
    """The keys in order; a key that is not a string (a bug in lowering) raises EmitError."""
    try:
        keys = sorted(mapping)
    except TypeError:
        keys = list(mapping)
    for key in keys:
        if not isinstance(key, str):
            raise EmitError(f"map key {key!r} is a {type(key).__name__}, not a string")
    return keys


def _block(value: Mapping[str, object] | Sequence[object], indent: int, out: list[str]) -> None:
    """Append the lines of a non-empty mapping or sequence at ``indent``."""
    pad = " " * indent
    if isinstance(value, dict):
        for key in _sorted_keys(value):
            text = _string(key)
            if len(text) > MAX_IMPLICIT_KEY // 4 and len(text.encode()) > MAX_IMPLICIT_KEY:
                out.append(pad + "? " + text)
                _entry(pad + ":", value[key], indent, out, indentless=False)
            else:
                _entry(pad + text + ":", value[key], indent, out, indentless=True)
    else:
        for item in value:  # the caller passes a dict or a list
            if isinstance(item, dict) and item:
                inner: list[str] = []
                _block(item, indent + 2, inner)
                out.append(pad + "- " + inner[0][indent + 2:])
                out.extend(inner[1:])
            else:
                _entry(pad + "-", item, indent, out, indentless=False)


def _entry(head: str, value: object, indent: int, out: list[str], indentless: bool) -> None:
    if isinstance(value, (dict, list)) and value:
        out.append(head)
        _block(value, indent if indentless and isinstance(value, list) else indent + 2, out)
    elif isinstance(value, dict):
        out.append(head + " {}")
    elif isinstance(value, list):
        out.append(head + " []")
    else:
        out.append(head + " " + scalar(value))


def dump_document(obj: Mapping[str, object]) -> str:
    """One object as a YAML document starting with ---."""
    out = ["---"]
    if obj:
        _block(obj, 0, out)
    else:
        out.append("{}")
    return "\n".join(out) + "\n"


def dump_documents(objects: Iterable[Mapping[str, object]]) -> str:
    """Multi-document YAML for a list of objects."""
    return "".join(dump_document(o) for o in objects)


try:  # the C loader: re-reading a build costs a fraction of writing it
    _Loader: type[yaml.CSafeLoader | yaml.SafeLoader] = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader


def reread_mismatch(objects: Sequence[Mapping[str, object]], docs: list[str]) -> str | None:
    """None when parsing ``docs`` (YAML 1.1, libyaml) gives back exactly ``objects``, same
    types included; else what differs. ``==`` is the fast path; JSON text tells 1, 1.0 and
    True apart; a NaN, never equal to itself, goes to the exact comparison."""
    try:
        back = list(yaml.load_all("".join(docs), Loader=_Loader))
    except yaml.YAMLError as err:
        return f"the emitted text does not parse: {err}"
    if len(back) != len(objects):
        return f"{len(back)} documents read back from {len(objects)} objects"
    for number, (got, want) in enumerate(zip(back, objects), 1):
        if got == want and _typed(got) == _typed(want):
            continue
        where = _difference(got, want, "")
        if where is not None:
            return f"document {number} reads back differently at {where or 'its root'}"
    return None


def _typed(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr)


def _difference(got: object, want: object, path: str) -> str | None:
    """The first path where ``got`` and ``want`` differ in type or value (NaN equals NaN)."""
    if type(got) is not type(want):
        return f"{path or '.'} ({type(want).__name__} written, {type(got).__name__} read)"
    if isinstance(want, dict) and isinstance(got, dict):  # the same type: both or neither
        if got.keys() != want.keys():
            return f"{path or '.'} (keys {sorted(map(repr, want.keys() ^ got.keys()))})"
        return next((d for k in want if (d := _difference(got[k], want[k], f"{path}.{k}")) is not None), None)
    if isinstance(want, list) and isinstance(got, list):
        if len(got) != len(want):
            return f"{path or '.'} ({len(want)} items written, {len(got)} read)"
        return next((d for i, (g, w) in enumerate(zip(got, want))
                     if (d := _difference(g, w, f"{path}[{i}]")) is not None), None)
    if isinstance(want, float) and isinstance(got, float) and math.isnan(want) and math.isnan(got):
        return None
    return None if got == want else f"{path or '.'} ({want!r} written, {got!r} read)"
