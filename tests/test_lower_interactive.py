"""Interactive → apps/v1 StatefulSet (+ headless Service where the version requires it)."""
from __future__ import annotations

from tests.lowerkit import find, kinds, lower, only, target, workload


def test_interactive_becomes_a_one_replica_statefulset() -> None:
    objs, problems = lower(workload("interactive", name="nb", project="p"))
    sts = find(objs, "StatefulSet", "nb")
    assert sts["apiVersion"] == "apps/v1" and sts["spec"]["replicas"] == 1
    assert sts["spec"]["selector"] == {"matchLabels": {"wlc.dev/workload": "nb", "wlc.dev/project": "p"}}
    assert sts["spec"]["template"]["spec"]["restartPolicy"] == "Always"
    assert problems == []


def test_stopped_interactive_has_zero_replicas() -> None:
    objs, _ = lower(workload("interactive", active=False))
    assert find(objs, "StatefulSet")["spec"]["replicas"] == 0


def test_recent_kubernetes_needs_no_governing_service() -> None:
    objs, _ = lower(workload("interactive", name="nb"), target(kubernetes_version="1.33"))
    assert kinds(objs) == [("StatefulSet", "nb")]
    assert "serviceName" not in find(objs, "StatefulSet")["spec"]


def test_older_kubernetes_gets_a_headless_governing_service() -> None:
    objs, _ = lower(workload("interactive", name="nb"), target(kubernetes_version="1.32"))
    assert find(objs, "StatefulSet")["spec"]["serviceName"] == "nb-headless"
    svc = find(objs, "Service", "nb-headless")
    assert svc["spec"]["clusterIP"] == "None"
    assert svc["spec"]["selector"] == find(objs, "StatefulSet")["spec"]["selector"]["matchLabels"]


def test_statefulset_name_must_leave_room_for_revision_hash() -> None:
    _, problems = lower(workload("interactive", name="n" * 53))
    assert only(problems, "lower.name-too-long").field == "metadata.name"


def test_statefulset_name_of_52_is_fine() -> None:
    _, problems = lower(workload("interactive", name="n" * 52))
    assert problems == []


def test_training_only_fields_are_reported_not_dropped() -> None:
    _, problems = lower(workload("interactive", backoffLimit=2))
    p = only(problems, "lower.not-applicable")
    assert p.severity == "warning" and p.field == "spec.backoffLimit"


def test_terminate_after_preemption_on_interactive_is_reported() -> None:
    _, problems = lower(workload("interactive", terminateAfterPreemption=True))
    assert only(problems, "lower.not-applicable").field == "spec.terminateAfterPreemption"


def test_runai_fraction_annotation_on_statefulset_pod_template() -> None:
    objs, _ = lower(workload("interactive", compute={"gpuPortionRequest": 0.3}), target(scheduler="runai"))
    tmpl = find(objs, "StatefulSet")["spec"]["template"]
    assert tmpl["metadata"]["annotations"] == {"gpu-fraction": "0.3"}


def test_stopping_under_kueue_warns_about_scaling() -> None:
    objs, problems = lower(workload("interactive", active=False), target(scheduler="kueue"))
    assert only(problems, "lower.kueue-stop").severity == "warning"
    assert find(objs, "StatefulSet")["spec"]["replicas"] == 0
