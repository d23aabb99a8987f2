"""Placement: node pools, node type, tolerations, pod affinity, priority, scheduler targets."""
from __future__ import annotations

from collections.abc import Sequence

from compiler.model import ResolvedWorkload
from tests.lowerkit import find, lower, only, pod_spec, target, workload

RUNAI = target(scheduler="runai")
KUEUE = target(scheduler="kueue", kueue_queue="{project}-queue")


def test_node_pools_require_membership_and_prefer_in_order() -> None:
    objs, _ = lower(workload(nodePools=["a100", "h100", "t4"]), target(node_pool_label="pool"))
    na = pod_spec(objs)["affinity"]["nodeAffinity"]
    assert na["requiredDuringSchedulingIgnoredDuringExecution"] == {"nodeSelectorTerms": [{"matchExpressions": [
        {"key": "pool", "operator": "In", "values": ["a100", "h100", "t4"]}]}]}
    prefs = na["preferredDuringSchedulingIgnoredDuringExecution"]
    assert [p["weight"] for p in prefs] == [100, 67, 33]
    assert [p["preference"]["matchExpressions"][0]["values"] for p in prefs] == [["a100"], ["h100"], ["t4"]]


def test_single_node_pool_has_no_preference() -> None:
    objs, _ = lower(workload(nodePools=["a100"]))
    assert "preferredDuringSchedulingIgnoredDuringExecution" not in pod_spec(objs)["affinity"]["nodeAffinity"]


def test_node_type_is_required_with_node_pools_in_one_term() -> None:
    objs, _ = lower(workload(nodePools=["p"], nodeType="dgx-a100"))
    terms = pod_spec(objs)["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert terms["nodeSelectorTerms"][0]["matchExpressions"][1] == {"key": "run.ai/type", "operator": "In",
                                                                      "values": ["dgx-a100"]}


def test_tolerations_drop_the_name_and_map_seconds() -> None:
    tols = [{"name": "gpu", "operator": "Exists", "key": "nvidia.com/gpu", "effect": "NoSchedule"},
            {"name": "maint", "operator": "Equal", "key": "maint", "value": "yes", "effect": "NoExecute",
             "seconds": 60}]
    objs, _ = lower(workload(tolerations=tols))
    assert pod_spec(objs)["tolerations"] == [
        {"operator": "Exists", "key": "nvidia.com/gpu", "effect": "NoSchedule"},
        {"operator": "Equal", "key": "maint", "value": "yes", "effect": "NoExecute", "tolerationSeconds": 60}]


def test_toleration_seconds_without_no_execute_is_a_problem() -> None:
    tols = [{"name": "t", "operator": "Exists", "key": "k", "effect": "NoSchedule", "seconds": 30}]
    objs, problems = lower(workload(tolerations=tols))
    assert only(problems, "lower.toleration").field == "spec.tolerations[0].seconds"
    assert "tolerations" not in pod_spec(objs)


def test_exists_toleration_with_value_is_a_problem() -> None:
    _, problems = lower(workload(tolerations=[{"name": "t", "operator": "Exists", "key": "k", "value": "v"}]))
    assert only(problems, "lower.toleration").field == "spec.tolerations[0].value"


def test_required_pod_affinity_on_own_pod_labels() -> None:
    objs, _ = lower(workload(name="w", project="p", podAffinitySchedulingRule="required",
                             podAffinityTopology="topology.kubernetes.io/zone"))
    assert pod_spec(objs)["affinity"]["podAffinity"] == {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"wlc.dev/workload": "w", "wlc.dev/project": "p"}},
         "topologyKey": "topology.kubernetes.io/zone"}]}


def test_preferred_pod_affinity() -> None:
    objs, _ = lower(workload(podAffinitySchedulingRule="preferred", podAffinityTopology="kubernetes.io/hostname"))
    pref = pod_spec(objs)["affinity"]["podAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    assert pref[0]["weight"] == 100 and pref[0]["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"


def test_pod_affinity_without_topology_is_a_problem() -> None:
    _, problems = lower(workload(podAffinitySchedulingRule="required"))
    assert only(problems, "lower.pod-affinity").severity == "error"


def test_priority_class_is_passed_through() -> None:
    objs, _ = lower(workload(priorityClass="high"))
    assert pod_spec(objs)["priorityClassName"] == "high"


def test_default_scheduler_sets_no_scheduler_name_or_priority() -> None:
    objs, _ = lower(workload())
    assert "schedulerName" not in pod_spec(objs) and "priorityClassName" not in pod_spec(objs)


def test_runai_scheduler_name_queue_label_and_train_priority() -> None:
    objs, _ = lower(workload(project="p1"), RUNAI)
    job = find(objs, "Job")
    assert pod_spec(objs)["schedulerName"] == "runai-scheduler"
    assert pod_spec(objs)["priorityClassName"] == "train"
    assert job["metadata"]["labels"]["runai/queue"] == "p1"
    assert job["spec"]["template"]["metadata"]["labels"]["runai/queue"] == "p1"


def test_runai_interactive_defaults_to_build_priority() -> None:
    objs, _ = lower(workload("interactive"), RUNAI)
    assert pod_spec(objs)["priorityClassName"] == "build"


def test_runai_preemptible_interactive_priority() -> None:
    objs, _ = lower(workload("interactive", preemptible=True), RUNAI)
    assert pod_spec(objs)["priorityClassName"] == "interactive-preemptible"


def test_preemptible_on_default_scheduler_is_a_warning() -> None:
    _, problems = lower(workload("interactive", preemptible=True))
    assert only(problems, "lower.preemptible").severity == "warning"


def test_kueue_queue_label_on_job_and_job_created_suspended() -> None:
    objs, problems = lower(workload(project="p1"), KUEUE)
    job = find(objs, "Job")
    assert job["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "p1-queue"
    assert job["spec"]["suspend"] is True
    assert "kueue.x-k8s.io/queue-name" not in job["spec"]["template"]["metadata"]["labels"]
    assert problems == []


def test_kueue_queue_label_on_statefulset() -> None:
    objs, _ = lower(workload("interactive", project="p1"), KUEUE)
    assert find(objs, "StatefulSet")["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "p1-queue"


def _with_project_pools(rw: ResolvedWorkload, pools: Sequence[str] = (),
                        types: Sequence[str] = ()) -> ResolvedWorkload:
    rw.project.node_pools = list(pools)
    rw.project.node_types = list(types)
    return rw


def test_project_node_pools_are_the_default_order() -> None:
    objs, _ = lower(_with_project_pools(workload(), ["h100", "a100"]))
    na = pod_spec(objs)["affinity"]["nodeAffinity"]
    assert na["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]["matchExpressions"][0][
        "values"] == ["h100", "a100"]


def test_node_pool_outside_the_project_is_a_problem() -> None:
    objs, problems = lower(_with_project_pools(workload(nodePools=["a100", "tpu"]), ["a100", "h100"]))
    assert only(problems, "lower.node-pool").field == "spec.nodePools[1]"
    terms = pod_spec(objs)["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert terms["nodeSelectorTerms"][0]["matchExpressions"][0]["values"] == ["a100"]


def test_node_type_outside_the_project_is_a_problem() -> None:
    _, problems = lower(_with_project_pools(workload(nodeType="cpu-only"), types=["dgx"]))
    assert only(problems, "lower.node-type").field == "spec.nodeType"
