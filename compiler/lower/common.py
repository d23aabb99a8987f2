"""Helpers every lowering module shares: the workload's Ctx (its one problem collector),
metadata, quantities, names."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

from compiler import labels, quantity
from compiler.model import Path, ResolvedWorkload, Target
from compiler.problems import Problem
from compiler.shapes import K8sObject, SpecTree

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
DNS_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?\Z")


@dataclass
class Ctx:
    """One workload's lowering: the workload, the target and its one problem collector.

    ``prefix`` is where the spec being lowered sits inside ``rw.spec`` (``("master",)`` for a
    distributed master section), so problems point at the right place in the submission.
    ``at`` gives a view of another part of the spec that reports into the same ``problems``.
    """

    rw: ResolvedWorkload
    target: Target
    spec: SpecTree
    prefix: Path = ()
    problems: list[Problem] = field(default_factory=list)

    def at(self, spec: SpecTree | None, prefix: Path = ()) -> Ctx:
        """The same workload and collector, lowering ``spec`` (default ``rw.spec``) at ``prefix``."""
        return Ctx(self.rw, self.target, self.rw.spec if spec is None else spec, tuple(prefix),
                   self.problems)

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)

    def problem(self, spath: Path, code: str, message: str, severity: str = "error") -> None:
        full = tuple(self.prefix) + tuple(spath)
        line, col = self.rw.loc(full)
        fieldpath = "spec" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in full)
        self.problems.append(Problem(self.rw.file, line, col, code, message, severity, fieldpath))

    def doc_problem(self, path: Path, code: str, message: str, severity: str = "error") -> None:
        """A problem located at a document path outside ``spec`` (``("metadata", "name")``)."""
        line, col = self.rw.doc.loc(tuple(path))
        fieldpath = ".".join(str(p) for p in path)
        self.problems.append(Problem(self.rw.file, line, col, code, message, severity, fieldpath))

    def get(self, *keys: str, default: object = None) -> object:
        """The spec value at ``keys``, ``default`` when absent: user input from YAML, so an
        ``object`` that the caller checks the type of before it uses it."""
        node: object = self.spec
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
            if node is None:
                return default
        return node

    def items(self, *keys: str) -> list[tuple[int, SpecTree]]:
        """(index, item) of a list field, skipping anything that is not a mapping."""
        value = self.get(*keys, default=[])
        if not isinstance(value, list):
            return []
        return [(i, it) for i, it in enumerate(value) if isinstance(it, dict)]


def spec_map(rw: ResolvedWorkload, key: str) -> dict[str, str]:
    """A Run:ai-style ``[{name, value}]`` list of the spec as a string map."""
    out: dict[str, str] = {}
    value = rw.spec.get(key)
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item.get("name") is not None:
                out[str(item["name"])] = scalar_text(item.get("value", ""))
    return out


def object_labels(rw: ResolvedWorkload) -> dict[str, str]:
    """Labels of every emitted object: the document's metadata labels, then spec.labels."""
    return {**rw.labels, **spec_map(rw, "labels")}


def object_annotations(rw: ResolvedWorkload) -> dict[str, str]:
    return {**rw.annotations, **spec_map(rw, "annotations")}


def metadata(rw: ResolvedWorkload, name: str, labels: dict[str, str] | None = None,
             annotations: dict[str, str] | None = None) -> K8sObject:
    """``metadata`` of an emitted object: name, namespace, the workload's labels/annotations."""
    meta: K8sObject = {"name": name, "namespace": rw.namespace}
    all_labels = {**object_labels(rw), **(labels or {})}
    all_annotations = {**object_annotations(rw), **(annotations or {})}
    if all_labels:
        meta["labels"] = all_labels
    if all_annotations:
        meta["annotations"] = all_annotations
    return meta


def scalar_text(value: object) -> str:
    """A YAML scalar as Kubernetes wants a string: booleans lower-case, integers without ``.0``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def listed(value: object) -> list[object]:
    """The items of a list field: the list, nothing for an empty value, else the one value."""
    if isinstance(value, list):
        return value
    return [] if value is None or value == "" else [value]


def parse_quantity(value: object) -> Decimal | None:
    """A Kubernetes quantity (``"2Gi"``, ``"500m"``, ``1.5``) as a number, or None if invalid."""
    return quantity.parse(value)


def quantity_text(value: object) -> str | None:
    """A valid quantity as the string Kubernetes stores (numbers without a trailing ``.0``)."""
    if parse_quantity(value) is None:
        return None
    return scalar_text(value).strip()


def cpu_text(cores: object) -> str | None:
    """CPU cores as a canonical quantity: 2 → "2", 0.5 → "500m" (rounded up to 1m)."""
    amount = parse_quantity(cores)
    if amount is None or amount < 0:
        return None
    if amount == amount.to_integral_value():
        return str(int(amount))
    milli = (amount * 1000).to_integral_value(rounding=ROUND_CEILING)
    return f"{int(milli)}m"


def short_hash(text: str, size: int = 6) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:size]


def dns_label(text: str, limit: int = 63) -> str:
    """``text`` made into a DNS-1123 label of at most ``limit`` characters, deterministically.

    Lower-cased, other characters become ``-``; when anything had to change or the result is too
    long, a short hash of the original keeps different inputs apart.
    """
    clean = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    if clean == text and len(clean) <= limit and clean:
        return clean
    tag = short_hash(text)
    head = clean[: max(0, limit - len(tag) - 1)].strip("-")
    return f"{head}-{tag}" if head else tag


def unique(name: str, used: set[str], limit: int = 63) -> str:
    """``name``, or ``name-2``, ``name-3``... whichever is not in ``used`` yet (recorded)."""
    candidate, n = name, 1
    while candidate in used:
        n += 1
        suffix = f"-{n}"
        candidate = name[: limit - len(suffix)].rstrip("-") + suffix
    used.add(candidate)
    return candidate


def int_or_none(value: object) -> int | None:
    """An integer field value (``4``, ``4.0``); None for anything else (never raises)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


_LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)\Z")
_RESERVED = frozenset({labels.MANAGED_BY, labels.WORKLOAD, labels.PROJECT, labels.WORKLOAD_TYPE,
                       labels.PART_OF, labels.APPLYSET_ID, labels.APPLYSET_TOOLING, labels.APPLYSET_GKS,
                       labels.SPEC_HASH, labels.SOURCE})


def key_error(key: str) -> str | None:
    """Why ``key`` is not a valid label/annotation key, or None."""
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not DNS_SUBDOMAIN.match(prefix)):
        return f"prefix {prefix!r} is not a DNS subdomain"
    if not name or len(name) > 63 or not _LABEL_NAME.match(name):
        return "the name part must be 1-63 letters, digits, '-', '_' or '.', starting and ending alphanumeric"
    if key in _RESERVED:
        return "wlc sets this key itself"
    return None


def value_error(value: str) -> str | None:
    if value and (len(value) > 63 or not _LABEL_NAME.match(value)):
        return ("a label value must be at most 63 letters, digits, '-', '_' or '.', starting and "
                "ending alphanumeric")
    return None


def check_metadata(ctx: Ctx) -> None:
    """Problems for labels and annotations that Kubernetes would reject or wlc would override."""
    for kind in ("labels", "annotations"):
        given = ctx.rw.labels if kind == "labels" else ctx.rw.annotations
        for key, value in given.items():
            why = key_error(key) or (value_error(value) if kind == "labels" else None)
            if why:
                ctx.doc_problem(("metadata", kind, key), "lower.metadata",
                                f"{kind[:-1]} {key}={value!r}: {why}")
        for i, item in ctx.items(kind):
            key, value = str(item.get("name", "")), scalar_text(item.get("value", ""))
            why = key_error(key) or (value_error(value) if kind == "labels" else None)
            if why:
                ctx.problem((kind, i), "lower.metadata", f"{kind[:-1]} {key}={value!r}: {why}")
