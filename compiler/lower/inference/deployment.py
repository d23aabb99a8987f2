"""Inference target ``deployment`` (the default): Deployment + Service + HorizontalPodAutoscaler.

An ``apps/v1`` Deployment, a Service ``<name>`` with the serving port (named ``http`` or
``grpc``) and the workload's other ports, and, when ``maxReplicas > minReplicas``, an
``autoscaling/v2`` HorizontalPodAutoscaler: ``cpu-utilization`` → a Resource metric (the pod
needs a CPU request); every other metric → a ``Pods`` metric named by ``metricName`` (served by
a custom-metrics adapter; wlc does not invent metric names). ``minReplicas: 0`` is refused
(scale to zero needs the knative target). Stopped: replicas 0, no autoscaler.
"""
from __future__ import annotations

from compiler.labels import pod_labels
from compiler.lower.common import Ctx, int_or_none, metadata, scalar_text
from compiler.lower.inference.model import Inference, Scale, Serving, port_name
from compiler.lower.inference.tuning import deployment_tuning, read_tuning
from compiler.lower.network import lower_network
from compiler.lower.pod import build_pod
from compiler.lower.scheduling import KUEUE_QUEUE, scheduler_labels
from compiler.shapes import K8sObject, SpecTree


def lower_deployment(ctx: Ctx, inf: Inference) -> list[K8sObject]:
    rw = ctx.rw
    if inf.scale.min == 0:
        ctx.problem(("autoscaling", "minReplicas"), "lower.scale-to-zero",
                    "minReplicas 0 (scale to zero) is not possible with a Deployment and "
                    "HorizontalPodAutoscaler; use target inference: knative")
        return []
    spec = with_serving_port(rw.spec, inf.serving.port)
    pod = build_pod(ctx, spec, restart_policy="Always")
    container = pod.template["spec"]["containers"][0]
    container.update(inf.probes)
    for entry in container.get("ports", []):
        if entry["containerPort"] == inf.serving.port:
            entry["name"] = port_name(inf.serving)
    labels = scheduler_labels(ctx)
    if KUEUE_QUEUE in labels:  # Kueue's pod integration admits a Deployment's pods one by one
        pod.template["metadata"]["labels"][KUEUE_QUEUE] = labels[KUEUE_QUEUE]
    dspec: K8sObject = {"selector": {"matchLabels": pod_labels(rw.name, rw.project.name)},
                             "template": pod.template}
    hpa = None
    if not rw.active:
        dspec["replicas"] = 0
    elif inf.scale.autoscaled:
        hpa = autoscaler(ctx, inf.scale, container)
    else:
        dspec["replicas"] = inf.scale.min
    deployment_tuning(ctx, read_tuning(ctx), dspec, hpa)
    deploy = {"apiVersion": "apps/v1", "kind": "Deployment",
              "metadata": metadata(rw, rw.name, labels=labels), "spec": dspec}
    net = lower_network(ctx, spec)
    _name_serving_port(net, rw.name, inf.serving)
    return [deploy, *pod.objects, *net] + ([hpa] if hpa else [])


def with_serving_port(spec: SpecTree, port: int) -> SpecTree:
    """``spec`` with the serving port in ``ports`` (a ClusterIP port) unless it is there."""
    given = spec.get("ports")
    ports = [p for p in given if isinstance(p, dict)] if isinstance(given, list) else []
    if any(int_or_none(p.get("container")) == port for p in ports):
        return spec
    return {**spec, "ports": [{"container": port, "serviceType": "ClusterIP"}, *ports]}


def _name_serving_port(objects: list[K8sObject], name: str, serving: Serving) -> None:
    for obj in objects:
        if obj.get("kind") != "Service" or obj["metadata"]["name"] != name:
            continue
        for entry in obj["spec"]["ports"]:
            if entry["targetPort"] == serving.port:
                entry["name"] = port_name(serving)
                if serving.protocol == "grpc":
                    entry["appProtocol"] = "kubernetes.io/h2c"


def autoscaler(ctx: Ctx, scale: Scale, container: K8sObject) -> K8sObject | None:
    metric = _hpa_metric(ctx, scale, container)
    if metric is None:
        return None
    spec = {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": ctx.rw.name},
            "minReplicas": scale.min, "maxReplicas": scale.max, "metrics": [metric]}
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": metadata(ctx.rw, ctx.rw.name), "spec": spec}


def _hpa_metric(ctx: Ctx, scale: Scale, container: K8sObject) -> K8sObject | None:
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
