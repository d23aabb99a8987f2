"""The rule kinds: which value types each applies to, how its argument is checked, how it judges.

Each judge takes the final value of a field (``None`` when unset), the rule's argument and a
``Subject`` with what else it needs, and returns ``None`` (pass) or the violation text.
Itemized rules (``instances.canAdd``, ``instances.locked``, ``instances.fixed``) judge instance
keys instead: ``fixed`` instances keep the policy's values (Run:ai v1's per-item
``canEdit: false``: "hardwired and cannot be changed").
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from .. import quantity

NUMERIC = ("integer", "number", "quantity")


@dataclass(frozen=True)
class Subject:
    """What a judge may look at besides the value and the argument."""

    kind: str = "any"  # the field's value type
    path: str = ""  # dotted field path (for options' image matching)
    has_default: bool = False
    default: object = None
    by_policy: bool = False  # the value came from a policy default
    rules: Mapping[str, object] = field(default_factory=dict)  # the field's other rule arguments


def number(value: object, kind: str) -> Decimal | None:
    """A comparable number: quantities by their base units, numbers as they are."""
    if isinstance(value, bool):
        return None
    if kind == "quantity" or isinstance(value, str):
        return quantity.parse(value)
    return Decimal(str(value)) if isinstance(value, (int, float)) else None


def show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if not isinstance(value, (list, dict)) else repr(value)


# --------------------------------------------------------------------------- judges


def required(value: object, arg: object, s: Subject) -> str | None:
    """Pass: ``{required: true}`` and ``image: pytorch``. Fail: ``{required: true}`` and no image."""
    if arg is True and (value is None or value == []):
        return "is required"
    return None


def can_edit(value: object, arg: object, s: Subject) -> str | None:
    """Pass: ``canEdit: false``, default ``runAsUid: 500`` and no value or 500.
    Fail: the same policy and a submitted ``runAsUid: 501``."""
    if arg is not False or value is None or s.by_policy:
        return None
    if not s.has_default:
        return f"{show(value)} may not be set: the policy does not let this field be edited"
    if value == s.default:
        return None
    return f"{show(value)} differs from {show(s.default)}, which the policy does not let you edit"


def minimum(value: object, arg: object, s: Subject) -> str | None:
    """Pass: ``min: 1`` and ``1``; ``min: 1Gi`` and ``2G``. Fail: ``min: 1Gi`` and ``1G``."""
    v, limit = number(value, s.kind), number(arg, s.kind)
    if v is not None and limit is not None and v < limit:
        return f"{show(value)} is less than {show(arg)}"
    return None


def maximum(value: object, arg: object, s: Subject) -> str | None:
    """Pass: ``max: 4`` and ``4``. Fail: ``max: 4`` and ``8``; ``max: 1G`` and ``1Gi``."""
    v, limit = number(value, s.kind), number(arg, s.kind)
    if v is not None and limit is not None and v > limit:
        return f"{show(value)} is greater than {show(arg)}"
    return None


def step(value: object, arg: object, s: Subject) -> str | None:
    """Pass: ``step: 2`` (from ``min``, else 0) and ``4``. Fail: ``step: 2`` and ``3``."""
    v, size = number(value, s.kind), number(arg, s.kind)
    base = number(s.rules.get("min", 0), s.kind) or Decimal(0)
    if v is None or not size:
        return None
    if (v - base) % size != 0:
        start = f" from {show(s.rules['min'])}" if "min" in s.rules else ""
        return f"{show(value)} is not a multiple of {show(arg)}{start}"
    return None


def options(value: object, arg: object, s: Subject) -> str | None:
    """Pass: ``options: [{value: Always}]`` and ``Always``; ``options: [{value: nvcr.io/*}]`` and
    ``nvcr.io/nvidia/pytorch:24.09-py3``. Fail: the same options and ``Never``, ``docker.io/x``.

    An option ending in ``*`` allows every value that starts with the text before it; for the
    ``image`` field a value also matches in its fully qualified form (``python:3`` is
    ``docker.io/library/python:3``)."""
    if value is None:
        return None
    allowed = option_values(arg)
    candidates = [value] + ([qualified_image(value)] if s.path.endswith("image") else [])
    if any(_matches(c, a) for c in candidates for a in allowed):
        return None
    return f"{show(value)} is not one of the allowed values: {', '.join(show(a) for a in allowed)}"


def option_values(arg: object) -> list[object]:
    return [o.get("value") if isinstance(o, dict) else o for o in (arg if isinstance(arg, list) else [])]


def _matches(value: object, allowed: object) -> bool:
    if isinstance(allowed, str) and allowed.endswith("*") and isinstance(value, str):
        return value.startswith(allowed[:-1])
    return bool(value == allowed)


def qualified_image(image: object) -> object:
    """``python:3.12`` → ``docker.io/library/python:3.12``; ``ghcr.io/x/y`` unchanged."""
    if not isinstance(image, str):
        return image
    first, _, rest = image.partition("/")
    if not rest:
        return f"docker.io/library/{image}"
    if "." in first or ":" in first or first == "localhost":
        return image
    return f"docker.io/{image}"


def can_add(keys: list[object], arg: object, allowed: set[object]) -> list[object]:
    """Instance keys not allowed. Pass: ``canAdd: false``, default instances ``[a, b]``, final
    keys ``[a]``. Fail: the same and final keys ``[a, c]`` (``c`` is returned)."""
    if arg is not False:
        return []
    return [k for k in keys if k not in allowed]


def fixed(item: Mapping[str, object], default: Mapping[str, object]) -> list[str]:
    """Members of a fixed instance that differ from the policy's. Pass: default ``{container:
    30100, external: 8080}`` and the same item. Fail: ``external: 9090`` (``external``)."""
    return [m for m, v in item.items() if m in default and v is not None and v != default[m]]


def locked(excluded: list[object], arg: object) -> list[object]:
    """Excluded keys that may not be. Pass: ``locked: [a]`` and ``b`` excluded.
    Fail: ``locked: [a]`` and ``a`` excluded (``a`` is returned)."""
    return [k for k in excluded if isinstance(arg, list) and k in arg]


Judge = Callable[[object, object, Subject], "str | None"]


@dataclass(frozen=True)
class Rule:
    """A rule kind: the field types it applies to and the argument it needs."""

    name: str
    kinds: tuple[str, ...]
    arg: str  # bool | number | options | defaultFrom | keys
    judge: Judge | None = None


_ANY = ("boolean", "integer", "number", "string", "quantity", "array", "any", "itemized")
#: Leaf rules by name (``instances.*`` live under ``instances`` and are judged on keys).
RULES: dict[str, Rule] = {r.name: r for r in (
    Rule("required", _ANY, "bool", required),
    Rule("canEdit", _ANY[:-1], "bool", can_edit),
    Rule("min", NUMERIC, "number", minimum),
    Rule("max", NUMERIC, "number", maximum),
    Rule("step", ("integer", "number"), "number", step),
    Rule("options", ("string",), "options", options),
    Rule("defaultFrom", NUMERIC, "defaultFrom"),
    Rule("canAdd", ("itemized",), "bool"),
    Rule("locked", ("itemized",), "keys"),
    Rule("fixed", ("itemized",), "keys"),
)}
#: Order in which leaf rules judge (and are printed).
ORDER = ("required", "canEdit", "min", "max", "step", "options", "defaultFrom", "canAdd", "locked",
         "fixed")
#: the rules under ``instances`` of an itemized field
INSTANCE_RULES = ("canAdd", "locked", "fixed")


def check_arg(rule: Rule, arg: object, kind: str) -> str | None:
    """Why the argument cannot be used for this rule, or None."""
    if rule.arg == "bool" and not isinstance(arg, bool):
        return "must be true or false"
    if rule.arg == "number" and number(arg, kind) is None:
        return "must be a quantity such as 10Gi" if kind == "quantity" else "must be a number"
    if rule.name == "step" and (number(arg, kind) or 0) <= 0:
        return "must be greater than 0"
    if rule.arg == "options":
        if not isinstance(arg, list) or not arg:
            return "must be a non-empty list of {value, displayed}"
        if any(isinstance(o, dict) and ("value" not in o or set(o) - {"value", "displayed"}) for o in arg):
            return "each option is {value, displayed}"
    if rule.arg == "keys" and not (isinstance(arg, list) and all(isinstance(k, (str, int)) for k in arg)):
        return "must be a list of instance keys"
    if rule.arg == "defaultFrom":
        if not isinstance(arg, dict) or set(arg) - {"field", "factor"} or not isinstance(arg.get("field"), str):
            return "must be {field: <path>, factor: <number>}"
        if not isinstance(arg.get("factor", 1), (int, float)) or isinstance(arg.get("factor"), bool):
            return "factor must be a number"
    return None
