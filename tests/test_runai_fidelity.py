"""Issue 16: Run:ai's documented examples behave as Run:ai documents them (one test per defect,
each built from the documentation example it comes from; the doc path is cited)."""
from __future__ import annotations

from typing import Any

from tests.lowerkit import find, lower, target, workload

RUNAI_KNATIVE = ("kubernetes.podspec-schedulername", "kubernetes.podspec-affinity",
                 "kubernetes.podspec-tolerations", "kubernetes.podspec-volumes-emptydir",
                 "kubernetes.podspec-securitycontext", "kubernetes.podspec-persistent-volume-claim",
                 "kubernetes.podspec-persistent-volume-write")


def inference(**spec: Any) -> Any:
    spec.setdefault("name", "inference1")
    spec.setdefault("servingPort", {"container": 8000})
    return workload("inference", **spec)


def test_d1_knative_default_priority_class_is_no_error() -> None:
    """docs/developer/cluster-api/submit-yaml.md (inference1) on the Knative features of
    docs/admin/runai-setup/cluster-setup/cluster-prerequisites.md: wlc's own default priority
    class is left out, never refused."""
    objs, problems = lower(inference(), target(inference="knative", scheduler="runai",
                                               knative_features=RUNAI_KNATIVE))
    assert problems == []
    pod = find(objs, "Service")["spec"]["template"]["spec"]
    assert pod["schedulerName"] == "runai-scheduler" and "priorityClassName" not in pod


def test_d1_knative_priority_class_kept_when_enabled_or_refused_when_set() -> None:
    enabled = target(inference="knative", scheduler="runai",
                     knative_features=(*RUNAI_KNATIVE, "kubernetes.podspec-priorityclassname"))
    objs, problems = lower(inference(), enabled)
    assert problems == []
    assert find(objs, "Service")["spec"]["template"]["spec"]["priorityClassName"] == "inference"
    _, problems = lower(inference(priorityClass="high"),
                        target(inference="knative", scheduler="runai", knative_features=RUNAI_KNATIVE))
    assert [p.code for p in problems] == ["lower.knative-feature"]  # what the user set still needs it
