"""GPU fields, read together: ``gpu``, ``gpuDevices``, ``gpuMemory``, ``migProfile``, ``gpuLimit``.

Together they decide the native request type: whole devices, a portion of one device
(``gpu`` between 0 and 1), GPU memory, or a MIG profile; ``gpuLimit`` then bounds the portion or
the memory. Contradicting combinations are problems.
"""
from __future__ import annotations

from collections.abc import Callable

from ..model import Path
from ..shapes import YamlMap
from .builder import Out
from .values import Bad, as_int, as_number, as_quantity, as_str, field_value

GPU_FIELDS = ("gpu", "gpuDevices", "gpuMemory", "migProfile", "gpuLimit")


def gpu_fields(out: Out, spec: YamlMap) -> None:
    """gpu, gpuDevices, gpuMemory, migProfile and gpuLimit together decide the request type."""
    kind = None
    for name in GPU_FIELDS:
        found = field_value(out, spec, name)
        if found is None:
            continue
        try:
            kind = _GPU_HANDLERS[name](out, found[0], found[1], kind)
        except Bad as bad:
            out.problem(found[1], "runai.bad-value", f"{name}: {bad}")


def _gpu(out: Out, value: object, vpath: Path, kind: str | None) -> str | None:
    amount = as_number(value)
    if amount < 0 or (amount > 1 and not float(amount).is_integer()):
        raise Bad(f"{value} GPUs: a GPU request is a whole number or a fraction between 0 and 1")
    if float(amount).is_integer():
        out.put(("spec", "compute", "gpuDevicesRequest"), int(amount), vpath)
        return "devices"
    out.put(("spec", "compute", "gpuDevicesRequest"), 1, vpath)
    out.put(("spec", "compute", "gpuRequestType"), "portion", vpath)
    out.put(("spec", "compute", "gpuPortionRequest"), amount, vpath)
    return "portion"


def _gpu_devices(out: Out, value: object, vpath: Path, kind: str | None) -> str | None:
    if kind is not None:
        raise Bad("set either gpu or gpuDevices, not both")
    out.put(("spec", "compute", "gpuDevicesRequest"), as_int(value), vpath)
    return "devices"


def _gpu_memory(out: Out, value: object, vpath: Path, kind: str | None) -> str | None:
    if kind == "portion":
        raise Bad("a GPU fraction and GPU memory cannot both be requested")
    out.put(("spec", "compute", "gpuRequestType"), "memory", vpath)
    out.put(("spec", "compute", "gpuMemoryRequest"), as_quantity(value), vpath)
    if kind is None:
        out.put(("spec", "compute", "gpuDevicesRequest"), 1, vpath)
    return "memory"


def _mig_profile(out: Out, value: object, vpath: Path, kind: str | None) -> str | None:
    if kind in ("portion", "memory"):
        raise Bad("a MIG profile cannot be combined with a GPU fraction or GPU memory")
    out.put(("spec", "compute", "gpuRequestType"), "migProfile", vpath)
    out.put(("spec", "compute", "migProfile"), as_str(value), vpath)
    if kind is None:
        out.put(("spec", "compute", "gpuDevicesRequest"), 1, vpath)
    return "migProfile"


def _gpu_limit(out: Out, value: object, vpath: Path, kind: str | None) -> str | None:
    if kind == "memory":
        out.put(("spec", "compute", "gpuMemoryLimit"), as_quantity(value), vpath)
    elif kind == "portion":
        out.put(("spec", "compute", "gpuPortionLimit"), as_number(value), vpath)
    else:
        out.unmappable(vpath, "a GPU limit applies only to a GPU fraction (gpu 0-1) or GPU memory request")
    return kind


_GPU_HANDLERS: dict[str, Callable[[Out, object, Path, str | None], str | None]] = {
    "gpu": _gpu, "gpuDevices": _gpu_devices, "gpuMemory": _gpu_memory, "migProfile": _mig_profile,
    "gpuLimit": _gpu_limit,
}
