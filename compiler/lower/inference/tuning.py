"""Run:ai's inference autoscaling settings (CLI v2 ``runai inference submit`` flags) per backend.

Spec fields (``autoscaling.*`` unless noted) and what each backend makes of them:

| field (flag) | knative | deployment | kserve (Standard) |
|---|---|---|---|
| ``metricThresholdPercentage`` (--metric-threshold-percentage) | ``target-utilization-percentage`` | refused | refused |
| ``initialReplicas`` (--initial-replicas) | ``initial-scale`` | refused | refused |
| ``activationReplicas`` (--activation-replicas) | ``activation-scale`` | refused | refused |
| ``concurrencyHardLimit`` (--concurrency-hard-limit) | ``containerConcurrency`` | refused | refused |
| ``scaleDownDelaySeconds`` (--scale-down-delay-seconds) | ``scale-down-delay`` | HPA ``behavior.scaleDown.stabilizationWindowSeconds`` | refused |
| ``scaleToZeroRetentionSeconds`` (--scale-to-zero-retention-seconds) | ``scale-to-zero-pod-retention-period`` | refused | refused |
| ``initializationTimeoutSeconds`` (--initialization-timeout-seconds) | ``serving.knative.dev/progress-deadline`` | Deployment ``progressDeadlineSeconds`` | refused |
| ``servingPort.clusterLocalAccessOnly`` (cluster-local-access-only) | label ``networking.knative.dev/visibility: cluster-local`` | no exposed URL may be set | refused |

Knative annotations are ``autoscaling.knative.dev/...`` on the revision template; a refusal
names the backend that can express the setting.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from compiler.lower.common import Ctx, int_or_none
from compiler.shapes import K8sObject

AUTOSCALING = "autoscaling.knative.dev/"
#: spec field under autoscaling → (Knative annotation, suffix of its value, least value)
KNATIVE_ANNOTATIONS = {
    "metricThresholdPercentage": (AUTOSCALING + "target-utilization-percentage", "", 1),
    "initialReplicas": (AUTOSCALING + "initial-scale", "", 0),
    "activationReplicas": (AUTOSCALING + "activation-scale", "", 1),
    "scaleDownDelaySeconds": (AUTOSCALING + "scale-down-delay", "s", 0),
    "scaleToZeroRetentionSeconds": (AUTOSCALING + "scale-to-zero-pod-retention-period", "s", 0),
    "initializationTimeoutSeconds": ("serving.knative.dev/progress-deadline", "s", 1),
}
HARD_LIMIT = "concurrencyHardLimit"
CLUSTER_LOCAL = "clusterLocalAccessOnly"
VISIBILITY = "networking.knative.dev/visibility"
#: what target inference: deployment expresses (the rest is refused there)
DEPLOYMENT_FIELDS = ("scaleDownDelaySeconds", "initializationTimeoutSeconds")


@dataclass
class Tuning:
    """The settings that were given, as integers (field → value)."""

    values: dict[str, int] = field(default_factory=dict)
    cluster_local: bool = False


def read_tuning(ctx: Ctx) -> Tuning:
    out = Tuning()
    for name in (*KNATIVE_ANNOTATIONS, HARD_LIMIT):
        raw = ctx.get("autoscaling", name)
        if raw is None:
            continue
        least = KNATIVE_ANNOTATIONS[name][2] if name in KNATIVE_ANNOTATIONS else 0
        number = int_or_none(raw)
        if number is None or number < least or (name == "metricThresholdPercentage" and number > 100):
            ctx.problem(("autoscaling", name), "lower.autoscaling",
                        f"autoscaling.{name} must be an integer ≥ {least}"
                        + (" and ≤ 100" if name == "metricThresholdPercentage" else ""))
            continue
        out.values[name] = number
    out.cluster_local = ctx.get("servingPort", CLUSTER_LOCAL) is True
    return out


def knative_tuning(tuning: Tuning) -> tuple[dict[str, str], K8sObject, dict[str, str]]:
    """(template annotations, revision spec fields, Service labels) for the Knative Service."""
    annotations = {KNATIVE_ANNOTATIONS[n][0]: f"{v}{KNATIVE_ANNOTATIONS[n][1]}"
                   for n, v in tuning.values.items() if n in KNATIVE_ANNOTATIONS}
    revision: K8sObject = {"containerConcurrency": tuning.values[HARD_LIMIT]} if HARD_LIMIT in tuning.values else {}
    labels = {VISIBILITY: "cluster-local"} if tuning.cluster_local else {}
    return annotations, revision, labels


def refuse(ctx: Ctx, tuning: Tuning, backend: str, allowed: tuple[str, ...] = ()) -> None:
    """A problem for every setting ``backend`` cannot express."""
    for name in sorted(set(tuning.values) - set(allowed)):
        ctx.problem(("autoscaling", name), "lower.autoscaling",
                    f"autoscaling.{name} is a Knative setting that target inference: {backend} "
                    "cannot express; use target inference: knative, or remove it")
    if tuning.cluster_local and backend == "kserve":
        ctx.problem(("servingPort", CLUSTER_LOCAL), "lower.target",
                    "servingPort.clusterLocalAccessOnly: target inference: kserve (Standard mode) "
                    "sets no visibility; use target inference: knative or deployment")


def deployment_tuning(ctx: Ctx, tuning: Tuning, deploy_spec: K8sObject, hpa: K8sObject | None) -> None:
    """Scale-down delay on the autoscaler, the initialization timeout on the Deployment."""
    refuse(ctx, tuning, "deployment", DEPLOYMENT_FIELDS)
    if "initializationTimeoutSeconds" in tuning.values:
        deploy_spec["progressDeadlineSeconds"] = tuning.values["initializationTimeoutSeconds"]
    delay = tuning.values.get("scaleDownDelaySeconds")
    if delay is not None and hpa is not None:
        hpa["spec"]["behavior"] = {"scaleDown": {"stabilizationWindowSeconds": delay}}
    if tuning.cluster_local and ctx.items("exposedUrls"):
        ctx.problem(("exposedUrls",), "lower.target",
                    "servingPort.clusterLocalAccessOnly: the workload may not also have exposedUrls")
