"""wlc's own bundles on the real control plane: a compiled Training workload runs to completion
on fake GPU nodes of its node pools, and kubectl's ApplySet tooling agrees with the bundle's
ApplySet parent (same id, same group-kinds) and prunes by the bundle's part-of label."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from controlplane import Cluster

from compiler import pipeline

pytestmark = pytest.mark.cluster

REPO = Path(__file__).resolve().parents[2]
PART_OF = "applyset.kubernetes.io/part-of"


def bundle(name: str) -> list[dict[str, Any]]:
    res = pipeline.build(REPO)
    assert res.ok, [p.text() for p in res.problems]
    found = next(b for b in res.bundles if b.name == name)
    return list(yaml.safe_load_all(res.files[found.relpath]))


def test_compiled_training_bundle_runs_on_gpu_nodes_of_its_pools(cluster: Cluster) -> None:
    objects = bundle("eval-sweep")  # 4 completions, 2 at a time, one GPU each, pools h100 then a100
    ns = objects[0]["metadata"]["namespace"]
    cluster.ensure_namespace(ns)
    cluster.kubectl("apply", "--server-side", "--field-manager=wlc", "-f", "-", input=json.dumps(
        {"apiVersion": "v1", "kind": "List", "items": objects}))
    cluster.kubectl("wait", "-n", ns, "--for=condition=Complete", "--timeout=180s", "job/eval-sweep")
    pods = cluster.kubectl_json("get", "pods", "-n", ns, "-l", "batch.kubernetes.io/job-name=eval-sweep")["items"]
    nodes = {n["metadata"]["name"]: n for n in cluster.kubectl_json("get", "nodes")["items"]}
    assert len([p for p in pods if p["status"]["phase"] == "Succeeded"]) == 4
    for pod in pods:
        node = nodes[pod["spec"]["nodeName"]]
        assert node["metadata"]["labels"]["run.ai/node-pool"] in ("h100", "a100")
        assert int(node["status"]["allocatable"]["nvidia.com/gpu"]) >= 1
        assert pod["metadata"]["labels"]["wlc.dev/workload"] == "eval-sweep"


def test_kubectl_applyset_agrees_with_the_bundle_and_prunes_by_its_label(cluster: Cluster, tmp_path: Path) -> None:
    objects = bundle("resnet-train")  # ApplySet parent, a new PVC, the Job
    parent, members = objects[0], objects[1:]
    ns = parent["metadata"]["namespace"]
    cluster.ensure_namespace(ns)
    for obj in members:  # kubectl sets the part-of label itself and refuses input that has it
        obj["metadata"]["labels"].pop(PART_OF)
    env_args = ("apply", "--server-side", "--prune", "-n", ns, f"--applyset=configmaps/{parent['metadata']['name']}")

    def kubectl_apply(items: list[dict[str, Any]]) -> str:
        path = tmp_path / "in.yaml"
        path.write_text(yaml.safe_dump_all(items))
        return cluster.kubectl(*env_args, "-f", str(path), env={"KUBECTL_APPLYSET": "true"}).stdout

    kubectl_apply(members)
    made = cluster.kubectl_json("get", "configmap", parent["metadata"]["name"], "-n", ns)
    ours = parent["metadata"]
    assert made["metadata"]["labels"]["applyset.kubernetes.io/id"] == ours["labels"]["applyset.kubernetes.io/id"]
    assert (made["metadata"]["annotations"]["applyset.kubernetes.io/contains-group-kinds"]
            == ours["annotations"]["applyset.kubernetes.io/contains-group-kinds"])
    pvc = cluster.kubectl_json("get", "pvc", "resnet-checkpoints", "-n", ns)
    assert pvc["metadata"]["labels"][PART_OF] == ours["labels"]["applyset.kubernetes.io/id"]

    pruned = kubectl_apply([o for o in members if o["kind"] != "PersistentVolumeClaim"])
    assert "persistentvolumeclaim/resnet-checkpoints pruned" in pruned
    left = cluster.kubectl("get", "pvc", "resnet-checkpoints", "-n", ns, "--ignore-not-found", "-o", "json").stdout
    # deleted; the pvc-protection finalizer may hold it while the Job's pod is still listed
    assert not left.strip() or "deletionTimestamp" in json.loads(left)["metadata"]
