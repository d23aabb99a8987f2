"""Inference → Deployment + Service + HPA (default), Knative Service, KServe InferenceService."""
from __future__ import annotations

from typing import Any

import pytest

from compiler.verify import unknown_kinds
from tests.lowerkit import codes, find, kinds, lower, only, target, workload

KNATIVE = target(inference="knative")
KSERVE = target(inference="kserve")
SCALED = {"minReplicas": 2, "maxReplicas": 5, "metric": "cpu-utilization", "threshold": 60}
CPU = {"cpuCoreRequest": 2}


def inf(**spec: Any) -> Any:
    spec.setdefault("name", "svc")
    spec.setdefault("servingPort", {"container": 8080})
    return workload("inference", **spec)


def test_deployment_service_and_hpa() -> None:
    objs, problems = lower(inf(autoscaling=SCALED, compute=CPU))
    assert kinds(objs) == [("Deployment", "svc"), ("HorizontalPodAutoscaler", "svc"), ("Service", "svc")]
    deploy = find(objs, "Deployment")
    assert "replicas" not in deploy["spec"]  # the autoscaler owns it
    assert deploy["spec"]["selector"]["matchLabels"] == {"wlc.dev/workload": "svc", "wlc.dev/project": "team-a"}
    pod = deploy["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Always"
    assert pod["containers"][0]["ports"] == [{"containerPort": 8080, "protocol": "TCP", "name": "http"}]
    assert find(objs, "Service")["spec"]["ports"] == [
        {"name": "http", "port": 8080, "targetPort": 8080, "protocol": "TCP"}]
    hpa = find(objs, "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"] == {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "svc"},
                           "minReplicas": 2, "maxReplicas": 5, "metrics": [{"type": "Resource", "resource": {
                               "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}}]}
    assert problems == []


def test_fixed_replicas_without_autoscaler() -> None:
    objs, _ = lower(inf(autoscaling={"minReplicas": 3, "maxReplicas": 3}))
    assert find(objs, "Deployment")["spec"]["replicas"] == 3
    assert ("HorizontalPodAutoscaler", "svc") not in kinds(objs)
    objs, _ = lower(inf())
    assert find(objs, "Deployment")["spec"]["replicas"] == 1


def test_active_false_scales_the_deployment_to_zero_without_autoscaler() -> None:
    objs, _ = lower(inf(active=False, autoscaling=SCALED, compute=CPU))
    assert find(objs, "Deployment")["spec"]["replicas"] == 0
    assert ("HorizontalPodAutoscaler", "svc") not in kinds(objs)


@pytest.mark.parametrize("metric", ["throughput", "concurrency", "latency", "gpu-utilization", "custom"])
def test_other_metrics_are_pods_metrics_named_by_metric_name(metric: str) -> None:
    scaling = {"minReplicas": 1, "maxReplicas": 4, "metric": metric, "metricName": "inflight", "threshold": 10}
    objs, problems = lower(inf(autoscaling=scaling))
    assert find(objs, "HorizontalPodAutoscaler")["spec"]["metrics"] == [{"type": "Pods", "pods": {
        "metric": {"name": "inflight"}, "target": {"type": "AverageValue", "averageValue": "10"}}}]
    assert problems == []


def test_metric_without_metric_name_on_deployment_is_a_problem() -> None:
    _, problems = lower(inf(autoscaling={"minReplicas": 1, "maxReplicas": 4, "metric": "concurrency",
                                         "threshold": 10}))
    assert "knative" in only(problems, "lower.autoscaling").message


def test_cpu_utilization_needs_a_cpu_request() -> None:
    _, problems = lower(inf(autoscaling=SCALED))
    assert "cpuCoreRequest" in only(problems, "lower.autoscaling").message


@pytest.mark.parametrize("scaling, field", [
    ({"minReplicas": 3, "maxReplicas": 2}, "spec.autoscaling.minReplicas"),
    ({"minReplicas": 1, "maxReplicas": 2}, "spec.autoscaling"),
    ({"minReplicas": 1, "maxReplicas": 2, "metric": "concurrency"}, "spec.autoscaling.metric"),
    ({"minReplicas": 1, "maxReplicas": 2, "metric": "custom", "threshold": 1}, "spec.autoscaling.metricName"),
])
def test_invalid_autoscaling(scaling: dict[str, Any], field: str) -> None:
    objs, problems = lower(inf(autoscaling=scaling))
    assert objs == [] and only(problems, "lower.autoscaling").field == field


def test_scale_to_zero_on_deployment_names_knative() -> None:
    objs, problems = lower(inf(autoscaling={"minReplicas": 0, "maxReplicas": 1}))
    p = only(problems, "lower.scale-to-zero")
    assert objs == [] and "knative" in p.message and p.field == "spec.autoscaling.minReplicas"


def test_missing_serving_port_is_a_problem() -> None:
    _, problems = lower(workload("inference", servingPort=None))
    assert "lower.serving-port" in codes(problems)


def test_probes() -> None:
    probes = {"readiness": {"periodSeconds": 5, "handler": {"httpGet": {"path": "/ready", "port": 8080}}},
              "liveness": {"initialDelaySeconds": 30, "failureThreshold": 5, "handler": {"tcpSocket": {"port": "http"}}}}
    objs, problems = lower(inf(probes=probes))
    c = find(objs, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert c["readinessProbe"] == {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 5}
    assert c["livenessProbe"] == {"tcpSocket": {"port": "http"}, "initialDelaySeconds": 30, "failureThreshold": 5}
    assert problems == []
    objs, _ = lower(inf(probes={"readiness": {"handler": {"exec": {"command": ["cat", "/ok"]}}},
                                "liveness": {"handler": {"grpc": {"port": 8080, "service": "health"}}}}))
    c = find(objs, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert c["readinessProbe"] == {"exec": {"command": ["cat", "/ok"]}}
    assert c["livenessProbe"] == {"grpc": {"port": 8080, "service": "health"}}


def test_liveness_success_threshold_must_be_one() -> None:
    _, problems = lower(inf(probes={"liveness": {"successThreshold": 2, "handler": {"tcpSocket": {"port": 1}}}}))
    assert only(problems, "lower.probe").field == "spec.probes.liveness.successThreshold"


def test_grpc_serving_port() -> None:
    objs, _ = lower(inf(servingPort={"container": 9000, "protocol": "grpc"}))
    assert find(objs, "Service")["spec"]["ports"][0] == {"name": "grpc", "port": 9000, "targetPort": 9000,
                                                          "protocol": "TCP", "appProtocol": "kubernetes.io/h2c"}


def test_other_ports_and_urls_on_deployment() -> None:
    objs, problems = lower(inf(ports=[{"container": 9090, "serviceType": "NodePort"}],
                               exposedUrls=[{"container": 8080, "url": "svc.example.com"}]))
    assert ("Service", "svc-nodeport") in kinds(objs) and ("Ingress", "svc") in kinds(objs)
    assert problems == []


def test_authorization_is_a_warning() -> None:
    _, problems = lower(inf(servingPort={"container": 8080, "authorizationType": "authenticatedUsers"}))
    assert only(problems, "lower.serving-auth").severity == "warning"


def test_runai_scheduler_on_deployment() -> None:
    objs, _ = lower(inf(project="p"), target(scheduler="runai"))
    deploy = find(objs, "Deployment")
    assert deploy["metadata"]["labels"]["runai/queue"] == "p"
    pod = deploy["spec"]["template"]
    assert pod["spec"]["schedulerName"] == "runai-scheduler" and pod["spec"]["priorityClassName"] == "inference"
    assert pod["metadata"]["labels"]["runai/queue"] == "p"


def test_kueue_scheduler_on_deployment_labels_deployment_and_pods() -> None:
    objs, problems = lower(inf(project="p"), target(scheduler="kueue"))
    deploy = find(objs, "Deployment")
    assert deploy["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "p"
    assert deploy["spec"]["template"]["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "p"
    assert problems == []


def test_gpu_fraction_needs_runai() -> None:
    _, problems = lower(inf(compute={"gpuPortionRequest": 0.5}))
    assert "scheduler: runai" in only(problems, "lower.gpu-sharing").message
    objs, problems = lower(inf(compute={"gpuPortionRequest": 0.5}), target(scheduler="runai"))
    assert find(objs, "Deployment")["spec"]["template"]["metadata"]["annotations"]["gpu-fraction"] == "0.5"


# --- knative -------------------------------------------------------------------------------

def test_knative_service_with_autoscaling_annotations() -> None:
    scaling = {"minReplicas": 0, "maxReplicas": 4, "metric": "concurrency", "threshold": 8}
    objs, problems = lower(inf(autoscaling=scaling, servingPort={"container": 9000, "protocol": "grpc"}), KNATIVE)
    svc = find(objs, "Service")
    assert svc["apiVersion"] == "serving.knative.dev/v1" and kinds(objs) == [("Service", "svc")]
    tmpl = svc["spec"]["template"]
    assert {k: v for k, v in tmpl["metadata"]["annotations"].items() if k.startswith("autoscaling")} == {
        "autoscaling.knative.dev/min-scale": "0", "autoscaling.knative.dev/max-scale": "4",
        "autoscaling.knative.dev/metric": "concurrency", "autoscaling.knative.dev/target": "8"}
    assert "restartPolicy" not in tmpl["spec"]
    assert tmpl["spec"]["containers"][0]["ports"] == [{"containerPort": 9000, "protocol": "TCP", "name": "h2c"}]
    assert svc["spec"]["traffic"] == [{"latestRevision": True, "percent": 100}]
    assert problems == [] and unknown_kinds(objs, "1.37") == []


@pytest.mark.parametrize("metric, expected", [
    ("throughput", {"autoscaling.knative.dev/metric": "rps"}),
    ("cpu-utilization", {"autoscaling.knative.dev/metric": "cpu",
                         "autoscaling.knative.dev/class": "hpa.autoscaling.knative.dev"}),
])
def test_knative_metrics(metric: str, expected: dict[str, str]) -> None:
    objs, _ = lower(inf(autoscaling={"minReplicas": 1, "maxReplicas": 3, "metric": metric, "threshold": 50}), KNATIVE)
    annotations = find(objs, "Service")["spec"]["template"]["metadata"]["annotations"]
    assert expected.items() <= annotations.items()


@pytest.mark.parametrize("metric", ["latency", "gpu-utilization", "custom"])
def test_knative_refuses_metrics_it_does_not_measure(metric: str) -> None:
    scaling = {"minReplicas": 1, "maxReplicas": 3, "metric": metric, "metricName": "m", "threshold": 1}
    _, problems = lower(inf(autoscaling=scaling), KNATIVE)
    assert "deployment" in only(problems, "lower.autoscaling").message


def test_knative_feature_flags() -> None:
    tolerations = [{"name": "gpu", "operator": "Exists", "key": "nvidia.com/gpu", "effect": "NoSchedule"}]
    rw = inf(nodePools=["a100"], tolerations=tolerations)
    _, problems = lower(rw, KNATIVE)
    messages = sorted(p.message for p in problems if p.code == "lower.knative-feature")
    assert len(messages) == 2
    assert "kubernetes.podspec-affinity" in messages[0] and "kubernetes.podspec-tolerations" in messages[1]
    enabled = target(inference="knative", knative_features=("kubernetes.podspec-affinity",
                                                            "kubernetes.podspec-tolerations"))
    objs, problems = lower(rw, enabled)
    assert problems == [] and "tolerations" in find(objs, "Service")["spec"]["template"]["spec"]


def test_knative_with_runai_needs_the_scheduler_name_flag() -> None:
    _, problems = lower(inf(), target(inference="knative", scheduler="runai"))
    assert {m for p in problems for m in ("schedulername", "priorityclassname") if m in p.message} == \
        {"schedulername"}  # the priority class wlc adds itself is left out, never an error


@pytest.mark.parametrize("spec, code", [
    ({"ports": [{"container": 9090}]}, "lower.target"),
    ({"exposedUrls": [{"container": 8080, "url": "x.example.com"}]}, "lower.target"),
    ({"active": False}, "lower.target"),
    ({"probes": {"readiness": {"handler": {"httpGet": {"port": 9999}}}}}, "lower.probe"),
])
@pytest.mark.parametrize("tgt", [KNATIVE, KSERVE])
def test_what_serverless_targets_cannot_express(spec: dict[str, Any], code: str, tgt: Any) -> None:
    _, problems = lower(inf(**spec), tgt)
    assert code in codes(problems, "error")


@pytest.mark.parametrize("tgt", [KNATIVE, KSERVE])
def test_kueue_cannot_admit_serverless_targets(tgt: Any) -> None:
    _, problems = lower(inf(), target(inference=tgt.inference, scheduler="kueue"))
    assert "kueue" in only(problems, "lower.target").message


# --- kserve --------------------------------------------------------------------------------

def test_kserve_inference_service() -> None:
    objs, problems = lower(inf(autoscaling=SCALED, compute={"gpuDevicesRequest": 1}), KSERVE)
    isvc = find(objs, "InferenceService")
    assert isvc["apiVersion"] == "serving.kserve.io/v1beta1"
    assert isvc["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "Standard"
    pred = isvc["spec"]["predictor"]
    assert (pred["minReplicas"], pred["maxReplicas"], pred["scaleMetric"], pred["scaleTarget"]) == (2, 5, "cpu", 60)
    assert pred["containers"][0]["name"] == "kserve-container"
    assert pred["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert pred["labels"] == {"wlc.dev/workload": "svc", "wlc.dev/project": "team-a"}
    assert "restartPolicy" not in pred
    assert problems == [] and unknown_kinds(objs, "1.37") == []


def test_kserve_refuses_scale_to_zero_and_non_cpu_metrics() -> None:
    _, problems = lower(inf(autoscaling={"minReplicas": 0, "maxReplicas": 1}), KSERVE)
    assert "knative" in only(problems, "lower.scale-to-zero").message
    _, problems = lower(inf(autoscaling={"minReplicas": 1, "maxReplicas": 3, "metric": "concurrency",
                                         "threshold": 4}), KSERVE)
    assert "CPU only" in only(problems, "lower.autoscaling").message


def test_kserve_with_runai_puts_scheduling_in_the_predictor() -> None:
    objs, _ = lower(inf(project="p", compute={"gpuPortionRequest": 0.5}), target(inference="kserve", scheduler="runai"))
    pred = find(objs, "InferenceService")["spec"]["predictor"]
    assert pred["schedulerName"] == "runai-scheduler" and pred["priorityClassName"] == "inference"
    assert pred["labels"]["runai/queue"] == "p" and pred["annotations"]["gpu-fraction"] == "0.5"


def test_unknown_inference_target_is_a_problem() -> None:
    _, problems = lower(inf(), target(inference="seldon"))
    assert "seldon" in only(problems, "lower.target").message
