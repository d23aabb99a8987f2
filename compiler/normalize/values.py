"""Reading Run:ai values: ``{value: X}`` wrappers, then one converter per native value type.

A converter takes the unwrapped Run:ai value and returns the native one, or raises ``Bad`` with
the reason; the caller turns that into a ``runai.bad-value`` problem at the value.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from ..model import Path
from ..shapes import YamlMap
from .builder import Out

#: A value converter: Run:ai value → native value (raises ``Bad``).
Conv = Callable[[object], object]
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


class Bad(Exception):
    """A value that a converter cannot read; caught where the field is converted."""

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


def unwrap_field(out: Out, node: object, spath: Path) -> tuple[object, Path]:
    """The value of a top-level ``{value: X}`` field (bare values are accepted too)."""
    if isinstance(node, dict) and "value" in node:
        for extra in node:
            if extra != "value":
                out.unknown(spath + (extra,), ("value",), what="wrapper key")
        return unwrap_leaf(node["value"], spath + ("value",))
    return node, spath


def unwrap_leaf(node: object, spath: Path) -> tuple[object, Path]:
    """Strip ``{value: X}`` wrappers that hold nothing else (v1alpha1 nests them)."""
    while isinstance(node, dict) and list(node) == ["value"]:
        node, spath = node["value"], spath + ("value",)
    return node, spath


def field_value(out: Out, spec: YamlMap, name: str) -> tuple[object, Path] | None:
    """The unwrapped value of the spec field ``name`` and its path, or None when it is not set."""
    if name not in spec:
        return None
    return unwrap_field(out, spec[name], ("spec", name))


def shape(v: object) -> str:
    """What a non-scalar is, for messages: "a mapping", "a list" or "nothing"."""
    return "a mapping" if isinstance(v, dict) else "a list" if isinstance(v, list) else "nothing"


# -- scalars


def _scalar(v: object) -> object:
    if isinstance(v, (dict, list)) or v is None:
        raise Bad(f"expected a single value, got {shape(v)}")
    return v


def as_str(v: object) -> str:
    """A string; numbers are written as text (``2.0`` → ``"2"``), booleans are refused."""
    v = _scalar(v)
    if isinstance(v, bool):
        raise Bad(f"expected a string, got {str(v).lower()}")
    return v if isinstance(v, str) else _num_text(v)


def _num_text(v: object) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def as_text(v: object) -> str:
    """Any scalar as text (environment values, label values): true → "true"."""
    v = "" if v is None else _scalar(v)
    return str(v).lower() if isinstance(v, bool) else v if isinstance(v, str) else _num_text(v)


def as_bool(v: object) -> bool:
    """``true``/``false``, also as strings in any case."""
    v = _scalar(v)
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return v.lower() == "true"
    raise Bad(f'expected true or false, got "{v}"')


def as_int(v: object) -> int:
    """A whole number: ``3``, ``3.0`` or ``"3"``."""
    v = _scalar(v)
    if isinstance(v, bool):
        raise Bad("expected a whole number, got a boolean")
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str) and re.fullmatch(r"[+-]?\d+", v.strip()):
        return int(v.strip())
    raise Bad(f'expected a whole number, got "{v}"')


def as_number(v: object) -> int | float:
    """A number, also from a string; whole floats become ints."""
    v = _scalar(v)
    if isinstance(v, bool):
        raise Bad("expected a number, got a boolean")
    if isinstance(v, (int, float)):
        return _tidy(v)
    try:
        return _tidy(float(str(v).strip()))
    except ValueError:
        raise Bad(f'expected a number, got "{v}"') from None


def _tidy(x: float) -> int | float:
    return int(x) if isinstance(x, float) and x.is_integer() else x


def as_cpu(v: object) -> int | float:
    """CPU cores: ``0.5``, ``"2"``, or millicores ``"500m"``."""
    if isinstance(v, str) and v.strip().endswith("m"):
        return _tidy(as_number(v.strip()[:-1]) / 1000)
    return as_number(v)


def as_quantity(v: object) -> str:
    """A memory-like quantity, kept as written (``512Mi``, ``2G``); only its form is checked."""
    text = as_str(v).strip()
    if not re.fullmatch(r"[+-]?[0-9.]+([eEinumkKMGTP]*[-+]?[0-9]*)", text):
        raise Bad(f'"{text}" is not a quantity such as 512Mi or 2G')
    return text


def one_of(options: dict[str, str]) -> Callable[[object], str]:
    """A case-insensitive choice that returns the native spelling (``-`` and ``_`` ignored)."""
    def conv(v: object) -> str:
        text = as_str(v)
        key = text.lower().replace("-", "").replace("_", "")
        if key not in options:
            raise Bad(f'"{text}" is not one of {", ".join(sorted(set(options.values())))}')
        return options[key]
    return conv


def as_duration(v: object) -> int:
    """Seconds from a number or a duration such as ``5s``, ``2m``, ``3h``, ``4d``, ``1h30m``."""
    if not isinstance(v, str) or re.fullmatch(r"\s*\d+\s*", v):
        return as_int(v)
    text = v.strip()
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise Bad(f'"{text}" is not a duration such as 90s, 30m, 3h or 4d')
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    return int(sum(float(n) * scale[u] for n, u in parts))


# -- lists written as one string


def _words(v: object, seps: str) -> list[str]:
    if isinstance(v, list):
        return [as_str(x) for x in v]
    return [w for w in re.split(f"[{seps}]+", as_str(v)) if w]


def as_str_list(v: object) -> list[str]:
    """A list, or one string split at commas, semicolons and blanks: ``"A,B"`` → ``[A, B]``."""
    return _words(v, r",;\s")


def as_node_pools(v: object) -> list[str]:
    """Node pools: a list, or one string split at blanks and commas."""
    return _words(v, r"\s,")


def as_int_list(v: object) -> list[int]:
    """Whole numbers: one, a list, or one string such as ``"1;2, 3"``."""
    if isinstance(v, int) and not isinstance(v, bool):
        return [v]
    return [as_int(w) for w in _words(v, r";,\s")]
