"""Inference target ``knative``: a Knative Service.

Knative (``serving.knative.dev/v1`` Service): one container with one port (``http1`` or, for
gRPC, ``h2c``), the pod fields Knative allows, and the template annotations
``autoscaling.knative.dev/min-scale`` / ``max-scale`` (``min-scale: "0"`` = scale to zero) and,
when autoscaled, ``metric`` + ``target``: concurrency → ``concurrency``, throughput → ``rps``
(Knative's pod autoscaler), cpu-utilization → the HPA class with metric ``cpu``. Latency, GPU
utilisation and custom metrics are refused (target deployment maps them to a Pods metric).

Knative rejects some pod fields unless its ``config-features`` enable them: each such field
without the flag in the target's ``knativeFeatures`` is an error naming the flag. Run:ai's
other autoscaling settings (initial and activation replicas, delays, hard concurrency limit,
cluster-local visibility) are ``tuning``'s. What wlc adds
by itself is never such an error: the Run:ai priority class of an inference workload
(``inference``, scheduler ``runai``) is left out unless the target enables
``kubernetes.podspec-priorityclassname`` (Run:ai's cluster prerequisites do not enable it, and
the Run:ai scheduler ranks the pods of an inference workload as such without it).
"""
from __future__ import annotations

from compiler.lower.common import DNS_1035, Ctx, metadata, scalar_text
from compiler.lower.inference.model import Inference
from compiler.lower.inference.serverless import serverless_checks, serving_pod
from compiler.lower.inference.tuning import knative_tuning, read_tuning
from compiler.shapes import K8sObject

AUTOSCALING = "autoscaling.knative.dev/"
HPA_CLASS = "hpa.autoscaling.knative.dev"
#: pod spec field → the config-features flag Knative needs before it accepts it
POD_FLAGS = {
    "affinity": "kubernetes.podspec-affinity",
    "nodeSelector": "kubernetes.podspec-nodeselector",
    "tolerations": "kubernetes.podspec-tolerations",
    "schedulerName": "kubernetes.podspec-schedulername",
    "priorityClassName": "kubernetes.podspec-priorityclassname",
    "securityContext": "kubernetes.podspec-securitycontext",
    "initContainers": "kubernetes.podspec-init-containers",
    "hostIPC": "kubernetes.podspec-hostipc",
    "hostNetwork": "kubernetes.podspec-hostnetwork",
}
VOLUME_FLAGS = {
    "persistentVolumeClaim": "kubernetes.podspec-persistent-volume-claim",
    "hostPath": "kubernetes.podspec-volumes-hostpath",
}
#: Knative allows these volume sources without a flag (emptyDir is enabled by default)
PLAIN_VOLUMES = ("configMap", "secret", "projected", "emptyDir")
FIELD_REF_FLAG = "kubernetes.podspec-fieldref"
#: where in the spec a pod field comes from (for the problem's position)
SPEC_FIELD = {"affinity": "nodePools", "tolerations": "tolerations", "securityContext": "security",
              "hostIPC": "security", "hostNetwork": "security", "initContainers": "storage",
              "priorityClassName": "priorityClass", "nodeSelector": "nodeType"}
KNATIVE_METRICS = {"concurrency": "concurrency", "throughput": "rps"}
REVISION_SUFFIX = len("-00001")


def lower_knative(ctx: Ctx, inf: Inference) -> list[K8sObject]:
    rw = ctx.rw
    serverless_checks(ctx, inf, "knative")
    if len(rw.name) + REVISION_SUFFIX > 63 or not DNS_1035.match(rw.name):
        ctx.doc_problem(("metadata", "name"), "lower.name",
                        f"a Knative Service name must be a DNS-1035 label of at most "
                        f"{63 - REVISION_SUFFIX} characters (its revisions are <name>-00001)")
    pod = serving_pod(ctx, inf, "user-container")
    tuned, revision, svc_labels = knative_tuning(read_tuning(ctx))
    annotations = {**pod.template["metadata"].get("annotations", {}), **_scaling(ctx, inf), **tuned}
    pod_spec = {**pod.template["spec"], **revision}
    _drop_own_defaults(ctx, pod_spec)
    _unsupported(ctx, pod_spec)
    _features(ctx, pod_spec)
    template_meta: K8sObject = {"labels": pod.template["metadata"]["labels"]}
    if annotations:
        template_meta["annotations"] = annotations
    svc = {"apiVersion": "serving.knative.dev/v1", "kind": "Service",
           "metadata": metadata(rw, rw.name, labels=svc_labels or None),
           "spec": {"template": {"metadata": template_meta, "spec": pod_spec},
                    "traffic": [{"latestRevision": True, "percent": 100}]}}
    return [svc, *pod.objects]


def _scaling(ctx: Ctx, inf: Inference) -> dict[str, str]:
    scale = inf.scale
    out = {AUTOSCALING + "min-scale": str(scale.min), AUTOSCALING + "max-scale": str(scale.max)}
    if not scale.autoscaled or scale.metric is None:
        return out
    if scale.metric in KNATIVE_METRICS:
        out[AUTOSCALING + "metric"] = KNATIVE_METRICS[scale.metric]
    elif scale.metric == "cpu-utilization":
        out[AUTOSCALING + "class"] = HPA_CLASS
        out[AUTOSCALING + "metric"] = "cpu"
    else:
        ctx.problem(("autoscaling", "metric"), "lower.autoscaling",
                    f"metric {scale.metric} is not one Knative's autoscaler measures (concurrency, "
                    "throughput, cpu-utilization); use target inference: deployment with metricName")
        return out
    if scale.threshold is not None:
        threshold = scale.threshold
        out[AUTOSCALING + "target"] = scalar_text(int(threshold) if threshold.is_integer() else threshold)
    return out


def _unsupported(ctx: Ctx, pod_spec: K8sObject) -> None:
    """Pod fields Knative's allowed subset of the PodSpec does not have."""
    if pod_spec.pop("terminationGracePeriodSeconds", None) is not None:
        ctx.problem(("terminationGracePeriodSeconds",), "lower.target",
                    "target inference: knative does not let a revision set "
                    "terminationGracePeriodSeconds; use target inference: deployment")
    for key in ("stdin", "tty"):
        if any(c.pop(key, None) for c in pod_spec["containers"]):
            ctx.problem((key,), "lower.target", f"target inference: knative serves requests and "
                        f"has no {key} for its containers; remove it")


def _drop_own_defaults(ctx: Ctx, pod_spec: K8sObject) -> None:
    """Leave out the priority class wlc chose itself when Knative would reject it."""
    flag = POD_FLAGS["priorityClassName"]
    if not ctx.get("priorityClass") and flag not in ctx.target.knative_features:
        pod_spec.pop("priorityClassName", None)


def _features(ctx: Ctx, pod_spec: K8sObject) -> None:
    enabled = set(ctx.target.knative_features)
    needed: dict[str, tuple[str, str]] = {}
    for key, flag in POD_FLAGS.items():
        if key in pod_spec and pod_spec[key] is not False:  # hostIPC: false is the default
            needed.setdefault(flag, (key, SPEC_FIELD.get(key, "")))
    for volume in pod_spec.get("volumes", []):
        for source, flag in VOLUME_FLAGS.items():
            if source in volume:
                needed.setdefault(flag, (f"{source} volume {volume['name']}", "storage"))
        if not any(k in volume for k in (*VOLUME_FLAGS, *PLAIN_VOLUMES)):
            kinds = sorted(k for k in volume if k != "name")
            ctx.problem(("storage",), "lower.knative-feature",
                        f"target inference: knative does not accept {', '.join(kinds)} volume "
                        f"{volume['name']}; use target inference: deployment")
    for container in pod_spec["containers"]:
        if any("fieldRef" in (v.get("valueFrom") or {}) for v in container.get("env", [])):
            needed.setdefault(FIELD_REF_FLAG, ("environment variables from pod fields",
                                               "environmentVariables"))
    for flag, (what, where) in sorted(needed.items()):
        if flag not in enabled:
            ctx.problem((where,) if where else (), "lower.knative-feature",
                        f"Knative rejects {what} unless config-features enables {flag}: add it to "
                        "the target's knativeFeatures once the cluster allows it, or remove the "
                        "setting")
