"""``spec.compute`` → container resources, Run:ai GPU-sharing annotations and /dev/shm.

- Whole GPUs: ``limits[target.gpu_resource]: N`` (an integer; Kubernetes needs no request).
- MIG: ``limits["nvidia.com/mig-<profile>"]: N`` (N = gpuDevicesRequest, default 1; the
  "mixed" MIG strategy's resource names). Fractions with MIG are an error (Run:ai has none).
- GPU portion / memory: only on a target whose scheduler shares GPUs (Run:ai): pod-template
  annotations ``gpu-fraction`` / ``gpu-memory`` (MiB), ``gpu-fraction-num-devices`` for more
  than one device, ``gpu-fraction-limit`` / ``gpu-memory-limit`` for Run:ai's dynamic fractions,
  never together with a GPU limit. Anywhere else an error: a fraction is never rounded.
- ``largeShmRequest``: an in-memory emptyDir at /dev/shm, its size limit the memory limit.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

from compiler.lower.common import Ctx, cpu_text, int_or_none, parse_quantity, quantity_text
from compiler.shapes import K8sObject, SpecTree

SHM_VOLUME = "dshm"
_MIB = Decimal(2**20)


@dataclass
class Compute:
    resources: dict[str, K8sObject] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    volumes: list[K8sObject] = field(default_factory=list)
    mounts: list[K8sObject] = field(default_factory=list)


def lower_compute(ctx: Ctx) -> Compute:
    out = Compute()
    requests: K8sObject = {}
    limits: K8sObject = {}
    _gpus(ctx, limits, out.annotations)
    _pair(ctx, "cpuCoreRequest", "cpuCoreLimit", "cpu", cpu_text, requests, limits)
    _pair(ctx, "cpuMemoryRequest", "cpuMemoryLimit", "memory", quantity_text, requests, limits)
    _extended(ctx, requests, limits)
    if requests:
        out.resources["requests"] = requests
    if limits:
        out.resources["limits"] = limits
    if ctx.get("compute", "largeShmRequest") is True:
        empty: K8sObject = {"medium": "Memory"}
        if "memory" in limits:
            empty["sizeLimit"] = limits["memory"]
        out.volumes.append({"name": SHM_VOLUME, "emptyDir": empty})
        out.mounts.append({"name": SHM_VOLUME, "mountPath": "/dev/shm"})
    return out


def _gpu_kind(compute: SpecTree) -> str | None:
    kind = compute.get("gpuRequestType")
    if kind:
        return str(kind)
    if compute.get("migProfile"):
        return "migProfile"
    if compute.get("gpuMemoryRequest") is not None:
        return "memory"
    if compute.get("gpuPortionRequest") is not None:
        return "portion"
    return None


def _gpus(ctx: Ctx, limits: K8sObject, annotations: dict[str, str]) -> None:
    compute = ctx.get("compute", default={})
    if not isinstance(compute, dict):
        return
    devices = int_or_none(compute.get("gpuDevicesRequest"))
    kind = _gpu_kind(compute)
    fraction_field = _fraction_field(compute)
    if kind == "migProfile" or compute.get("migProfile"):
        if fraction_field:
            ctx.problem(("compute", fraction_field), "lower.gpu-sharing",
                        f"{fraction_field} cannot be combined with migProfile: GPU fractions are not "
                        "supported on MIG devices")
            return
        _mig(ctx, compute, devices, limits)
        return
    if kind == "portion" and compute.get("gpuPortionRequest") is not None:
        _portion(ctx, compute, devices, limits, annotations)
    elif kind == "memory" and compute.get("gpuMemoryRequest") is not None:
        _memory(ctx, compute, devices, annotations)
    elif devices:
        limits[ctx.target.gpu_resource] = devices
    for limit, request in (("gpuPortionLimit", "gpuPortionRequest"), ("gpuMemoryLimit", "gpuMemoryRequest")):
        if compute.get(limit) is not None and compute.get(request) is None:
            ctx.problem(("compute", limit), "lower.gpu-limit-without-request",
                        f"{limit} needs {request} (a dynamic GPU fraction grows from a request up to "
                        "its limit)")


def _fraction_field(compute: SpecTree) -> str | None:
    for name in ("gpuPortionRequest", "gpuMemoryRequest", "gpuPortionLimit", "gpuMemoryLimit"):
        if compute.get(name) is not None:
            return name
    return None


def _mig(ctx: Ctx, compute: SpecTree, devices: int | None, limits: K8sObject) -> None:
    profile = compute.get("migProfile")
    if not profile:
        ctx.problem(("compute", "gpuRequestType"), "lower.mig-profile",
                    "gpuRequestType migProfile needs compute.migProfile (e.g. 1g.5gb)")
        return
    limits[f"nvidia.com/mig-{profile}"] = devices if devices and devices > 0 else 1


def _cannot_share(ctx: Ctx, fieldname: str, what: str) -> bool:
    if ctx.target.shares_gpus:
        return False
    ctx.problem(("compute", fieldname), "lower.gpu-sharing",
                f"{what} needs a scheduler that can share GPUs (target scheduler is "
                f"\"{ctx.target.scheduler}\"; set scheduler: runai)")
    return True


def _number_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _portion(ctx: Ctx, compute: SpecTree, devices: int | None, limits: K8sObject,
             annotations: dict[str, str]) -> None:
    raw = compute["gpuPortionRequest"]
    portion = parse_quantity(raw)
    if portion is None or not 0 < portion <= 1:
        ctx.problem(("compute", "gpuPortionRequest"), "lower.gpu-portion",
                    f"gpuPortionRequest {raw!r} must be a number greater than 0 and at most 1")
        return
    if portion == 1 and compute.get("gpuPortionLimit") is None:
        limits[ctx.target.gpu_resource] = devices if devices and devices > 0 else 1
        return
    if _cannot_share(ctx, "gpuPortionRequest", f"GPU portion {_number_text(portion)}"):
        return
    annotations["gpu-fraction"] = _number_text(portion)
    if devices and devices > 1:
        annotations["gpu-fraction-num-devices"] = str(devices)
    limit_raw = compute.get("gpuPortionLimit")
    if limit_raw is not None:
        limit = parse_quantity(limit_raw)
        if limit is None or not 0 < limit <= 1:
            ctx.problem(("compute", "gpuPortionLimit"), "lower.gpu-portion",
                        f"gpuPortionLimit {limit_raw!r} must be a number greater than 0 and at most 1")
        elif limit < portion:
            ctx.problem(("compute", "gpuPortionLimit"), "lower.limit-below-request",
                        f"gpuPortionLimit {_number_text(limit)} is less than gpuPortionRequest "
                        f"{_number_text(portion)}")
        else:
            annotations["gpu-fraction-limit"] = _number_text(limit)


def _mib(ctx: Ctx, fieldname: str, raw: object) -> int | None:
    amount = parse_quantity(raw)
    if amount is None or amount <= 0:
        ctx.problem(("compute", fieldname), "lower.quantity",
                    f"{fieldname} {raw!r} is not a positive quantity (e.g. 4Gi, 2000Mi)")
        return None
    return int((amount / _MIB).to_integral_value(rounding=ROUND_CEILING))


def _memory(ctx: Ctx, compute: SpecTree, devices: int | None,
            annotations: dict[str, str]) -> None:
    raw = compute["gpuMemoryRequest"]
    if _cannot_share(ctx, "gpuMemoryRequest", f"GPU memory {raw}"):
        return
    request = _mib(ctx, "gpuMemoryRequest", raw)
    if request is None:
        return
    annotations["gpu-memory"] = str(request)
    if devices and devices > 1:
        annotations["gpu-fraction-num-devices"] = str(devices)
    limit_raw = compute.get("gpuMemoryLimit")
    if limit_raw is None:
        return
    limit = _mib(ctx, "gpuMemoryLimit", limit_raw)
    if limit is not None and limit < request:
        ctx.problem(("compute", "gpuMemoryLimit"), "lower.limit-below-request",
                    f"gpuMemoryLimit {limit_raw} is less than gpuMemoryRequest {raw}")
    elif limit is not None:
        annotations["gpu-memory-limit"] = str(limit)


def _pair(ctx: Ctx, req_field: str, lim_field: str, resource: str, convert: Callable[[object], str | None],
          requests: K8sObject, limits: K8sObject) -> None:
    values = {}
    for fieldname, target in ((req_field, requests), (lim_field, limits)):
        raw = ctx.get("compute", fieldname)
        if raw is None:
            continue
        text = convert(raw)
        amount = parse_quantity(raw)
        if text is None or amount is None or amount < 0:
            ctx.problem(("compute", fieldname), "lower.quantity",
                        f"{fieldname} {raw!r} is not a valid quantity")
            continue
        target[resource] = text
        values[fieldname] = (amount, raw)
    if req_field in values and lim_field in values and values[lim_field][0] < values[req_field][0]:
        ctx.problem(("compute", lim_field), "lower.limit-below-request",
                    f"{lim_field} {values[lim_field][1]} is less than {req_field} "
                    f"{values[req_field][1]}")


def _extended(ctx: Ctx, requests: K8sObject, limits: K8sObject) -> None:
    for i, item in ctx.items("compute", "extendedResources"):
        given = item.get("resource")
        raw = item.get("quantity")
        where = ("compute", "extendedResources", i)
        if not given:
            ctx.problem(where, "lower.extended-resource", "an extended resource needs a resource name")
            continue
        resource = str(given)
        text = quantity_text(raw)
        if text is None:
            ctx.problem(where + ("quantity",), "lower.quantity",
                        f"quantity {raw!r} of extended resource {resource} is not a valid quantity")
            continue
        if resource in limits or resource in requests:
            ctx.problem(where + ("resource",), "lower.extended-resource",
                        f"extended resource {resource} is already set by another compute field")
            continue
        requests[resource] = text
        limits[resource] = text
