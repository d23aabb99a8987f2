"""The quota check and `wlc quota`: what workloads ask of their project's quota per node pool,
a workload that can never fit, non-preemptible requests beyond the deserved quota."""
from __future__ import annotations

import json
import re
from pathlib import Path
from textwrap import dedent

import pytest
from click.testing import CliRunner

from compiler import parallel, pipeline, quota
from compiler.cli import main
from tests import bench_build

ROOT = Path(__file__).resolve().parent.parent

ORG = """
apiVersion: wlc.dev/v1alpha1
kind: Department
metadata: {name: research}
---
apiVersion: wlc.dev/v1alpha1
kind: Project
metadata: {name: vision}
spec:
  department: research
  nodePools: [a100, h100]
  quota: [{nodePool: a100, gpuDevices: 4, gpuLimit: 6}, {nodePool: h100, gpuDevices: 1}]
---
apiVersion: wlc.dev/v1alpha1
kind: Project
metadata: {name: nlp}
spec:
  department: research
  quota: [{nodePool: a100, gpuDevices: 4}]
"""


def repo_with(tmp: Path, workloads: str, scheduler: str = "kueue") -> Path:
    (tmp / "wlc.yaml").write_text(f"apiVersion: wlc.dev/v1alpha1\nkind: Repository\nmetadata: {{name: r}}\n"
                                  f"spec: {{target: {{scheduler: {scheduler}}}}}\n")
    (tmp / "org.yaml").write_text(ORG)
    (tmp / "workloads" / "vision").mkdir(parents=True)
    (tmp / "workloads" / "vision" / "w.yaml").write_text(dedent(workloads))
    return tmp


def demands_of(tmp: Path, workloads: str) -> dict[str, tuple[float, bool]]:
    res = pipeline.specs(repo_with(tmp, workloads))
    return {d.name: (d.gpus, d.preemptible) for d in quota.demands(res.workloads)}


def doc(kind: str, name: str, spec: str) -> str:
    body = dedent(spec).strip().replace("\n", "\n  ")
    return f"---\napiVersion: wlc.dev/v1alpha1\nkind: {kind}\nmetadata:\n  name: {name}\nspec:\n  image: x\n  {body}\n"


def test_demand_counts_every_pod_and_knows_who_is_preemptible(tmp_path: Path) -> None:
    found = demands_of(tmp_path, doc("DistributedWorkload", "ddp", """
        framework: PyTorch
        workers: 3
        compute: {gpuDevicesRequest: 2}
        master: {compute: {gpuDevicesRequest: 1}}
    """) + doc("InferenceWorkload", "serve", """
        servingPort: {container: 8000}
        compute: {gpuDevicesRequest: 1}
        autoscaling: {minReplicas: 2, maxReplicas: 4, metric: concurrency, threshold: 4}
    """) + doc("TrainingWorkload", "half", "compute: {gpuDevicesRequest: 1, gpuRequestType: portion, gpuPortionRequest: 0.5}")
      + doc("InteractiveWorkload", "stopped", "active: false\ncompute: {gpuDevicesRequest: 1}")
      + doc("DistributedWorkload", "pinned", "framework: PyTorch\nnoMaster: true\nnonPreemptible: true\n"
                                             "priorityClass: build\ncompute: {gpuDevicesRequest: 1}"))
    assert found == {"ddp": (7.0, True), "serve": (2.0, False), "half": (0.5, True), "pinned": (1.0, False)}


def test_a_workload_may_borrow_up_to_its_gpu_limit_and_no_further(tmp_path: Path) -> None:
    res = pipeline.check(repo_with(tmp_path, doc("TrainingWorkload", "six", "compute: {gpuDevicesRequest: 6}")
                                   + doc("TrainingWorkload", "seven", "compute: {gpuDevicesRequest: 7}")))
    assert [(p.code, p.message.split(":")[0]) for p in res.problems if p.code.startswith("quota")] == [
        ("quota.never-fits", 'workload "seven" asks for 7 GPUs and can never be admitted')]


def test_without_borrowing_the_resource_quota_is_the_ceiling(tmp_path: Path) -> None:
    res = pipeline.check(repo_with(tmp_path, doc("TrainingWorkload", "six", "compute: {gpuDevicesRequest: 6}"),
                                   scheduler="default"))
    assert [p.code for p in res.problems if p.code.startswith("quota")] == ["quota.never-fits"]


def test_non_preemptible_sum_beyond_deserved_is_reported_at_each_workload_beyond(tmp_path: Path) -> None:
    ws = "".join(doc("InteractiveWorkload", f"ws-{i}", "compute: {gpuDevicesRequest: 2}") for i in range(4))
    res = pipeline.check(repo_with(tmp_path, ws))
    found = [(p.code, p.line) for p in res.problems if p.code.startswith("quota")]
    assert found == [("quota.non-preemptible", 21), ("quota.non-preemptible", 29)]


def test_a_project_without_quota_is_not_checked(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, doc("TrainingWorkload", "big", "compute: {gpuDevicesRequest: 64}"))
    (repo / "org.yaml").write_text(re.sub(r"  quota: .*\n", "", ORG))
    assert [p.code for p in pipeline.check(repo).problems if p.code.startswith("quota")] == []


@pytest.fixture
def small_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 10)
    monkeypatch.setattr(parallel, "WARMUP", 3)


def test_parallel_check_sums_requests_across_partitions(tmp_path: Path, small_thresholds: None) -> None:
    bench_build.make_repo(tmp_path, 30)
    org = tmp_path / "examples" / "org" / "organisation.yaml"
    org.write_text(org.read_text().replace("gpuDevices: 100000", "gpuDevices: 3"))
    seq = [p.text() for p in pipeline.check(tmp_path).problems]
    par = [p.text() for p in pipeline.check(tmp_path, jobs=2).problems]
    assert par == seq
    assert any("quota.non-preemptible" in t for t in seq)


def test_quota_command_prints_each_project_and_pool() -> None:
    result = CliRunner().invoke(main, ["quota", "--repo", str(ROOT), "--project", "vision", "--overlay", "dev"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["PROJECT", "NODE", "POOL", "DESERVED", "MOST", "NON-PREEMPTIBLE", "PREEMPTIBLE", "LEFT"]
    assert lines[1].split() == ["vision", "a100", "8", "12", "1", "15", "-8"]
    assert [line.split()[:2] for line in lines[1:]] == [["vision", "a100"], ["vision", "default"]]


def test_quota_command_json_and_unknown_project() -> None:
    result = CliRunner().invoke(main, ["quota", "--repo", str(ROOT), "--format", "json"])
    rows = json.loads(result.output)
    assert {r["project"] for r in rows} == {"nlp", "recsys", "vision"}
    bad = CliRunner().invoke(main, ["quota", "--repo", str(ROOT), "--project", "nope"])
    assert bad.exit_code == 2 and 'unknown project "nope"' in bad.output
