"""Distributed → Kubeflow PyTorchJob / TFJob / MPIJob / XGBoostJob: topologies, sections, lifecycle,
schedulers."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from compiler import pipeline
from compiler.load import parse_documents
from compiler.normalize import normalize
from compiler.verify import unknown_kinds
from compiler.verify.crd import crd_errors
from tests.lowerkit import codes, find, kinds, lower, only, target, workload
from tests.verbskit import example_repo, wlc

GPU = {"gpuDevicesRequest": 1}


def dist(**spec: Any) -> Any:
    spec.setdefault("name", "job")
    return workload("distributed", **spec)


def replica_specs(objs: list[dict[str, Any]], kind: str, key: str) -> dict[str, Any]:
    return find(objs, kind)["spec"][key]  # type: ignore[no-any-return]


def container(spec: dict[str, Any]) -> dict[str, Any]:
    return spec["template"]["spec"]["containers"][0]  # type: ignore[no-any-return]


def env(spec: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in container(spec)["env"]}


def test_pytorch_with_master_and_workers() -> None:
    objs, problems = lower(dist(framework="PyTorch", workers=3, compute=GPU))
    job = find(objs, "PyTorchJob", "job")
    assert job["apiVersion"] == "kubeflow.org/v1" and problems == []
    specs = job["spec"]["pytorchReplicaSpecs"]
    assert {k: v["replicas"] for k, v in specs.items()} == {"Master": 1, "Worker": 3}
    for spec in specs.values():
        assert spec["restartPolicy"] == "OnFailure" == spec["template"]["spec"]["restartPolicy"]
        assert container(spec)["name"] == "pytorch"
        assert container(spec)["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert specs["Master"]["template"]["metadata"]["labels"]["wlc.dev/replica-type"] == "master"
    assert job["spec"]["runPolicy"] == {"cleanPodPolicy": "Running"}
    assert unknown_kinds(objs, "1.37") == []


def test_pytorch_without_master() -> None:
    objs, _ = lower(dist(framework="PyTorch", workers=2, noMaster=True))
    assert list(replica_specs(objs, "PyTorchJob", "pytorchReplicaSpecs")) == ["Worker"]


def test_pytorch_master_only_when_no_workers() -> None:
    objs, _ = lower(dist(framework="PyTorch", workers=0))
    assert list(replica_specs(objs, "PyTorchJob", "pytorchReplicaSpecs")) == ["Master"]


def test_no_pods_at_all_is_a_problem() -> None:
    objs, problems = lower(dist(framework="PyTorch", workers=0, noMaster=True))
    assert objs == [] and only(problems, "lower.topology").field == "spec.workers"


def test_elastic_pytorch() -> None:
    objs, problems = lower(dist(framework="PyTorch", workers=3, noMaster=True, minReplicas=2, maxReplicas=5))
    job = find(objs, "PyTorchJob")
    assert job["spec"]["elasticPolicy"] == {"minReplicas": 2, "maxReplicas": 5, "rdzvBackend": "c10d"}
    assert job["spec"]["pytorchReplicaSpecs"]["Worker"]["replicas"] == 3 and problems == []


@pytest.mark.parametrize("spec, code", [
    ({"minReplicas": 4, "maxReplicas": 2}, "lower.elastic"),
    ({"minReplicas": 4, "maxReplicas": 8}, "lower.elastic"),  # workers 3 below min
    ({"framework": "TF", "minReplicas": 1}, "lower.not-applicable"),
    ({"framework": "TF", "slotsPerWorker": 2}, "lower.not-applicable"),
    ({"tfReplicas": {"ps": 1}}, "lower.not-applicable"),
    ({"framework": "Horovod"}, "lower.framework"),
    ({"framework": "XGBoost", "noMaster": True}, "lower.topology"),
    ({"framework": "XGBoost", "slotsPerWorker": 2}, "lower.not-applicable"),
    ({"framework": "XGBoost", "minReplicas": 1}, "lower.not-applicable"),
    ({"framework": "MPI", "noMaster": True}, "lower.topology"),
    ({"framework": "MPI", "workers": 0}, "lower.topology"),
    ({"cleanPodPolicy": "Sometimes"}, "lower.clean-pod-policy"),
])
def test_invalid_topologies_are_problems(spec: dict[str, Any], code: str) -> None:
    base: dict[str, Any] = {"framework": "PyTorch", "workers": 3}
    _, problems = lower(dist(**{**base, **spec}), check=False)
    assert code in codes(problems, "error")


def test_tf_chief_ps_workers_evaluator() -> None:
    objs, problems = lower(dist(framework="TF", workers=4, tfReplicas={"ps": 2, "evaluator": 1}))
    specs = replica_specs(objs, "TFJob", "tfReplicaSpecs")
    assert {k: v["replicas"] for k, v in specs.items()} == {"Chief": 1, "PS": 2, "Worker": 4, "Evaluator": 1}
    assert all(container(s)["name"] == "tensorflow" and s["restartPolicy"] == "Never" for s in specs.values())
    assert specs["PS"]["template"]["metadata"]["labels"]["wlc.dev/replica-type"] == "ps"
    assert find(objs, "TFJob")["apiVersion"] == "kubeflow.org/v1" and problems == []


def test_tf_workers_only() -> None:
    objs, _ = lower(dist(framework="TF", workers=2, noMaster=True))
    assert list(replica_specs(objs, "TFJob", "tfReplicaSpecs")) == ["Worker"]


def test_mpi_launcher_and_workers_with_slots() -> None:
    objs, problems = lower(dist(framework="MPI", workers=2, slotsPerWorker=4, compute=GPU,
                                master={"command": "mpirun -np 8 app", "compute": {"gpuDevicesRequest": 0}},
                                worker={"command": "/usr/sbin/sshd -De"}))
    job = find(objs, "MPIJob")
    assert job["apiVersion"] == "kubeflow.org/v2beta1" and job["spec"]["slotsPerWorker"] == 4
    assert job["spec"]["launcherCreationPolicy"] == "WaitForWorkersReady"  # not the operator's AtStartup
    specs = job["spec"]["mpiReplicaSpecs"]
    assert (specs["Launcher"]["replicas"], specs["Worker"]["replicas"]) == (1, 2)
    assert (specs["Launcher"]["restartPolicy"], specs["Worker"]["restartPolicy"]) == ("OnFailure", "Never")
    assert container(specs["Launcher"])["command"] == ["mpirun", "-np", "8", "app"]
    assert "resources" not in container(specs["Launcher"])
    assert container(specs["Worker"])["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert problems == []


def test_mpi_launcher_waits_for_ready_workers_without_slots_too() -> None:
    objs, problems = lower(dist(framework="MPI", workers=1))
    assert find(objs, "MPIJob")["spec"]["launcherCreationPolicy"] == "WaitForWorkersReady"
    assert "slotsPerWorker" not in find(objs, "MPIJob")["spec"] and problems == []


@pytest.mark.parametrize("framework, kind", [("PyTorch", "PyTorchJob"), ("TF", "TFJob")])
def test_launcher_policy_is_mpi_only(framework: str, kind: str) -> None:
    objs, _ = lower(dist(framework=framework, workers=1))
    assert "launcherCreationPolicy" not in find(objs, kind)["spec"]


def test_xgboost_master_and_workers() -> None:
    # Run:ai: runai submit-dist xgboost --name distributed-job --workers=2 -g 1 -i <image>
    # (docs/Researcher/cli-reference/runai-submit-dist-xgboost.md)
    objs, problems = lower(dist(framework="XGBoost", workers=2, compute=GPU, cleanPodPolicy="All"))
    job = find(objs, "XGBoostJob", "job")
    assert job["apiVersion"] == "kubeflow.org/v1" and problems == []
    specs = job["spec"]["xgbReplicaSpecs"]
    assert {k: v["replicas"] for k, v in specs.items()} == {"Master": 1, "Worker": 2}
    for role, spec in specs.items():
        assert spec["restartPolicy"] == "Never" == spec["template"]["spec"]["restartPolicy"]
        assert container(spec)["name"] == "xgboost"  # the operator's webhook requires it
        assert container(spec)["resources"]["limits"]["nvidia.com/gpu"] == 1
        assert spec["template"]["metadata"]["labels"]["wlc.dev/replica-type"] == role.lower()
    assert job["spec"]["runPolicy"] == {"cleanPodPolicy": "All"}
    assert unknown_kinds(objs, "1.37") == []


def test_wlc_new_distributed_framework_xgboost(tmp_path: Path) -> None:
    repo = example_repo(tmp_path)
    code, _, err = wlc(repo, "new", "distributed", "xgb-1", "-p", "nlp", "--framework", "xgboost", "--workers", "2",
                       "-i", "nvcr.io/nvidia/rapidsai/base:24.10-cuda12.5-py3.11", "-g", "1")
    assert code == 0, err
    res = pipeline.build(repo)
    assert res.ok, [p.text() for p in res.problems if p.severity == "error"]
    objs = [dict(o) for b in res.bundles if b.name == "xgb-1" for o in b.objects]
    specs = replica_specs(objs, "XGBoostJob", "xgbReplicaSpecs")
    assert {k: v["replicas"] for k, v in specs.items()} == {"Master": 1, "Worker": 2}


def test_runai_xgboost_document_becomes_an_xgboost_job() -> None:
    """A Run:ai DistributedWorkload with jobType XGBoost (the Cluster API's distributed kind)."""
    text = ("apiVersion: run.ai/v2alpha1\nkind: DistributedWorkload\nmetadata: {name: xgb}\nspec:\n"
            "  jobType: {value: XGBoost}\n  workers: {value: 2}\n  image: {value: busybox:1.36}\n")
    docs, _ = parse_documents(text, "xgb.yaml")
    native, problems = normalize(docs[0])
    assert native is not None and problems == [] and native.data["spec"]["framework"] == "XGBoost"
    objs, problems = lower(dist(**{k: v for k, v in native.data["spec"].items() if k != "name"}))
    assert {k: v["replicas"] for k, v in replica_specs(objs, "XGBoostJob", "xgbReplicaSpecs").items()} == \
        {"Master": 1, "Worker": 2}


def test_xgboost_master_only() -> None:
    objs, problems = lower(dist(framework="XGBoost", workers=0))
    assert list(replica_specs(objs, "XGBoostJob", "xgbReplicaSpecs")) == ["Master"] and problems == []


def test_xgboost_is_verified_against_its_crd_schema() -> None:
    objs, _ = lower(dist(framework="XGBoost", workers=1))
    job = find(objs, "XGBoostJob")
    del job["spec"]["xgbReplicaSpecs"]["Master"]  # the operator refuses a job without its Master
    assert crd_errors(job, "1.37")


def test_sections_merge_over_pod_level_fields_by_key() -> None:
    rw = dist(framework="PyTorch", workers=2, command="python train.py", compute={"gpuDevicesRequest": 2},
              environmentVariables=[{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
              master={"command": "python master.py", "compute": {"gpuDevicesRequest": 0, "cpuCoreRequest": 2},
                      "environmentVariables": [{"name": "B", "exclude": True}, {"name": "C", "value": "3"}]},
              worker={"environmentVariables": [{"name": "A", "value": "worker"}]})
    objs, problems = lower(rw)
    specs = replica_specs(objs, "PyTorchJob", "pytorchReplicaSpecs")
    master, worker = specs["Master"], specs["Worker"]
    assert container(master)["command"] == ["python", "master.py"]
    assert container(worker)["command"] == ["python", "train.py"]
    assert container(master)["resources"] == {"requests": {"cpu": "2"}}
    assert container(worker)["resources"]["limits"]["nvidia.com/gpu"] == 2
    assert {k: v for k, v in env(master).items() if not k.startswith("RUNAI")} == {"A": "1", "C": "3"}
    assert {k: v for k, v in env(worker).items() if not k.startswith("RUNAI")} == {"A": "worker", "B": "2"}
    assert problems == []


def test_section_problems_point_into_the_section_and_are_not_repeated() -> None:
    rw = dist(framework="PyTorch", workers=2, compute={"gpuPortionRequest": 0.5})
    _, problems = lower(rw)
    assert codes(problems) == ["lower.gpu-sharing"]  # once, although two replica types use it
    _, problems = lower(dist(framework="PyTorch", workers=1, master={"compute": {"gpuPortionRequest": 0.5}}))
    assert only(problems, "lower.gpu-sharing").field.startswith("spec.master.compute")


def test_shared_new_pvc_is_emitted_once() -> None:
    pvc = {"claimName": "ckpt", "path": "/ckpt", "claimInfo": {"size": "10Gi"}}
    objs, problems = lower(dist(framework="PyTorch", workers=2, storage={"pvc": [pvc]}))
    assert [k for k in kinds(objs) if k[0] == "PersistentVolumeClaim"] == [("PersistentVolumeClaim", "ckpt")]
    assert problems == []


@pytest.mark.parametrize("framework, kind", [("PyTorch", "PyTorchJob"), ("TF", "TFJob"), ("MPI", "MPIJob"),
                                             ("XGBoost", "XGBoostJob")])
def test_lifecycle_and_active_false_suspend_each_kind(framework: str, kind: str) -> None:
    objs, _ = lower(dist(framework=framework, workers=2, active=False, cleanPodPolicy="All", backoffLimit=3,
                         autoDeletionTimeAfterCompletionSeconds=600))
    assert find(objs, kind)["spec"]["runPolicy"] == {"cleanPodPolicy": "All", "backoffLimit": 3,
                                                    "ttlSecondsAfterFinished": 600, "suspend": True}


def test_names_must_be_dns_1035_and_leave_room_for_replica_names() -> None:
    _, problems = lower(dist(name="1job", framework="PyTorch"), check=False)
    assert only(problems, "lower.name").field == "metadata.name"
    _, problems = lower(dist(name="a" * 54, framework="PyTorch", workers=12), check=False)
    assert "-worker-11" in only(problems, "lower.name-too-long").message


def test_services_of_ports_select_the_primary_pod() -> None:
    objs, _ = lower(dist(framework="PyTorch", workers=2, ports=[{"container": 6006}]))
    assert find(objs, "Service")["spec"]["selector"]["wlc.dev/replica-type"] == "master"
    objs, _ = lower(dist(framework="PyTorch", workers=2, noMaster=True, ports=[{"container": 6006}]))
    sel = find(objs, "Service")["spec"]["selector"]
    assert sel["wlc.dev/replica-type"] == "worker" and sel["training.kubeflow.org/replica-index"] == "0"


@pytest.mark.parametrize("framework, kind", [("PyTorch", "PyTorchJob"), ("TF", "TFJob"), ("MPI", "MPIJob"),
                                             ("XGBoost", "XGBoostJob")])
def test_runai_scheduler(framework: str, kind: str) -> None:
    objs, _ = lower(dist(framework=framework, workers=1, project="p"), target(scheduler="runai"))
    job = find(objs, kind)
    assert job["metadata"]["labels"]["runai/queue"] == "p"
    for spec in next(v for k, v in job["spec"].items() if k.endswith("ReplicaSpecs")).values():
        pod = spec["template"]
        assert pod["spec"]["schedulerName"] == "runai-scheduler"
        assert pod["spec"]["priorityClassName"] == "train"
        assert pod["metadata"]["labels"]["runai/queue"] == "p"


@pytest.mark.parametrize("framework, kind", [("PyTorch", "PyTorchJob"), ("TF", "TFJob"), ("MPI", "MPIJob"),
                                             ("XGBoost", "XGBoostJob")])
def test_kueue_scheduler_labels_and_suspends(framework: str, kind: str) -> None:
    objs, problems = lower(dist(framework=framework, workers=1, project="p"),
                           target(scheduler="kueue", kueue_queue="{project}-q"))
    job = find(objs, kind)
    assert job["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "p-q"
    assert job["spec"]["runPolicy"]["suspend"] is True and problems == []


def test_default_scheduler_sets_nothing() -> None:
    objs, _ = lower(dist(framework="PyTorch", workers=1))
    job = find(objs, "PyTorchJob")
    assert "labels" not in job["metadata"] and "suspend" not in job["spec"]["runPolicy"]
    pod = job["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]
    assert "schedulerName" not in pod and "priorityClassName" not in pod


def test_non_preemptible_without_priority_class_warns() -> None:
    _, problems = lower(dist(framework="PyTorch", workers=1, nonPreemptible=True))
    assert only(problems, "lower.non-preemptible").severity == "warning"
