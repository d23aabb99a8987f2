"""Training → batch/v1 Job; labels/annotations; dispatch."""
from __future__ import annotations

from typing import Any

from tests.lowerkit import find, kinds, lower, only, target, workload


def test_training_becomes_a_job_named_after_the_workload() -> None:
    objs, problems = lower(workload(name="train-1", project="p"))
    job = find(objs, "Job", "train-1")
    assert job["apiVersion"] == "batch/v1" and job["metadata"]["namespace"] == "runai-p"
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert "suspend" not in job["spec"] and problems == []


def test_pod_template_carries_pod_labels_and_no_bundle_labels() -> None:
    objs, _ = lower(workload(name="w", project="p"))
    labels = find(objs, "Job")["spec"]["template"]["metadata"]["labels"]
    assert labels == {"wlc.dev/workload": "w", "wlc.dev/project": "p"}
    assert "labels" not in find(objs, "Job")["metadata"]


def test_spec_and_metadata_labels_go_on_object_and_pod_template() -> None:
    rw = workload(meta_labels={"owner": "alice"}, meta_annotations={"note": "x"},
                  labels=[{"name": "team", "value": "vision"}], annotations=[{"name": "cost", "value": 7}],
                  storage={"pvc": [{"claimName": "c", "path": "/c", "claimInfo": {"size": "1Gi"}}]})
    objs, _ = lower(rw)
    for obj in objs:
        assert obj["metadata"]["labels"] == {"owner": "alice", "team": "vision"}
        assert obj["metadata"]["annotations"] == {"note": "x", "cost": "7"}
    tmpl = find(objs, "Job")["spec"]["template"]["metadata"]
    assert tmpl["labels"]["team"] == "vision" and tmpl["labels"]["owner"] == "alice"
    assert tmpl["annotations"] == {"note": "x", "cost": "7"}


def test_user_label_cannot_replace_pod_selector_labels() -> None:
    objs, problems = lower(workload(name="w", labels=[{"name": "wlc.dev/workload", "value": "other"}]))
    assert find(objs, "Job")["spec"]["template"]["metadata"]["labels"]["wlc.dev/workload"] == "w"
    assert "wlc sets this key itself" in only(problems, "lower.metadata").message


def test_other_wlc_dev_annotations_are_allowed() -> None:
    _, problems = lower(workload(annotations=[{"name": "wlc.dev/owner", "value": "a@example.com"}]))
    assert problems == []


def test_invalid_label_value_is_a_problem() -> None:
    _, problems = lower(workload(labels=[{"name": "team", "value": "has space"}]))
    assert only(problems, "lower.metadata").field == "spec.labels[0]"


def test_invalid_metadata_annotation_key_is_a_problem() -> None:
    _, problems = lower(workload(meta_annotations={"bad key": "x"}))
    assert only(problems, "lower.metadata").field == "metadata.annotations.bad key"


def test_job_counts_and_ttl() -> None:
    objs, _ = lower(workload(backoffLimit=3, completions=4, parallelism=2,
                             autoDeletionTimeAfterCompletionSeconds=600))
    spec = find(objs, "Job")["spec"]
    assert (spec["backoffLimit"], spec["completions"], spec["parallelism"], spec["ttlSecondsAfterFinished"]) \
        == (3, 4, 2, 600)


def test_parallelism_above_completions_is_a_problem() -> None:
    objs, problems = lower(workload(completions=2, parallelism=3))
    assert only(problems, "lower.parallelism").field == "spec.parallelism"
    assert "parallelism" not in find(objs, "Job")["spec"]


def test_negative_backoff_limit_is_a_problem() -> None:
    _, problems = lower(workload(backoffLimit=-1))
    assert only(problems, "lower.count").field == "spec.backoffLimit"


def test_stopped_training_is_suspended() -> None:
    objs, _ = lower(workload(active=False))
    assert find(objs, "Job")["spec"]["suspend"] is True


def test_stopped_kueue_job_warns_about_readmission() -> None:
    _, problems = lower(workload(active=False), target(scheduler="kueue"))
    assert only(problems, "lower.kueue-stop").severity == "warning"


def test_terminate_after_preemption_fails_the_job_on_disruption() -> None:
    objs, _ = lower(workload(terminateAfterPreemption=True))
    assert find(objs, "Job")["spec"]["podFailurePolicy"] == {
        "rules": [{"action": "FailJob", "onPodConditions": [{"type": "DisruptionTarget"}]}]}


def test_no_terminate_after_preemption_ignores_disruption() -> None:
    objs, _ = lower(workload(terminateAfterPreemption=False))
    assert find(objs, "Job")["spec"]["podFailurePolicy"]["rules"][0]["action"] == "Ignore"


def test_job_name_longer_than_63_is_a_problem() -> None:
    rw = workload(name="a" * 64)
    _, problems = lower(rw, check=False)
    p = only(problems, "lower.name-too-long")
    assert p.field == "metadata.name" and (p.line, p.col) == rw.doc.locs[("metadata", "name")]


def test_job_name_of_63_is_fine() -> None:
    _, problems = lower(workload(name="a" * 63))
    assert problems == []


def test_lowering_is_deterministic() -> None:
    spec: dict[str, Any] = {"nodePools": ["b", "a"], "ports": [{"container": 1}],
            "environmentVariables": [{"name": "A", "value": "1"}],
            "storage": {"nfs": [{"name": "n", "server": "s", "path": "/p", "mountPath": "/m"}]}}
    assert lower(workload(**spec)) == lower(workload(**spec))


def test_unknown_kind_is_not_lowered() -> None:
    objs, problems = lower(workload("OtherWorkload"))
    p = only(problems, "lower.unsupported-kind")
    assert objs == [] and p.field == "kind" and p.file == "workloads/team-a/w1.yaml"


def test_every_object_is_in_the_workload_namespace() -> None:
    objs, _ = lower(workload("interactive", project="x", ports=[{"container": 1}], exposedUrls=[{"container": 2}],
                             storage={"pvc": [{"claimName": "c", "path": "/c", "claimInfo": {"size": "1Gi"}}]}),
                    target(kubernetes_version="1.29"))
    assert len(kinds(objs)) == 5 and {o["metadata"]["namespace"] for o in objs} == {"runai-x"}
