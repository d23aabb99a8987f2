"""Every object of every bundle under a `wlc build` output passes a server-side dry run.

Bundles come from `python -m compiler.cli build --repo <repo> --out <tmp> [--overlay NAME]`
(command `wlc build`) for the base and every overlays/<NAME>/overlay.yaml, and from a small
hand-written bundle of every kind wlc emits, so that the CRDs in tests/cluster/crds are exercised
whatever the examples contain. Layout: OUT/<overlay>/<namespace>/<workload>.yaml
(multi-document YAML) and OUT/<overlay>/index.json.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from controlplane import Cluster

pytestmark = pytest.mark.cluster

REPO = Path(__file__).resolve().parents[2]


def _labels(workload: str, project: str, kind: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/managed-by": "wlc",
        "wlc.dev/workload": workload,
        "wlc.dev/project": project,
        "wlc.dev/workload-type": kind,
        "applyset.kubernetes.io/part-of": f"applyset-sample-{workload}-v1",
    }


def _meta(name: str, ns: str, workload: str, kind: str) -> dict[str, Any]:
    return {"name": name, "namespace": ns, "labels": _labels(workload, "team-a", kind)}


def _pod(name: str, gpus: int = 1, restart: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "containers": [
            {
                "name": name,
                "image": "registry.example/img:1.0",
                "resources": {"limits": {"nvidia.com/gpu": str(gpus)}, "requests": {"nvidia.com/gpu": str(gpus)}},
            }
        ]
    }
    if restart:
        spec["restartPolicy"] = restart
    return {"metadata": {"labels": {"wlc.dev/workload": name, "wlc.dev/project": "team-a"}}, "spec": spec}


def replica(container: str, replicas: int, restart: str) -> dict[str, Any]:
    """A Kubeflow ReplicaSpec."""
    return {"replicas": replicas, "restartPolicy": restart, "template": _pod(container)}


def sample_bundles(ns: str) -> dict[str, list[dict[str, Any]]]:
    """One small bundle per workload type and backend, as wlc lowers them."""
    return {
        "train": [
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta("train-applyset", ns, "train", "training"),
             "data": {}},
            {"apiVersion": "batch/v1", "kind": "Job", "metadata": _meta("train", ns, "train", "training"),
             "spec": {"backoffLimit": 6, "ttlSecondsAfterFinished": 3600, "suspend": False,
                      "template": _pod("train", restart="Never")}},
        ],
        "notebook": [
            {"apiVersion": "v1", "kind": "Service", "metadata": _meta("notebook", ns, "notebook", "interactive"),
             "spec": {"selector": {"wlc.dev/workload": "notebook"}, "ports": [{"name": "http", "port": 8888}]}},
            {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": _meta("notebook", ns, "notebook", "interactive"),
             "spec": {"replicas": 1, "serviceName": "notebook",
                      "selector": {"matchLabels": {"wlc.dev/workload": "notebook"}}, "template": _pod("notebook")}},
        ],
        "ddp": [
            {"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob", "metadata": _meta("ddp", ns, "ddp", "distributed"),
             "spec": {"runPolicy": {"cleanPodPolicy": "Running"},
                      "pytorchReplicaSpecs": {"Master": replica("pytorch", 1, "OnFailure"),
                                              "Worker": replica("pytorch", 3, "OnFailure")}}},
        ],
        "tf": [
            {"apiVersion": "kubeflow.org/v1", "kind": "TFJob", "metadata": _meta("tf", ns, "tf", "distributed"),
             "spec": {"tfReplicaSpecs": {"Chief": replica("tensorflow", 1, "Never"),
                                         "Worker": replica("tensorflow", 2, "Never")}}},
        ],
        "mpi": [
            {"apiVersion": "kubeflow.org/v2beta1", "kind": "MPIJob", "metadata": _meta("mpi", ns, "mpi", "distributed"),
             "spec": {"slotsPerWorker": 8, "runPolicy": {"cleanPodPolicy": "Running"},
                      "mpiReplicaSpecs": {"Launcher": replica("launcher", 1, "OnFailure"),
                                          "Worker": replica("worker", 2, "Never")}}},
        ],
        "serve": [
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": _meta("serve", ns, "serve", "inference"),
             "spec": {"replicas": 1, "selector": {"matchLabels": {"wlc.dev/workload": "serve"}},
                      "template": _pod("serve")}},
            {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
             "metadata": _meta("serve", ns, "serve", "inference"),
             "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "serve"},
                      "minReplicas": 1, "maxReplicas": 3}},
        ],
        "kn": [
            {"apiVersion": "serving.knative.dev/v1", "kind": "Service", "metadata": _meta("kn", ns, "kn", "inference"),
             "spec": {"template": {"metadata": {"annotations": {"autoscaling.knative.dev/min-scale": "0"}},
                                   "spec": {"containerConcurrency": 0, "containers": _pod("kn")["spec"]["containers"]}},
                      "traffic": [{"latestRevision": True, "percent": 100}]}},
        ],
        "isvc": [
            {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
             "metadata": _meta("isvc", ns, "isvc", "inference"),
             "spec": {"predictor": {"minReplicas": 1, "maxReplicas": 2,
                                    "model": {"modelFormat": {"name": "pytorch"}, "storageUri": "pvc://models/m"}}}},
        ],
    }


def write_sample_build(out: Path, overlay: str = "default", ns: str = "runai-team-a") -> None:
    folder = out / overlay / ns
    folder.mkdir(parents=True)
    index: dict[str, Any] = {"workloads": []}
    for workload, objects in sorted(sample_bundles(ns).items()):
        (folder / f"{workload}.yaml").write_text(yaml.safe_dump_all(objects, sort_keys=True))
        index["workloads"].append({"name": workload, "namespace": ns, "objects": [
            {"apiVersion": o["apiVersion"], "kind": o["kind"], "name": o["metadata"]["name"]} for o in objects]})
    (out / overlay / "index.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")


def overlays(repo: Path = REPO) -> list[str | None]:
    """None (the base build) and every overlays/<name>/overlay.yaml of the repository."""
    found = sorted(p.parent.name for p in (repo / "overlays").glob("*/overlay.yaml"))
    return [None, *found]


def wlc_build(out: Path, overlay: str | None) -> None:
    argv = [sys.executable, "-m", "compiler.cli", "build", "--repo", str(REPO), "--out", str(out)]
    if overlay:
        argv += ["--overlay", overlay]
    result = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False)
    assert result.returncode == 0, (
        f"wlc build (overlay {overlay or 'base'}) failed ({result.returncode}):\n{result.stdout}{result.stderr}"
    )


def bundle_files(out: Path) -> list[Path]:
    """Every OUT/<overlay>/<namespace>/<workload>.yaml next to an OUT/<overlay>/index.json."""
    files: list[Path] = []
    for index in sorted(out.rglob("index.json")):
        # the organisation (_organisation/, issue 11) is dry-run by tests/integration/test_org_resourcequota.py
        files += sorted(p for p in index.parent.glob("*/*.yaml") if p.parent.name != "_organisation")
    return files


def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def dry_run_all(cluster: Cluster, out: Path) -> None:
    """Server-side dry run of every bundle file under out; namespaces are created first."""
    files = bundle_files(out)
    assert files, f"no bundle files under {out}"
    failures: list[str] = []
    for path in files:
        docs = documents(path)
        assert docs, f"{path}: empty bundle"
        for ns in sorted({path.parent.name} | {d["metadata"].get("namespace") or path.parent.name for d in docs}):
            cluster.ensure_namespace(ns)
        result = cluster.kubectl(
            "apply", "--server-side", "--dry-run=server", "--field-manager=wlc", "-f", str(path), check=False
        )
        if result.returncode != 0:
            failures.append(f"{path.relative_to(out)}:\n{result.stdout}{result.stderr}")
        elif result.stdout.count("(server dry run)") != len(docs):
            failures.append(f"{path.relative_to(out)}: expected {len(docs)} objects:\n{result.stdout}")
    assert not failures, f"{len(failures)} of {len(files)} bundle files failed the dry run:\n" + "\n".join(failures)


def test_example_bundles_pass_server_dry_run(cluster: Cluster, tmp_path: Path) -> None:
    """`wlc build` of this repository, base and every overlay: each object passes dryRun=All."""
    for overlay in overlays():
        wlc_build(tmp_path / (overlay or "base"), overlay)
    dry_run_all(cluster, tmp_path)


def test_sample_bundles_of_every_kind_pass_server_dry_run(cluster: Cluster, tmp_path: Path) -> None:
    """Hand-written bundles of every kind wlc emits, CRD kinds included."""
    write_sample_build(tmp_path)
    dry_run_all(cluster, tmp_path)


@pytest.mark.parametrize(
    "bad, reason",
    [
        ({"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob", "spec": {}}, "pytorchReplicaSpecs"),
        ({"apiVersion": "kubeflow.org/v2beta1", "kind": "MPIJob",
          "spec": {"mpiReplicaSpecs": {}, "slotsPerWorker": "eight"}}, "slotsPerWorker"),
        ({"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
          "spec": {"predictor": {"model": {"modelFormat": {}}}}}, "name"),
        ({"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": {"spec": {"containers": []}}}}, "containers"),
    ],
    ids=["pytorchjob-no-replicas", "mpijob-bad-slots", "isvc-no-format-name", "job-no-containers"],
)
def test_server_dry_run_rejects_invalid_objects(cluster: Cluster, bad: dict[str, Any], reason: str) -> None:
    cluster.ensure_namespace("runai-team-a")
    obj = dict(bad, metadata={"name": "bad", "namespace": "runai-team-a"})
    result = cluster.kubectl(
        "apply", "--server-side", "--dry-run=server", "-f", "-", input=json.dumps(obj), check=False
    )
    assert result.returncode != 0, result.stdout
    assert reason in result.stderr
