"""Inference target ``kserve``: a KServe ``InferenceService`` (``serving.kserve.io/v1beta1``).

Standard deployment mode (annotation ``serving.kserve.io/deploymentMode: Standard``: a
Deployment, Service and HPA made by KServe, no Knative). The predictor carries the pod fields
inline, one container named ``kserve-container`` (KServe's name for a custom predictor) with the
serving port, the pod labels and annotations (``predictor.labels`` / ``annotations``), and
``minReplicas`` / ``maxReplicas``. Standard mode scales on CPU only: ``cpu-utilization`` →
``scaleMetric: cpu`` + ``scaleTarget``; other metrics and scale to zero are refused with the
target that supports them.
"""
from __future__ import annotations

from compiler.lower.common import DNS_1035, Ctx, metadata
from compiler.lower.inference.model import Inference
from compiler.lower.inference.serverless import serverless_checks, serving_pod
from compiler.lower.inference.tuning import read_tuning, refuse
from compiler.shapes import K8sObject

DEPLOYMENT_MODE = "serving.kserve.io/deploymentMode"
CONTAINER = "kserve-container"
MAX_NAME = 45  # KServe derives <name>-predictor-<namespace> host names and <name>-predictor objects


def lower_kserve(ctx: Ctx, inf: Inference) -> list[K8sObject]:
    rw = ctx.rw
    serverless_checks(ctx, inf, "kserve")
    if not DNS_1035.match(rw.name) or len(rw.name) > MAX_NAME:
        ctx.doc_problem(("metadata", "name"), "lower.name",
                        f"an InferenceService name must be a DNS-1035 label of at most {MAX_NAME} "
                        "characters (KServe derives <name>-predictor objects from it)")
    if inf.scale.min == 0:
        ctx.problem(("autoscaling", "minReplicas"), "lower.scale-to-zero",
                    "minReplicas 0 (scale to zero) needs KServe's Knative mode; the kserve target "
                    "uses Standard mode: use target inference: knative")
    refuse(ctx, read_tuning(ctx), "kserve")
    pod = serving_pod(ctx, inf, CONTAINER)
    predictor: K8sObject = {"minReplicas": inf.scale.min, "maxReplicas": inf.scale.max}
    predictor.update(_metric(ctx, inf))
    meta = pod.template["metadata"]
    predictor["labels"] = meta["labels"]
    if meta.get("annotations"):
        predictor["annotations"] = meta["annotations"]
    predictor.update(pod.template["spec"])
    isvc = {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": metadata(rw, rw.name, annotations={DEPLOYMENT_MODE: "Standard"}),
            "spec": {"predictor": predictor}}
    return [isvc, *pod.objects]


def _metric(ctx: Ctx, inf: Inference) -> K8sObject:
    scale = inf.scale
    if not scale.autoscaled or scale.metric is None:
        return {}
    if scale.metric != "cpu-utilization":
        ctx.problem(("autoscaling", "metric"), "lower.autoscaling",
                    f"metric {scale.metric}: KServe's Standard mode scales on CPU only; use target "
                    "inference: knative (concurrency, throughput) or deployment (a Pods metric with "
                    "metricName)")
        return {}
    return {"scaleMetric": "cpu", "scaleTarget": max(1, round(scale.threshold or 0))}
