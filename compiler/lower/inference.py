"""Inference workloads: serving port, replicas and autoscaling, probes; backend per target.

- ``deployment`` (default): an ``apps/v1`` Deployment, a Service ``<name>`` with the serving port
  (named ``http`` or ``grpc``) and the workload's other ports, and, when ``maxReplicas >
  minReplicas``, an ``autoscaling/v2`` HorizontalPodAutoscaler: ``cpu-utilization`` → a Resource
  metric (the pod needs a CPU request); every other metric → a ``Pods`` metric named by
  ``metricName`` (served by a custom-metrics adapter; wlc does not invent metric names).
  ``minReplicas: 0`` is refused (scale to zero needs the knative target). Stopped: replicas 0, no
  autoscaler.
- ``knative``: ``compiler.lower.knative``; ``kserve``: ``compiler.lower.kserve``.

Defaults (Run:ai's): minReplicas 1, maxReplicas = minReplicas; a metric and a threshold are
needed when the replica count may change.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from compiler.labels import pod_labels
from compiler.lower.common import Ctx, as_int, metadata, parse_quantity, scalar_text
from compiler.lower.network import lower_network
from compiler.lower.pod import pod_template
from compiler.lower.scheduling import KUEUE_QUEUE, workload_labels
from compiler.model import Path, ResolvedWorkload, Target
from compiler.problems import Problem

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
    probes: dict[str, dict[str, Any]]


def lower_inference(rw: ResolvedWorkload, target: Target) -> tuple[list[dict[str, Any]], list[Problem]]:
    ctx = Ctx(rw, target, rw.spec)
    inf = read_inference(ctx)
    if inf is None or any(p.severity == "error" for p in ctx.problems):
        return [], ctx.problems
    if target.inference == "knative":
        from compiler.lower.knative import lower_knative
        objs, problems = lower_knative(rw, target, inf)
    elif target.inference == "kserve":
        from compiler.lower.kserve import lower_kserve
        objs, problems = lower_kserve(rw, target, inf)
    elif target.inference == "deployment":
        objs, problems = lower_deployment(rw, target, inf)
    else:
        ctx.problem(("servingPort",), "lower.target",
                    f"target inference {target.inference!r} must be deployment, knative or kserve")
        return [], ctx.problems
    return objs, ctx.problems + problems


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
    port = as_int(ctx.get("servingPort", "container"))
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
    low = 1 if low_raw is None else as_int(low_raw)
    high = max(low or 1, 1) if high_raw is None else as_int(high_raw)
    if low is None or low < 0 or high is None or high < 1:
        ctx.problem(("autoscaling",), "lower.autoscaling",
                    "autoscaling.minReplicas must be an integer ≥ 0 and maxReplicas ≥ 1")
        return None
    if low > high:
        ctx.problem(("autoscaling", "minReplicas"), "lower.autoscaling",
                    f"minReplicas {low} is greater than maxReplicas {high}")
        return None
    scale = Scale(low, high, ctx.get("autoscaling", "metric"), ctx.get("autoscaling", "metricName"))
    threshold = ctx.get("autoscaling", "threshold")
    if threshold is not None:
        number = parse_quantity(threshold)
        if number is None or number <= 0:
            ctx.problem(("autoscaling", "threshold"), "lower.autoscaling",
                        f"threshold {threshold!r} must be a number greater than 0")
            return None
        scale.threshold = float(number)
    return scale if _metric_ok(ctx, scale) else None


def _metric_ok(ctx: Ctx, scale: Scale) -> bool:
    if scale.metric is not None and scale.metric not in METRICS:
        ctx.problem(("autoscaling", "metric"), "lower.autoscaling",
                    f"metric {scale.metric!r} must be one of {', '.join(METRICS)}")
        return False
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


def probe(ctx: Ctx, where: Path, item: dict[str, Any], liveness: bool) -> dict[str, Any] | None:
    handler = item.get("handler")
    out: dict[str, Any] = {}
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
            out[key] = as_int(item[key])
    if liveness and out.get("successThreshold", 1) != 1:
        ctx.problem(where + ("successThreshold",), "lower.probe",
                    "a liveness probe's successThreshold must be 1")
        return None
    return out


def _handler(kind: str, body: dict[str, Any]) -> dict[str, Any] | None:
    port = body.get("port")
    port = as_int(port) if as_int(port) is not None else scalar_text(port)
    if kind == "httpGet":
        out: dict[str, Any] = {"path": str(body.get("path") or "/"), "port": port}
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
        return {"command": [scalar_text(w) for w in body.get("command") or []]}
    return None


def probe_ports(inf: Inference) -> list[tuple[str, Any]]:
    """(probe key, port) of every probe handler with a port."""
    out = []
    for key, pr in inf.probes.items():
        for kind in ("httpGet", "tcpSocket", "grpc"):
            if kind in pr:
                out.append((key, pr[kind]["port"]))
    return out


def port_name(serving: Serving) -> str:
    return "grpc" if serving.protocol == "grpc" else "http"


# --- target deployment -------------------------------------------------------------------

def lower_deployment(rw: ResolvedWorkload, target: Target,
                     inf: Inference) -> tuple[list[dict[str, Any]], list[Problem]]:
    ctx = Ctx(rw, target, rw.spec)
    if inf.scale.min == 0:
        ctx.problem(("autoscaling", "minReplicas"), "lower.scale-to-zero",
                    "minReplicas 0 (scale to zero) is not possible with a Deployment and "
                    "HorizontalPodAutoscaler; use target inference: knative")
        return [], ctx.problems
    spec = with_serving_port(rw.spec, inf.serving.port)
    pod = pod_template(rw, target, spec=spec, restart_policy="Always")
    container = pod.template["spec"]["containers"][0]
    container.update(inf.probes)
    for entry in container.get("ports", []):
        if entry["containerPort"] == inf.serving.port:
            entry["name"] = port_name(inf.serving)
    labels = workload_labels(ctx)
    if KUEUE_QUEUE in labels:  # Kueue's pod integration admits a Deployment's pods one by one
        pod.template["metadata"]["labels"][KUEUE_QUEUE] = labels[KUEUE_QUEUE]
    dspec: dict[str, Any] = {"selector": {"matchLabels": pod_labels(rw.name, rw.project.name)},
                             "template": pod.template}
    hpa = None
    if not rw.active:
        dspec["replicas"] = 0
    elif inf.scale.autoscaled:
        hpa = autoscaler(ctx, inf.scale, container)
    else:
        dspec["replicas"] = inf.scale.min
    deploy = {"apiVersion": "apps/v1", "kind": "Deployment",
              "metadata": metadata(rw, rw.name, labels=labels), "spec": dspec}
    net, net_problems = lower_network(rw, target, spec)
    _name_serving_port(net, rw.name, inf.serving)
    objects = [deploy, *pod.objects, *net] + ([hpa] if hpa else [])
    return objects, pod.problems + ctx.problems + net_problems


def with_serving_port(spec: dict[str, Any], port: int) -> dict[str, Any]:
    """``spec`` with the serving port in ``ports`` (a ClusterIP port) unless it is there."""
    ports = [p for p in spec.get("ports") or [] if isinstance(p, dict)]
    if any(as_int(p.get("container")) == port for p in ports):
        return spec
    return {**spec, "ports": [{"container": port, "serviceType": "ClusterIP"}, *ports]}


def _name_serving_port(objects: list[dict[str, Any]], name: str, serving: Serving) -> None:
    for obj in objects:
        if obj.get("kind") != "Service" or obj["metadata"]["name"] != name:
            continue
        for entry in obj["spec"]["ports"]:
            if entry["targetPort"] == serving.port:
                entry["name"] = port_name(serving)
                if serving.protocol == "grpc":
                    entry["appProtocol"] = "kubernetes.io/h2c"


def autoscaler(ctx: Ctx, scale: Scale, container: dict[str, Any]) -> dict[str, Any] | None:
    metric = _hpa_metric(ctx, scale, container)
    if metric is None:
        return None
    spec = {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": ctx.rw.name},
            "minReplicas": scale.min, "maxReplicas": scale.max, "metrics": [metric]}
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": metadata(ctx.rw, ctx.rw.name), "spec": spec}


def _hpa_metric(ctx: Ctx, scale: Scale, container: dict[str, Any]) -> dict[str, Any] | None:
    threshold = scale.threshold or 0.0
    if scale.metric == "cpu-utilization":
        if "cpu" not in container.get("resources", {}).get("requests", {}):
            ctx.problem(("autoscaling", "metric"), "lower.autoscaling",
                        "metric cpu-utilization is a percentage of the CPU request: set "
                        "compute.cpuCoreRequest")
            return None
        return {"type": "Resource", "resource": {"name": "cpu", "target": {
            "type": "Utilization", "averageUtilization": max(1, round(threshold))}}}
    if not scale.metric_name:
        ctx.problem(("autoscaling", "metric"), "lower.autoscaling",
                    f"metric {scale.metric} on target inference: deployment needs metricName, the "
                    "per-pod metric a custom-metrics adapter serves (e.g. from Prometheus); or use "
                    "target inference: knative, which measures concurrency and throughput itself")
        return None
    value = scalar_text(int(threshold) if threshold.is_integer() else threshold)
    return {"type": "Pods", "pods": {"metric": {"name": str(scale.metric_name)},
                                     "target": {"type": "AverageValue", "averageValue": value}}}
