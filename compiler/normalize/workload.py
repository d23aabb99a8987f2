"""Run:ai workloads (``TrainingWorkload`` … ``InferenceWorkload``) become native workloads, or
native ``Template`` documents for ``usage: Template``.

``convert_spec`` converts every field of a Run:ai spec through the field table (``fields``):
first the fields read together (base workload, GPU, identity), then each field on its own, then
what depends on the converted result (service type, serving port, pod affinity, mount propagation).
A v1 policy converts its values with it too.
"""
from __future__ import annotations

from ..model import Path
from ..shapes import YamlMap
from .builder import Out
from .distributed import SUBOBJECTS, convert_subobject
from .fields import DROPPED, ITEM_KINDS, PER_KIND, SIMPLE, TOGETHER, TOP_KEYS, UNMAPPABLE, allowed_fields
from .gpu import gpu_fields
from .identity import identity_fields
from .inference import serving_port
from .items import convert_items
from .metadata import metadata
from .network import service_type
from .order import order_spec
from .storage import mount_propagation
from .values import Bad, as_bool, field_value, unwrap_field


def convert_workload(out: Out, data: YamlMap, kind: str) -> None:
    """A Run:ai workload document: its metadata, then its spec, in the documented key order."""
    for key in data:
        if key not in TOP_KEYS:
            out.unknown((key,), TOP_KEYS)
    out.mark(("apiVersion",), ("apiVersion",))
    out.mark(("kind",), ("kind",))
    spec = data.get("spec")
    if not isinstance(spec, dict):
        out.problem(("spec",), "runai.bad-value", "a Run:ai workload needs a spec mapping")
        spec = {}
    out.mark(("spec",), ("spec",))
    template = _usage(out, spec)
    if template:
        out.data["kind"] = "Template"
    meta = data.get("metadata")
    metadata(out, meta if isinstance(meta, dict) else {}, spec, template)
    convert_spec(out, spec, kind)
    if template:
        out.data["spec"].pop("active", None)
        if out.data["spec"].pop("template", None) is not None:
            out.unmappable(("spec", "baseWorkload"), "a wlc Template cannot be based on another template; "
                           "copy the base template's fields into this one")
    out.data["spec"] = order_spec(out.data["spec"])


def _usage(out: Out, spec: YamlMap) -> bool:
    if "usage" not in spec:
        return False
    usage, spath = unwrap_field(out, spec["usage"], ("spec", "usage"))
    if usage not in ("Submit", "Template"):
        out.problem(spath, "runai.bad-value", f'usage must be "Submit" or "Template", not "{usage}"')
    return bool(usage == "Template")


def convert_spec(out: Out, spec: YamlMap, kind: str) -> None:
    """Convert every field of a Run:ai spec into ``out.data["spec"]``."""
    allowed = allowed_fields(kind)
    _base_workload(out, spec)
    gpu_fields(out, spec)
    identity_fields(out, spec)
    for name, node in spec.items():
        spath = ("spec", name)
        if name not in allowed:
            not_allowed(out, spath, kind, allowed)
        elif name not in TOGETHER:
            try:
                _convert_field(out, name, node, spath, kind)
            except Bad as bad:
                out.problem(bad.path or spath, "runai.bad-value", f"{name}: {bad}")
    service_type(out, spec)
    if kind == "InferenceWorkload":
        serving_port(out)
    _pod_affinity(out, spec)
    mount_propagation(out, spec)


def not_allowed(out: Out, spath: Path, kind: str, allowed: set[str]) -> None:
    """``runai.unknown-field`` for a field that ``kind`` has not, naming the kinds that have it."""
    owners = [k for k, names in PER_KIND.items() if spath[-1] in names]
    if not owners:
        out.unknown(spath, allowed, what=f"{kind} field")
        return
    out.problem(spath, "runai.unknown-field", f'"{spath[-1]}" is not a {kind} field '
                f'(it belongs to {" and ".join(owners)})', key=True)


def _convert_field(out: Out, name: str, node: object, spath: Path, kind: str) -> None:
    if name in ITEM_KINDS:
        convert_items(out, name, ITEM_KINDS[name], node, spath)
    elif name in SUBOBJECTS:
        convert_subobject(out, name, node, spath)
    elif name in DROPPED:
        out.dropped(spath, DROPPED[name])
    elif name in UNMAPPABLE or (name == "slotsPerWorker" and kind != "DistributedWorkload"):
        value, vpath = unwrap_field(out, node, spath)
        if value not in (False, None, "", 0, "false"):
            out.unmappable(vpath, UNMAPPABLE.get(name, "MPI jobs are DistributedWorkloads with jobType MPI"))
    else:
        _convert_simple(out, name, node, spath)


def _convert_simple(out: Out, name: str, node: object, spath: Path) -> None:
    target, conv = SIMPLE[name]
    value, vpath = unwrap_field(out, node, spath)
    try:
        out.put(("spec",) + target, conv(value), vpath)
    except Bad as bad:
        raise Bad(str(bad), vpath) from None


def _base_workload(out: Out, spec: YamlMap) -> None:
    found = field_value(out, spec, "baseWorkload")
    if found is not None:
        value, vpath = found
        if isinstance(value, str) and value:
            out.put(("spec", "template"), value, vpath)
        else:
            out.problem(vpath, "runai.bad-value", "baseWorkload must name a template")


def _pod_affinity(out: Out, spec: YamlMap) -> None:
    """``podAffinity: false`` drops the pod affinity rule and topology."""
    found = field_value(out, spec, "podAffinity")
    if found is None:
        return
    try:
        enabled = as_bool(found[0])
    except Bad as bad:
        out.problem(found[1], "runai.bad-value", f"podAffinity: {bad}")
        return
    if not enabled:
        for name in ("podAffinitySchedulingRule", "podAffinityTopology"):
            if out.data["spec"].pop(name, None) is not None:
                out.dropped(("spec", name), "podAffinity is false")
