"""A department's CPU and memory quota: under Kueue its Cohort holds, per node pool, the cores
and memory beyond its projects' (borrowingLimit 0 on each without over-quota), checked against
Kueue's CRD schemas by the build; under the default scheduler it caps each project's
ResourceQuota (and the quota check's ceiling)."""
from __future__ import annotations

from pathlib import Path
from textwrap import dedent
from typing import Any

import yaml

from compiler import pipeline
from compiler.verify import verify_objects

ORG = """
apiVersion: wlc.dev/v1alpha1
kind: Department
metadata: {name: research}
spec:
  quota:
    - {nodePool: a100, gpuDevices: 8, cpuCores: 100.5, memory: 1Ti}
    - {nodePool: h100, gpuDevices: 4, cpuCores: 10, memory: 64Gi}
  overQuota: {allowed: false}
---
apiVersion: wlc.dev/v1alpha1
kind: Project
metadata: {name: alpha}
spec:
  department: research
  nodePools: [a100]
  quota: [{nodePool: a100, gpuDevices: 4, cpuCores: 64, memory: 512Gi}]
---
apiVersion: wlc.dev/v1alpha1
kind: Project
metadata: {name: beta}
spec:
  department: research
  nodePools: [h100]
  quota: [{nodePool: h100, gpuDevices: 2}]
---
apiVersion: wlc.dev/v1alpha1
kind: Department
metadata: {name: plain}
spec:
  quota: [{nodePool: a100, gpuDevices: 2}]
---
apiVersion: wlc.dev/v1alpha1
kind: Project
metadata: {name: gamma}
spec: {department: plain, nodePools: [a100]}
"""
TRAIN = """
apiVersion: wlc.dev/v1alpha1
kind: TrainingWorkload
metadata: {name: t1}
spec: {image: python:3.12, compute: {gpuDevicesRequest: 3}}
"""


def build(tmp: Path, scheduler: str) -> pipeline.Result:
    (tmp / "wlc.yaml").write_text(dedent(f"""
        apiVersion: wlc.dev/v1alpha1
        kind: Repository
        metadata: {{name: r}}
        spec: {{target: {{scheduler: {scheduler}}}}}
    """))
    (tmp / "org.yaml").write_text(ORG)
    (tmp / "workloads" / "gamma").mkdir(parents=True, exist_ok=True)
    (tmp / "workloads" / "gamma" / "t1.yaml").write_text(TRAIN)
    return pipeline.build(tmp)


def objects(res: pipeline.Result) -> dict[tuple[str, str], dict[str, Any]]:
    return {(d["kind"], d["metadata"]["name"]): d for rel, text in res.files.items()
            if rel.startswith("_organisation/") for d in yaml.safe_load_all(text)}


def flavors(cohort: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """pool → resource → its entry in the Cohort's one resource group."""
    (group,) = cohort["spec"]["resourceGroups"]
    return {f["name"]: {r["name"]: r for r in f["resources"]} for f in group["flavors"]}


def test_the_department_cohort_holds_cpu_and_memory_beyond_its_projects(tmp_path: Path) -> None:
    res = build(tmp_path, "kueue")
    assert not [p.text() for p in res.problems if p.severity == "error"]
    cohort = objects(res)[("Cohort", "research")]
    assert cohort["spec"]["resourceGroups"][0]["coveredResources"] == ["nvidia.com/gpu", "cpu", "memory"]
    pools = flavors(cohort)
    assert pools["a100"]["cpu"] == {"name": "cpu", "nominalQuota": "36500m", "borrowingLimit": 0}
    assert pools["a100"]["memory"] == {"name": "memory", "nominalQuota": "512Gi", "borrowingLimit": 0}
    assert pools["a100"]["nvidia.com/gpu"]["nominalQuota"] == 4
    # beta sets no CPU or memory quota in h100: its ClusterQueue is unbounded there, nothing is held back
    assert pools["h100"]["cpu"]["nominalQuota"] == 0 and pools["h100"]["memory"]["nominalQuota"] == 0
    assert verify_objects([cohort], "1.37") == []


def test_a_department_without_cpu_or_memory_quota_covers_only_gpus(tmp_path: Path) -> None:
    cohort = objects(build(tmp_path, "kueue"))[("Cohort", "plain")]
    assert cohort["spec"]["resourceGroups"][0]["coveredResources"] == ["nvidia.com/gpu"]


def test_the_resource_quota_of_a_project_is_at_most_its_departments(tmp_path: Path) -> None:
    res = build(tmp_path, "default")
    hard = {d["metadata"]["namespace"]: d["spec"]["hard"] for rel, text in res.files.items()
            if rel.startswith("_organisation/") for d in yaml.safe_load_all(text) if d["kind"] == "ResourceQuota"}
    assert hard["runai-alpha"] == {"requests.nvidia.com/gpu": "4", "requests.cpu": "64", "requests.memory": "512Gi"}
    # beta's own quota has no CPU or memory: its department's (all pools added up) is the ceiling
    assert hard["runai-beta"] == {"requests.nvidia.com/gpu": "2", "requests.cpu": "110500m",
                                  "requests.memory": "1088Gi"}
    # gamma has no quota of its own: its department's GPUs are its ceiling, and the quota check says so
    assert hard["runai-gamma"] == {"requests.nvidia.com/gpu": "2"}
    never = [p for p in res.problems if p.code == "quota.never-fits"]
    assert never == []  # gamma sets no quota: not checked


def test_the_quota_check_uses_the_capped_resource_quota(tmp_path: Path) -> None:
    """beta deserves 6 GPUs, its department holds 4 in all: a 5-GPU training never fits."""
    org = (ORG.replace("gpuDevices: 8, cpuCores: 100.5", "gpuDevices: 2, cpuCores: 100.5")
           .replace("gpuDevices: 4, cpuCores: 10", "gpuDevices: 2, cpuCores: 10")
           .replace("quota: [{nodePool: h100, gpuDevices: 2}]", "quota: [{nodePool: h100, gpuDevices: 6}]"))
    build(tmp_path, "default")
    (tmp_path / "org.yaml").write_text(org)
    (tmp_path / "workloads" / "beta").mkdir(parents=True)
    (tmp_path / "workloads" / "beta" / "t5.yaml").write_text(
        TRAIN.replace("t1", "t5").replace("gpuDevicesRequest: 3", "gpuDevicesRequest: 5"))
    res = pipeline.build(tmp_path)
    never = [p for p in res.problems if p.code == "quota.never-fits"]
    assert [p.file for p in never] == ["workloads/beta/t5.yaml"], [p.text() for p in res.problems]
    assert "4" in never[0].message
