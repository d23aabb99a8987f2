"""pod_template: the one pod builder that every workload type (and distributed sections) reuse."""
from __future__ import annotations

from compiler.lower.pod import pod_template
from tests.lowerkit import target, workload
from tests.treekit import sub


def test_section_spec_is_lowered_with_its_own_container_name_and_restart_policy() -> None:
    rw = workload("distributed", master={"image": "pytorch:2", "compute": {"gpuDevicesRequest": 1}})
    pod = pod_template(rw, target(), spec=sub(rw.spec, "master"), container_name="pytorch",
                       restart_policy="OnFailure", prefix=("master",), extra_labels={"role": "master"})
    spec = pod.template["spec"]
    assert spec["containers"][0]["name"] == "pytorch" and spec["containers"][0]["image"] == "pytorch:2"
    assert spec["restartPolicy"] == "OnFailure"
    assert pod.template["metadata"]["labels"] == {"role": "master", "wlc.dev/workload": "w1",
                                                  "wlc.dev/project": "team-a"}
    assert pod.problems == []


def test_problems_in_a_section_point_into_that_section() -> None:
    rw = workload("distributed", worker={"image": "x", "compute": {"gpuPortionRequest": 0.5}})
    pod = pod_template(rw, target(), spec=sub(rw.spec, "worker"), prefix=("worker",))
    [p] = pod.problems
    assert p.code == "lower.gpu-sharing" and p.field == "spec.worker.compute.gpuPortionRequest"
    assert (p.line, p.col) == rw.doc.locs[("spec", "worker", "compute", "gpuPortionRequest")]


def test_extra_labels_never_replace_the_selector_labels() -> None:
    rw = workload()
    pod = pod_template(rw, target(), extra_labels={"wlc.dev/workload": "other"})
    assert pod.template["metadata"]["labels"]["wlc.dev/workload"] == "w1"


def test_new_pvcs_are_side_objects() -> None:
    rw = workload(storage={"pvc": [{"claimName": "c", "path": "/c", "claimInfo": {"size": "1Gi"}}]})
    pod = pod_template(rw, target())
    assert [o["kind"] for o in pod.objects] == ["PersistentVolumeClaim"]


def test_container_ports_are_reported_in_spec_order() -> None:
    rw = workload(ports=[{"container": 22}, {"container": 80}], exposedUrls=[{"container": 80}, {"container": 443}])
    assert pod_template(rw, target()).container_ports == [22, 80, 443]
