"""Cluster target settings for the distributed and inference kinds: every choice, the
unsupported combinations, the CRD schemas, and whole builds (examples, a native-target repo,
Run:ai Cluster API documents)."""
from __future__ import annotations

import copy
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from compiler import pipeline
from compiler.cli import main
from compiler.config import TARGET_KEYS
from compiler.lower import lower_workload
from compiler.model import Target
from compiler.verify import unknown_kinds, verify_objects
from tests.lowerkit import codes, kinds, lower, target, workload

ROOT = Path(__file__).resolve().parent.parent
NATIVE_REPO = ROOT / "tests" / "data" / "native-cluster"
RUNAI = ROOT / "tests" / "data" / "runai"
VERSIONS = ["1.32", "1.33", "1.34", "1.35", "1.36", "1.37"]


def dist(framework: str, **spec: Any) -> Any:
    spec.setdefault("workers", 2)
    if framework == "TF":
        spec.setdefault("noMaster", True)
    return workload("distributed", name="job", framework=framework, **spec)


def inf(**spec: Any) -> Any:
    return workload("inference", name="svc", servingPort={"container": 8080}, **spec)


def test_defaults_are_kubeflow_and_deployment() -> None:
    assert (Target().distributed, Target().inference) == ("kubeflow", "deployment")
    assert {"distributed", "inference", "knativeFeatures", "scheduler"} <= set(TARGET_KEYS)


@pytest.mark.parametrize("backend, framework, expected", [
    ("kubeflow", "PyTorch", [("PyTorchJob", "job")]),
    ("kubeflow", "TF", [("TFJob", "job")]),
    ("kubeflow", "MPI", [("MPIJob", "job")]),
    ("native", "PyTorch", [("Job", "job"), ("Service", "job-headless")]),
    ("native", "TF", [("Job", "job"), ("Service", "job-headless")]),
])
@pytest.mark.parametrize("scheduler", ["default", "runai", "kueue"])
def test_every_distributed_target(backend: str, framework: str, expected: list[tuple[str, str]],
                                  scheduler: str) -> None:
    objs, problems = lower(dist(framework), target(distributed=backend, scheduler=scheduler))
    assert kinds(objs) == expected and codes(problems, "error") == []
    assert unknown_kinds(objs, "1.37") == []


@pytest.mark.parametrize("backend, expected", [
    ("deployment", [("Deployment", "svc"), ("Service", "svc")]),
    ("knative", [("Service", "svc")]),
    ("kserve", [("InferenceService", "svc")]),
])
@pytest.mark.parametrize("scheduler", ["default", "runai"])
def test_every_inference_target(backend: str, expected: list[tuple[str, str]], scheduler: str) -> None:
    features = ("kubernetes.podspec-schedulername", "kubernetes.podspec-priorityclassname")
    objs, problems = lower(inf(), target(inference=backend, scheduler=scheduler, knative_features=features))
    assert kinds(objs) == expected and problems == []
    assert unknown_kinds(objs, "1.37") == []


@pytest.mark.parametrize("rw, tgt, code, says", [
    (dist("MPI"), target(distributed="native"), "lower.target", "needs the kubeflow target"),
    (inf(autoscaling={"minReplicas": 0, "maxReplicas": 1}), target(), "lower.scale-to-zero", "knative"),
    (inf(autoscaling={"minReplicas": 0, "maxReplicas": 1}), target(inference="kserve"), "lower.scale-to-zero",
     "knative"),
    (dist("PyTorch", compute={"gpuPortionRequest": 0.5}), target(), "lower.gpu-sharing", "runai"),
    (inf(compute={"gpuMemoryRequest": "4Gi"}), target(inference="knative"), "lower.gpu-sharing", "runai"),
    (inf(), target(inference="knative", scheduler="kueue"), "lower.target", "kueue"),
    (dist("PyTorch", minReplicas=1, maxReplicas=3, noMaster=True), target(distributed="native"), "lower.target",
     "kubeflow"),
    (dist("PyTorch"), target(distributed="volcano"), "lower.target", "kubeflow or native"),
    (inf(), target(inference="seldon"), "lower.target", "deployment, knative or kserve"),
    (inf(nodePools=["a"]), target(inference="knative"), "lower.knative-feature", "kubernetes.podspec-affinity"),
])
def test_unsupported_combinations_are_problems(rw: Any, tgt: Target, code: str, says: str) -> None:
    _, problems = lower_workload(rw, tgt)
    found = [p for p in problems if p.code == code and p.severity == "error"]
    assert found and says in found[0].message, [p.text() for p in problems]


@pytest.mark.parametrize("version", VERSIONS)
def test_crd_objects_verify_for_every_kubernetes_version(version: str) -> None:
    cases = [(dist("PyTorch", noMaster=False), target(kubernetes_version=version)),
             (dist("TF", noMaster=False, tfReplicas={"ps": 1}), target(kubernetes_version=version)),
             (dist("MPI", slotsPerWorker=2), target(kubernetes_version=version)),
             (inf(), target(kubernetes_version=version, inference="knative")),
             (inf(), target(kubernetes_version=version, inference="kserve"))]
    for rw, tgt in cases:
        objs, problems = lower_workload(rw, tgt)
        assert problems == [] and verify_objects(objs, version) == [] and unknown_kinds(objs, version) == []


def _first(rw: Any, tgt: Target) -> dict[str, Any]:
    return copy.deepcopy(lower_workload(rw, tgt)[0][0])


def test_crd_schemas_reject_what_the_upstream_api_rejects() -> None:
    bad = []
    job = _first(dist("PyTorch", noMaster=False), target())
    job["spec"]["pytorchReplicaSpecs"]["Worker"]["template"]["spec"]["containers"][0]["name"] = "main"
    bad.append(job)
    job = _first(dist("PyTorch", noMaster=False), target())
    job["spec"]["pytorchReplicaSpecs"]["Master"]["replicas"] = 2
    bad.append(job)
    job = _first(dist("TF", noMaster=False), target())
    job["spec"]["tfReplicaSpecs"]["Master"] = job["spec"]["tfReplicaSpecs"]["Chief"]
    bad.append(job)
    job = _first(dist("MPI"), target())
    del job["spec"]["mpiReplicaSpecs"]["Launcher"]
    bad.append(job)
    job = _first(dist("PyTorch"), target())
    job["spec"]["runPolicy"]["cleanPodPolicy"] = "Sometimes"
    bad.append(job)
    job = _first(dist("PyTorch"), target())
    job["metadata"]["name"] = "1job"
    bad.append(job)
    svc = _first(inf(), target(inference="knative"))
    svc["spec"]["template"]["spec"]["restartPolicy"] = "Always"
    bad.append(svc)
    isvc = _first(inf(), target(inference="kserve"))
    isvc["spec"]["predictor"]["containers"][0]["bogus"] = 1
    bad.append(isvc)
    for obj in bad:
        assert verify_objects([obj], "1.37") != [], obj["kind"]


def test_crd_schemas_are_up_to_date() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "schemas" / "crds" / "make.py"), "--check"],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout


def test_native_cluster_repo_builds_with_its_overlay(tmp_path: Path) -> None:
    base = pipeline.build(NATIVE_REPO)
    assert [p.code for p in base.problems] == ["lower.scale-to-zero"]  # the default target cannot
    res = pipeline.build(NATIVE_REPO, overlay="native")
    assert res.ok, [p.text() for p in res.problems]
    built = {b.name: sorted(o["kind"] for o in b.objects if o["kind"] != "ConfigMap") for b in res.bundles}
    assert built == {"ddp": ["Job", "Service"], "tf-workers": ["Job", "Service"], "sentiment": ["Service"]}
    out = CliRunner().invoke(main, ["build", "--repo", str(NATIVE_REPO), "--overlay", "native",
                                    "--out", str(tmp_path)])
    assert out.exit_code == 0, out.output


@pytest.mark.parametrize("overlay", [None, "knative", "kserve"])
def test_examples_build_for_each_inference_target(overlay: str | None, tmp_path: Path) -> None:
    res = pipeline.build(ROOT, overlay=overlay)
    mine = {"llm-pretrain", "elastic-finetune", "tf-parameter-server", "mpi-allreduce", "ranker-serving",
            "chat-grpc"}
    assert [p.text() for p in res.problems if p.severity == "error" and Path(p.file).stem in mine] == []
    kinds_built = {o["kind"] for b in res.bundles if b.name in mine for o in b.objects}
    assert {"PyTorchJob", "TFJob", "MPIJob"} <= kinds_built
    expected = {None: "Deployment", "knative": "Service", "kserve": "InferenceService"}[overlay]
    assert expected in kinds_built


def _repo(tmp_path: Path, project: str, files: list[str], target_yaml: str = "scheduler: default") -> Path:
    (tmp_path / "workloads" / project).mkdir(parents=True)
    (tmp_path / "wlc.yaml").write_text(
        "apiVersion: wlc.dev/v1alpha1\nkind: Repository\nmetadata:\n  name: r\nspec:\n"
        f"  workloadRoots: [workloads]\n  target: {{{target_yaml}}}\n")
    (tmp_path / "org.yaml").write_text(
        f"apiVersion: wlc.dev/v1alpha1\nkind: Project\nmetadata:\n  name: {project}\n")
    for name in files:
        shutil.copy(RUNAI / name, tmp_path / "workloads" / project / name)
    return tmp_path


@pytest.mark.parametrize("file, project, kind", [
    ("distributed-pytorch.yaml", "research", "PyTorchJob"),
    ("distributed-mpi.yaml", "hpc", "MPIJob"),
])
def test_runai_distributed_workload_in_a_workloads_folder_builds(file: str, project: str, kind: str,
                                                                 tmp_path: Path) -> None:
    res = pipeline.build(_repo(tmp_path, project, [file]))
    assert res.ok, [p.text() for p in res.problems]
    [bundle] = res.bundles
    assert kind in {o["kind"] for o in bundle.objects}


def test_runai_inference_workload_builds_on_runai_and_knative(tmp_path: Path) -> None:
    """Run:ai serves inference with Knative and shares GPUs with its scheduler: the same target here."""
    settings = ("scheduler: runai, inference: knative, knativeFeatures: [kubernetes.podspec-schedulername, "
                "kubernetes.podspec-priorityclassname]")
    res = pipeline.build(_repo(tmp_path, "team-a", ["inference-v1alpha1.yaml"], settings))
    assert res.ok, [p.text() for p in res.problems]
    svc = next(o for o in res.bundles[0].objects if o["kind"] == "Service")
    annotations = svc["spec"]["template"]["metadata"]["annotations"]
    assert annotations["gpu-fraction"] == "0.5" and annotations["autoscaling.knative.dev/metric"] == "concurrency"
