"""Parsers of flag values (Run:ai CLI v2 syntax) into wlc values; a bad value is an EditError
whose message the CLI prefixes with the flag."""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from .documents import EditError

Parser = Callable[[str], Any]
_DURATION = re.compile(r"^(\d+)([smhd]?)$")
_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def text(raw: str) -> str:
    """One line of text: an image, a path, a name (a newline there would reach Kubernetes as is;
    only ``-e`` and ``-a`` values may hold one)."""
    if not raw.strip():
        raise EditError("must not be empty")
    if _CONTROL.search(raw):
        raise EditError(f"{raw!r} must be one line of text (no newline, tab or other control character)")
    return raw


def integer(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise EditError(f"{raw!r} is not a whole number") from None
    if value < 0:
        raise EditError(f"{raw!r} must not be negative")
    return value


def number(raw: str) -> int | float:
    """A number: whole numbers stay integers (``2``), others are decimals (``0.5``)."""
    try:
        value = float(raw)
    except ValueError:
        raise EditError(f"{raw!r} is not a number") from None
    if not math.isfinite(value):
        raise EditError(f"{raw!r} is not a number")
    return int(value) if value.is_integer() and "." not in raw else value


def duration(raw: str) -> int:
    """Seconds, from ``90``, ``90s``, ``2m``, ``3h`` or ``4d``."""
    match = _DURATION.match(raw.strip())
    if match is None:
        raise EditError(f"{raw!r} is not a duration (seconds, or a number with s, m, h or d)")
    return int(match.group(1)) * _SECONDS[match.group(2)]


def words(raw: str) -> list[str]:
    """A comma-separated list: ``a100,default``."""
    out = [w.strip() for w in raw.split(",") if w.strip()]
    if not out:
        raise EditError("must name at least one value")
    return out


def integers(raw: str) -> list[int]:
    return [integer(w) for w in words(raw)]


def pair(raw: str) -> tuple[str, str]:
    """``KEY=VALUE`` (the value may contain ``=``)."""
    key, sep, value = raw.partition("=")
    if not sep or not key.strip():
        raise EditError(f"{raw!r} is not KEY=VALUE")
    return key.strip(), value


def name_value(raw: str) -> dict[str, str]:
    """``-l KEY=VALUE`` → ``{name: KEY, value: VALUE}`` (labels and annotations are lists)."""
    key, value = pair(raw)
    return {"name": key, "value": value}


def resource(raw: str) -> dict[str, str]:
    """``--extended-resource NAME=QUANTITY`` → ``{resource: NAME, quantity: QUANTITY}``."""
    key, value = pair(raw)
    return {"resource": key, "quantity": value}


def env(raw: str) -> dict[str, str]:
    """``-e KEY=VALUE`` → ``{name: KEY, value: VALUE}`` (``SECRET:name,key`` values are kept)."""
    key, value = pair(raw)
    return {"name": key, "value": value}


#: one key of a ``k=v,k2=v2`` flag value: the wlc path inside the item and the value parser;
#: a parser of None marks a bare word that sets a fixed value (``readwrite``, ``ephemeral``)
Field = tuple[tuple[str, ...], Parser | None, Any]


def fields(keys: Mapping[str, Field], fixed: Mapping[str, Any] | None = None,
           bare: str = "") -> Parser:
    """A parser of Run:ai's ``key=value,key2=value2,word`` syntax into one item; ``fixed`` are
    added to every item; ``bare``: the key a value without ``=`` means (``--port 8080``)."""
    def parse(raw: str) -> dict[str, Any]:
        item: dict[str, Any] = {}
        for part in (p.strip() for p in raw.split(",")):
            if not part:
                continue
            key, sep, value = part.partition("=")
            if not sep and bare and key not in keys:
                key, value = bare, part
            if key not in keys:
                known = ", ".join(sorted(keys))
                raise EditError(f"unknown key {key!r} in {raw!r} (known: {known})")
            path, conv, constant = keys[key]
            _put(item, path, constant if conv is None else conv(value))
        for key, value in (fixed or {}).items():
            item.setdefault(key, value)
        return item
    return parse


def _put(item: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        item = item.setdefault(key, {})
    item[path[-1]] = value


def choice(*allowed: str) -> Parser:
    def parse(raw: str) -> str:
        if raw not in allowed:
            raise EditError(f"{raw!r} is not one of {', '.join(allowed)}")
        return raw
    return parse


def choice_folded(*allowed: str) -> Parser:
    """One of ``allowed`` in any case, written as spelled there (``xgboost`` → ``XGBoost``)."""
    spelled = {a.lower(): a for a in allowed}

    def parse(raw: str) -> str:
        if raw.lower() not in spelled:
            raise EditError(f"{raw!r} is not one of {', '.join(allowed)}")
        return spelled[raw.lower()]
    return parse


def semicolons(raw: str) -> list[str]:
    """A list inside a ``k=v`` value: ``authusers=alice;bob``."""
    return [w for w in raw.split(";") if w]


def negate(raw: str) -> bool:
    """``readwrite=false`` → readOnly true; a bare ``readwrite`` → readOnly false."""
    return raw.strip().lower() in ("false", "no", "0")


def boolean(raw: str) -> bool:
    low = raw.strip().lower()
    if low not in ("true", "false", "yes", "no", "1", "0"):
        raise EditError(f"{raw!r} is not true or false")
    return low in ("true", "yes", "1")
