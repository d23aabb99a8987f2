"""The model every inference backend shares: serving port, replicas and autoscaling, probes.

``read_inference`` checks these once and gives an ``Inference``; the backends (``deployment``,
``knative``, ``kserve``) import this module; it imports none of them.

Defaults (Run:ai's): minReplicas 1, maxReplicas = minReplicas; a metric and a threshold are
needed when the replica count may change.
"""
from __future__ import annotations

from dataclasses import dataclass

from compiler.lower.common import Ctx, int_or_none, listed, parse_quantity, scalar_text
from compiler.model import Path
from compiler.shapes import K8sObject, SpecTree

METRICS = ("throughput", "concurrency", "latency", "cpu-utilization", "gpu-utilization", "custom")
PROBE_TIMINGS = ("initialDelaySeconds", "periodSeconds", "timeoutSeconds", "successThreshold",
                 "failureThreshold")
NOT_FOR_INFERENCE = ("backoffLimit", "completions", "parallelism",
                     "autoDeletionTimeAfterCompletionSeconds", "preemptible")


@dataclass
class Serving:
    port: int
    protocol: str  # http | grpc


@dataclass
class Scale:
    min: int
    max: int
    metric: str | None = None
    metric_name: str | None = None
    threshold: float | None = None

    @property
    def autoscaled(self) -> bool:
        return self.max > self.min


@dataclass
class Inference:
    """What every inference backend needs, checked once."""

    serving: Serving
    scale: Scale
    probes: dict[str, K8sObject]


def read_inference(ctx: Ctx) -> Inference | None:
    for key in NOT_FOR_INFERENCE:
        if ctx.get(key) is not None:
            ctx.problem((key,), "lower.not-applicable",
                        f"{key} does not apply to Inference workloads; it is ignored", "warning")
    serving = _serving(ctx)
    scale = _scale(ctx)
    probes = {}
    for kind, key in (("readiness", "readinessProbe"), ("liveness", "livenessProbe")):
        item = ctx.get("probes", kind)
        if isinstance(item, dict):
            built = probe(ctx, ("probes", kind), item, kind == "liveness")
            if built is not None:
                probes[key] = built
    if serving is None or scale is None:
        return None
    return Inference(serving, scale, probes)


def _serving(ctx: Ctx) -> Serving | None:
    port = int_or_none(ctx.get("servingPort", "container"))
    if port is None or not 0 < port < 65536:
        ctx.problem(("servingPort",), "lower.serving-port",
                    "an Inference workload needs servingPort.container, the port (1-65535) that "
                    "serves requests")
        return None
    protocol = str(ctx.get("servingPort", "protocol") or "http")
    if protocol not in ("http", "grpc"):
        ctx.problem(("servingPort", "protocol"), "lower.serving-port",
                    f"servingPort.protocol {protocol!r} must be http or grpc")
        return None
    auth = ctx.get("servingPort", "authorizationType")
    if auth not in (None, "public"):
        ctx.problem(("servingPort", "authorizationType"), "lower.serving-auth",
                    f"authorizationType {auth} needs Run:ai's authenticating gateway; the endpoint "
                    "is reachable by anyone who can reach the Service", "warning")
    return Serving(port, protocol)


def _scale(ctx: Ctx) -> Scale | None:
    low_raw, high_raw = ctx.get("autoscaling", "minReplicas"), ctx.get("autoscaling", "maxReplicas")
    low = 1 if low_raw is None else int_or_none(low_raw)
    high = max(low or 1, 1) if high_raw is None else int_or_none(high_raw)
    if low is None or low < 0 or high is None or high < 1:
        ctx.problem(("autoscaling",), "lower.autoscaling",
                    "autoscaling.minReplicas must be an integer ≥ 0 and maxReplicas ≥ 1")
        return None
    if low > high:
        ctx.problem(("autoscaling", "minReplicas"), "lower.autoscaling",
                    f"minReplicas {low} is greater than maxReplicas {high}")
        return None
    ok, threshold = _threshold(ctx)
    if not ok:
        return None
    metric, name = ctx.get("autoscaling", "metric"), ctx.get("autoscaling", "metricName")
    if metric is not None and metric not in METRICS:
        ctx.problem(("autoscaling", "metric"), "lower.autoscaling",
                    f"metric {metric!r} must be one of {', '.join(METRICS)}")
        return None
    scale = Scale(low, high, None if metric is None else str(metric), str(name) if name else None, threshold)
    return scale if _metric_ok(ctx, scale) else None


def _threshold(ctx: Ctx) -> tuple[bool, float | None]:
    """(valid, autoscaling.threshold as a number or None when unset); a problem when invalid."""
    threshold = ctx.get("autoscaling", "threshold")
    if threshold is None:
        return True, None
    number = parse_quantity(threshold)
    if number is None or number <= 0:
        ctx.problem(("autoscaling", "threshold"), "lower.autoscaling",
                    f"threshold {threshold!r} must be a number greater than 0")
        return False, None
    return True, float(number)


def _metric_ok(ctx: Ctx, scale: Scale) -> bool:
    if scale.metric == "custom" and not scale.metric_name:
        ctx.problem(("autoscaling", "metricName"), "lower.autoscaling",
                    "metric custom needs metricName")
        return False
    if scale.autoscaled and (scale.min, scale.max) != (0, 1):
        if scale.metric is None:
            ctx.problem(("autoscaling",), "lower.autoscaling",
                        f"replicas may change ({scale.min}-{scale.max}): set autoscaling.metric and "
                        "threshold")
            return False
        if scale.threshold is None:
            ctx.problem(("autoscaling", "metric"), "lower.autoscaling",
                        f"metric {scale.metric} needs autoscaling.threshold, its target per replica")
            return False
    return True


def probe(ctx: Ctx, where: Path, item: SpecTree, liveness: bool) -> K8sObject | None:
    handler = item.get("handler")
    out: K8sObject = {}
    if isinstance(handler, dict) and len(handler) == 1:
        kind, body = next(iter(handler.items()))
        built = _handler(kind, body if isinstance(body, dict) else {})
        if built is not None:
            out[kind] = built
    if not out:
        ctx.problem(where + ("handler",), "lower.probe",
                    "a probe needs exactly one handler: httpGet, tcpSocket, exec or grpc")
        return None
    for key in PROBE_TIMINGS:
        if item.get(key) is not None:
            out[key] = int_or_none(item[key])
    if liveness and out.get("successThreshold", 1) != 1:
        ctx.problem(where + ("successThreshold",), "lower.probe",
                    "a liveness probe's successThreshold must be 1")
        return None
    return out


def _handler(kind: str, body: SpecTree) -> K8sObject | None:
    port = body.get("port")
    port = int_or_none(port) if int_or_none(port) is not None else scalar_text(port)
    if kind == "httpGet":
        out: K8sObject = {"path": str(body.get("path") or "/"), "port": port}
        if body.get("scheme"):
            out["scheme"] = str(body["scheme"])
        return out
    if kind == "tcpSocket":
        return {"port": port}
    if kind == "grpc":
        out = {"port": port}
        if body.get("service"):
            out["service"] = str(body["service"])
        return out
    if kind == "exec":
        return {"command": [scalar_text(w) for w in listed(body.get("command"))]}
    return None


def probe_ports(inf: Inference) -> list[tuple[str, int | str]]:
    """(probe key, port) of every probe handler with a port."""
    out = []
    for key, pr in inf.probes.items():
        for kind in ("httpGet", "tcpSocket", "grpc"):
            if kind in pr:
                out.append((key, pr[kind]["port"]))
    return out


def port_name(serving: Serving) -> str:
    return "grpc" if serving.protocol == "grpc" else "http"
