"""Kubernetes resource quantities: parse, compare, scale.

``1G`` is 10**9, ``1Gi`` is 2**30, so ``1G < 1Gi``; ``500m`` is 0.5; ``1e3`` is 1000.
Values are exact ``Decimal``s, never floats, so comparisons do not round.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
            "k": Decimal(10**3), "M": Decimal(10**6), "G": Decimal(10**9), "T": Decimal(10**12),
            "P": Decimal(10**15), "E": Decimal(10**18)}
_FORM = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?\Z")


def parse(value: object) -> Decimal | None:
    """The quantity's value in base units, or None when it is not a quantity.

    >>> parse("1Gi") > parse("1G")
    True
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    if not isinstance(value, str):
        return None
    match = _FORM.match(value.strip())
    if not match:
        return None
    number, suffix = match.group(1), match.group(2) or ""
    try:
        base = Decimal(number)
    except InvalidOperation:
        return None
    if suffix in _BINARY:
        return base * _BINARY[suffix]
    if suffix[:1] in ("e", "E"):
        return base * (Decimal(10) ** int(suffix[1:]))
    return base * _DECIMAL[suffix]


def suffix_of(value: object) -> str:
    """The unit suffix of a quantity string ("" for plain numbers)."""
    if not isinstance(value, str):
        return ""
    match = _FORM.match(value.strip())
    return (match.group(2) or "") if match else ""


def scale(value: object, factor: float) -> int | float | str | None:
    """``value * factor``, written like ``value``: numbers stay numbers, ``8Gi * 0.5`` is ``4Gi``.

    A result that is not whole in the source's unit falls back to plain base units.
    """
    base = parse(value)
    if base is None:
        return None
    result = base * Decimal(str(factor))
    if not isinstance(value, str):
        return int(result) if result == result.to_integral_value() else float(result)
    unit = suffix_of(value)
    size = Decimal(_BINARY[unit]) if unit in _BINARY else _DECIMAL.get(unit)
    if size is not None:
        in_unit = result / size
        if in_unit == in_unit.to_integral_value():
            return f"{int(in_unit)}{unit}"
    if result == result.to_integral_value():
        return str(int(result))
    return format(result.normalize(), "f")
