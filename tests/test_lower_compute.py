"""compute: whole GPUs, MIG, Run:ai fractions, CPU/memory, extended resources, /dev/shm."""
from __future__ import annotations

from typing import Any

from tests.lowerkit import container, lower, only, pod_spec, target, workload

RUNAI = target(scheduler="runai")


def _template_annotations(objs: list[dict[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = objs[0]["spec"]["template"]["metadata"].get("annotations", {})
    return found


def test_whole_gpus_become_an_integer_limit() -> None:
    objs, problems = lower(workload(compute={"gpuDevicesRequest": 2}))
    assert container(objs)["resources"] == {"limits": {"nvidia.com/gpu": 2}}
    assert problems == []


def test_gpu_resource_name_comes_from_the_target() -> None:
    objs, _ = lower(workload(compute={"gpuDevicesRequest": 1}), target(gpu_resource="amd.com/gpu"))
    assert container(objs)["resources"]["limits"] == {"amd.com/gpu": 1}


def test_mig_profile_becomes_a_mig_resource() -> None:
    objs, _ = lower(workload(compute={"gpuRequestType": "migProfile", "migProfile": "1g.5gb"}))
    assert container(objs)["resources"]["limits"] == {"nvidia.com/mig-1g.5gb": 1}


def test_fraction_on_default_scheduler_is_an_error() -> None:
    objs, problems = lower(workload(compute={"gpuPortionRequest": 0.5}))
    p = only(problems, "lower.gpu-sharing")
    assert p.severity == "error" and p.field == "spec.compute.gpuPortionRequest"
    assert p.message == ('GPU portion 0.5 needs a scheduler that can share GPUs (target scheduler is '
                         '"default"; set scheduler: runai)')
    assert "resources" not in container(objs)


def test_fraction_on_kueue_is_an_error_too() -> None:
    _, problems = lower(workload(compute={"gpuPortionRequest": 0.25}), target(scheduler="kueue"))
    assert '"kueue"' in only(problems, "lower.gpu-sharing").message


def test_gpu_memory_on_default_scheduler_is_an_error() -> None:
    _, problems = lower(workload(compute={"gpuRequestType": "memory", "gpuMemoryRequest": "4Gi"}))
    assert only(problems, "lower.gpu-sharing").field == "spec.compute.gpuMemoryRequest"


def test_fraction_on_runai_is_a_string_annotation_without_gpu_limit() -> None:
    objs, problems = lower(workload(compute={"gpuRequestType": "portion", "gpuPortionRequest": 0.5}), RUNAI)
    assert problems == []
    assert _template_annotations(objs) == {"gpu-fraction": "0.5"}
    assert "resources" not in container(objs)


def test_fraction_of_several_devices_sets_num_devices() -> None:
    objs, _ = lower(workload(compute={"gpuDevicesRequest": 2, "gpuPortionRequest": 0.25}), RUNAI)
    assert _template_annotations(objs) == {"gpu-fraction": "0.25", "gpu-fraction-num-devices": "2"}


def test_fraction_limit_becomes_dynamic_fraction_annotation() -> None:
    objs, _ = lower(workload(compute={"gpuPortionRequest": 0.25, "gpuPortionLimit": 0.8}), RUNAI)
    assert _template_annotations(objs) == {"gpu-fraction": "0.25", "gpu-fraction-limit": "0.8"}


def test_fraction_limit_below_request_is_a_problem() -> None:
    _, problems = lower(workload(compute={"gpuPortionRequest": 0.5, "gpuPortionLimit": 0.25}), RUNAI)
    assert only(problems, "lower.limit-below-request").field == "spec.compute.gpuPortionLimit"


def test_gpu_memory_annotation_is_in_mib() -> None:
    objs, _ = lower(workload(compute={"gpuRequestType": "memory", "gpuMemoryRequest": "4Gi",
                                      "gpuMemoryLimit": "8G"}), RUNAI)
    assert _template_annotations(objs) == {"gpu-memory": "4096", "gpu-memory-limit": "7630"}


def test_fraction_with_mig_is_an_error() -> None:
    _, problems = lower(workload(compute={"migProfile": "1g.5gb", "gpuPortionRequest": 0.5}), RUNAI)
    assert only(problems, "lower.gpu-sharing").field == "spec.compute.gpuPortionRequest"


def test_cpu_cores_become_canonical_quantities() -> None:
    objs, _ = lower(workload(compute={"cpuCoreRequest": 0.5, "cpuCoreLimit": 2}))
    res = container(objs)["resources"]
    assert res == {"requests": {"cpu": "500m"}, "limits": {"cpu": "2"}}


def test_cpu_memory_becomes_memory_requests_and_limits() -> None:
    objs, _ = lower(workload(compute={"cpuMemoryRequest": "1G", "cpuMemoryLimit": "2Gi"}))
    res = container(objs)["resources"]
    assert res == {"requests": {"memory": "1G"}, "limits": {"memory": "2Gi"}}


def test_cpu_limit_below_request_is_a_problem() -> None:
    _, problems = lower(workload(compute={"cpuCoreRequest": 2, "cpuCoreLimit": 1}))
    assert only(problems, "lower.limit-below-request").field == "spec.compute.cpuCoreLimit"


def test_memory_limit_below_request_is_a_problem_across_units() -> None:
    _, problems = lower(workload(compute={"cpuMemoryRequest": "2Gi", "cpuMemoryLimit": "2G"}))
    assert only(problems, "lower.limit-below-request").field == "spec.compute.cpuMemoryLimit"


def test_invalid_memory_quantity_is_a_problem() -> None:
    _, problems = lower(workload(compute={"cpuMemoryRequest": "lots"}))
    assert only(problems, "lower.quantity").field == "spec.compute.cpuMemoryRequest"


def test_extended_resources_set_requests_equal_to_limits() -> None:
    ext = [{"resource": "hugepages-2Mi", "quantity": "1Gi"}, {"resource": "example.com/fpga", "quantity": 1}]
    objs, _ = lower(workload(compute={"extendedResources": ext}))
    res = container(objs)["resources"]
    assert res["requests"] == res["limits"] == {"hugepages-2Mi": "1Gi", "example.com/fpga": "1"}


def test_large_shm_mounts_memory_emptydir_sized_by_memory_limit() -> None:
    objs, _ = lower(workload(compute={"largeShmRequest": True, "cpuMemoryLimit": "16Gi"}))
    assert pod_spec(objs)["volumes"] == [{"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "16Gi"}}]
    assert container(objs)["volumeMounts"] == [{"name": "dshm", "mountPath": "/dev/shm"}]


def test_large_shm_without_memory_limit_has_no_size_limit() -> None:
    objs, _ = lower(workload(compute={"largeShmRequest": True}))
    assert pod_spec(objs)["volumes"] == [{"name": "dshm", "emptyDir": {"medium": "Memory"}}]


def test_gpu_limit_without_request_is_a_problem() -> None:
    _, problems = lower(workload(compute={"gpuDevicesRequest": 1, "gpuPortionLimit": 0.5}), RUNAI)
    assert only(problems, "lower.gpu-limit-without-request").field == "spec.compute.gpuPortionLimit"
