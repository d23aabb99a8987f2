"""A distributed workload's master and worker sections may name assets of their own, as Run:ai's
distributed workloads pick an environment and compute resource per role."""
from __future__ import annotations

import shutil
from pathlib import Path

from compiler import pipeline
from tests.treekit import dig

BASE = Path(__file__).resolve().parent / "invalid" / "_base"

ASSETS = """apiVersion: wlc.dev/v1alpha1
kind: ComputeResource
metadata:
  name: cpu-only
spec:
  cpuCoreRequest: 2
---
apiVersion: wlc.dev/v1alpha1
kind: ComputeResource
metadata:
  name: four-gpu
spec:
  gpuDevicesRequest: 4
"""

WORKLOAD = """apiVersion: wlc.dev/v1alpha1
kind: DistributedWorkload
metadata:
  name: ddp
spec:
  framework: PyTorch
  workers: 2
  environment: pytorch
  compute: one-gpu
  master:
    compute: cpu-only
  worker:
    compute: four-gpu
    dataSources: [datasets]
    environmentVariables:
      - name: ROLE
        value: worker
"""


def build(tmp_path: Path, workload: str) -> pipeline.Result:
    root = tmp_path / "repo"
    shutil.copytree(BASE, root)
    (root / "more-assets.yaml").write_text(ASSETS)
    (root / "workloads" / "vision").mkdir(parents=True)
    (root / "workloads" / "vision" / "ddp.yaml").write_text(workload)
    return pipeline.build(root)


def test_section_assets_resolve_under_their_section(tmp_path: Path) -> None:
    res = build(tmp_path, WORKLOAD)
    assert [p.text() for p in res.problems] == []
    spec = res.workloads[0].spec
    assert spec["compute"] == {"gpuDevicesRequest": 1}
    assert dig(spec, "master", "compute") == {"cpuCoreRequest": 2}
    assert dig(spec, "worker", "compute") == {"gpuDevicesRequest": 4}
    assert dig(spec, "worker", "storage", "nfs", 0, "server") == "nfs.internal"
    assert dig(spec, "worker", "environmentVariables") == [{"name": "ROLE", "value": "worker"}]
    prov = res.workloads[0].prov
    assert (prov[("worker", "compute", "gpuDevicesRequest")].kind,
            prov[("worker", "compute", "gpuDevicesRequest")].name) == ("compute", "four-gpu")


def test_section_assets_reach_the_replica_specs(tmp_path: Path) -> None:
    res = build(tmp_path, WORKLOAD)
    job = next(o for b in res.bundles for o in b.objects if o["kind"] == "PyTorchJob")
    specs = job["spec"]["pytorchReplicaSpecs"]

    def limits(role: str) -> dict[str, object]:
        found: dict[str, object] = specs[role]["template"]["spec"]["containers"][0].get("resources", {}).get("limits", {})
        return found

    assert limits("Worker").get("nvidia.com/gpu") == 4
    assert "nvidia.com/gpu" in limits("Master") and limits("Master")["nvidia.com/gpu"] == 1
    assert specs["Master"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] == "2"
    assert any(v.get("nfs") for v in specs["Worker"]["template"]["spec"]["volumes"])


def test_unknown_section_asset_is_located_in_the_section(tmp_path: Path) -> None:
    res = build(tmp_path, WORKLOAD.replace("compute: four-gpu", "compute: four-gpus"))
    assert [p.text() for p in res.problems] == [
        ('workloads/vision/ddp.yaml:13:14: error[resolve.missing-asset]: ComputeResource "four-gpus" not found '
        '(did you mean "four-gpu"?)')]
