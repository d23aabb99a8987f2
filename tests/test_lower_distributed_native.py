"""Distributed target native: indexed Job + headless Service; the environment read back per rank."""
from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.lowerkit import codes, find, lower, only, target, workload

NATIVE = target(distributed="native")
INDEX = "batch.kubernetes.io/job-completion-index"
_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
_ANNOTATION = re.compile(r"^metadata\.annotations\['(.+)'\]$")


def dist(**spec: Any) -> Any:
    spec.setdefault("name", "ddp")
    return workload("distributed", **spec)


def kubelet_env(pod: dict[str, Any], index: int) -> dict[str, str]:
    """The first container's environment as the kubelet resolves it for the pod with completion
    index ``index``: fieldRef on the pod's annotations (the Job controller sets the index
    annotation), then ``$(VAR)`` expanded from variables defined earlier in the list."""
    annotations = {**pod["metadata"].get("annotations", {}), INDEX: str(index)}
    out: dict[str, str] = {}
    for var in pod["spec"]["containers"][0]["env"]:
        if "valueFrom" in var:
            m = _ANNOTATION.match(var["valueFrom"]["fieldRef"]["fieldPath"])
            assert m, var
            out[var["name"]] = annotations.get(m.group(1), "")
        else:
            out[var["name"]] = _REF.sub(lambda r: out.get(r.group(1), r.group(0)), var.get("value", ""))
    return out


def test_pytorch_becomes_an_indexed_job_and_headless_service() -> None:
    objs, problems = lower(dist(framework="PyTorch", workers=3), NATIVE)
    job, svc = find(objs, "Job", "ddp"), find(objs, "Service", "ddp-headless")
    spec = job["spec"]
    assert (spec["completionMode"], spec["completions"], spec["parallelism"], spec["backoffLimit"]) == \
        ("Indexed", 4, 4, 0)
    assert spec["template"]["spec"]["subdomain"] == "ddp-headless"
    assert spec["template"]["spec"]["restartPolicy"] == "Never"
    assert svc["spec"]["clusterIP"] == "None" and svc["spec"]["publishNotReadyAddresses"] is True
    assert svc["spec"]["selector"] == {"wlc.dev/workload": "ddp", "wlc.dev/project": "team-a"}
    assert svc["spec"]["ports"][0]["port"] == 29500 and problems == []


@pytest.mark.parametrize("workers, no_master", [(3, False), (2, True)])
def test_torch_environment_per_rank(workers: int, no_master: bool) -> None:
    objs, _ = lower(dist(framework="PyTorch", workers=workers, noMaster=no_master), NATIVE)
    pod = find(objs, "Job")["spec"]["template"]
    nodes = workers + (0 if no_master else 1)
    for rank in range(nodes):
        env = kubelet_env(pod, rank)
        assert env["RANK"] == env["PET_NODE_RANK"] == str(rank)
        assert env["WORLD_SIZE"] == env["PET_NNODES"] == str(nodes)
        assert env["MASTER_ADDR"] == env["PET_MASTER_ADDR"] == "ddp-0.ddp-headless"
        assert env["MASTER_PORT"] == env["PET_MASTER_PORT"] == "29500"
        assert env["PET_NPROC_PER_NODE"] == "auto"
        assert env["RUNAI_JOB_NAME"] == "ddp"


def test_tf_config_per_rank() -> None:
    objs, problems = lower(dist(framework="TF", workers=3, noMaster=True), NATIVE)
    pod = find(objs, "Job")["spec"]["template"]
    assert find(objs, "Service", "ddp-headless")["spec"]["ports"][0]["port"] == 2222
    for rank in range(3):
        config = json.loads(kubelet_env(pod, rank)["TF_CONFIG"])
        assert config == {"cluster": {"worker": [f"ddp-{i}.ddp-headless:2222" for i in range(3)]},
                          "task": {"type": "worker", "index": rank}}
    assert problems == []


def test_user_variables_come_after_and_may_use_the_rank() -> None:
    rw = dist(framework="PyTorch", workers=1, environmentVariables=[{"name": "OUT", "value": "/ckpt/rank-$(RANK)"}])
    objs, _ = lower(rw, NATIVE)
    assert kubelet_env(find(objs, "Job")["spec"]["template"], 1)["OUT"] == "/ckpt/rank-1"


def test_user_variable_with_a_reserved_name_is_a_problem() -> None:
    rw = dist(framework="PyTorch", workers=1, environmentVariables=[{"name": "MASTER_PORT", "value": "1"}])
    _, problems = lower(rw, NATIVE, check=False)
    assert "MASTER_PORT" in only(problems, "lower.reserved-env").message


def test_worker_section_applies_to_every_rank() -> None:
    objs, problems = lower(dist(framework="PyTorch", workers=2, noMaster=True,
                                worker={"command": "torchrun train.py"}), NATIVE)
    assert find(objs, "Job")["spec"]["template"]["spec"]["containers"][0]["command"] == ["torchrun", "train.py"]
    assert problems == []


@pytest.mark.parametrize("spec, field", [
    ({"framework": "MPI", "workers": 2}, "spec.framework"),
    ({"framework": "XGBoost", "workers": 2}, "spec.framework"),
    ({"framework": "PyTorch", "workers": 2, "noMaster": True, "minReplicas": 1, "maxReplicas": 3},
     "spec.minReplicas"),
    ({"framework": "TF", "workers": 2}, "spec.noMaster"),
    ({"framework": "TF", "workers": 2, "noMaster": True, "tfReplicas": {"ps": 1}}, "spec.tfReplicas"),
    ({"framework": "PyTorch", "workers": 2, "master": {"command": "python m.py"}}, "spec.master"),
])
def test_what_needs_kubeflow_is_a_problem_naming_it(spec: dict[str, Any], field: str) -> None:
    objs, problems = lower(dist(**spec), NATIVE)
    p = only(problems, "lower.target")
    assert objs == [] and p.field == field and "kubeflow" in p.message


def test_lifecycle_and_active_false() -> None:
    objs, problems = lower(dist(framework="PyTorch", workers=1, active=False, backoffLimit=2,
                                autoDeletionTimeAfterCompletionSeconds=60, cleanPodPolicy="All"), NATIVE)
    spec = find(objs, "Job")["spec"]
    assert (spec["suspend"], spec["backoffLimit"], spec["ttlSecondsAfterFinished"]) == (True, 2, 60)
    assert codes(problems) == ["lower.clean-pod-policy"]  # a warning: no Job equivalent


def test_schedulers_on_native() -> None:
    objs, _ = lower(dist(framework="PyTorch", workers=1, project="p"), target(distributed="native", scheduler="runai"))
    job = find(objs, "Job")
    assert job["metadata"]["labels"]["runai/queue"] == "p"
    assert job["spec"]["template"]["spec"]["schedulerName"] == "runai-scheduler"
    assert job["spec"]["template"]["spec"]["priorityClassName"] == "train"
    objs, _ = lower(dist(framework="PyTorch", workers=1, project="p"), target(distributed="native", scheduler="kueue"))
    job = find(objs, "Job")
    assert job["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "p" and job["spec"]["suspend"] is True


def test_ports_reach_rank_zero() -> None:
    objs, _ = lower(dist(framework="PyTorch", workers=1, ports=[{"container": 6006}]), NATIVE)
    assert find(objs, "Service", "ddp")["spec"]["selector"][INDEX] == "0"


def test_long_names_are_problems() -> None:
    _, problems = lower(dist(name="a" * 60, framework="PyTorch", workers=1), NATIVE, check=False)
    assert "lower.name" in codes(problems)
