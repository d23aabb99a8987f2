"""The organisation bundle: per scheduler, the cluster objects of the projects and departments,
under the bundle contract, verified against the Kubernetes and Kueue CRD schemas."""
from __future__ import annotations

import json
from pathlib import Path
from textwrap import dedent
from typing import Any

import yaml

from compiler import pipeline
from compiler.verify import verify_objects

ROOT = Path(__file__).resolve().parent.parent

ORG = """
apiVersion: wlc.dev/v1alpha1
kind: Department
metadata: {name: research}
spec:
  quota: [{nodePool: a100, gpuDevices: 10}]
  overQuota: {allowed: false}
---
apiVersion: wlc.dev/v1alpha1
kind: Project
metadata: {name: alpha}
spec:
  department: research
  nodePools: [a100]
  quota: [{nodePool: a100, gpuDevices: 4, gpuLimit: 6, cpuCores: 1.5, memory: 8Gi}]
  members: [{user: ann, role: researcher}, {group: team, role: researcher}, {user: vic, role: viewer}]
  podSecurity: restricted
---
apiVersion: wlc.dev/v1alpha1
kind: Project
metadata: {name: beta}
spec:
  department: research
  quota: [{nodePool: a100, gpuDevices: 2}]
  overQuota: {allowed: false, priority: lowest}
"""
TRAIN = """
apiVersion: wlc.dev/v1alpha1
kind: TrainingWorkload
metadata: {name: t1}
spec: {image: python:3.12, compute: {gpuDevicesRequest: 1}}
"""


def make_repo(tmp: Path, scheduler: str, org: str = ORG) -> Path:
    tmp.mkdir(exist_ok=True)
    (tmp / "wlc.yaml").write_text(dedent(f"""
        apiVersion: wlc.dev/v1alpha1
        kind: Repository
        metadata: {{name: r}}
        spec: {{target: {{scheduler: {scheduler}}}}}
    """))
    (tmp / "org.yaml").write_text(org)
    (tmp / "workloads" / "alpha").mkdir(parents=True)
    (tmp / "workloads" / "alpha" / "t1.yaml").write_text(TRAIN)
    return tmp


def org_objects(root: Path) -> dict[tuple[str, str], dict[str, Any]]:
    res = pipeline.build(root)
    assert [p.text() for p in res.problems if p.severity == "error"] == []
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for rel, text in res.files.items():
        if rel.startswith("_organisation/"):
            for doc in yaml.safe_load_all(text):
                out[(doc["kind"], doc["metadata"]["name"])] = doc
    return out


def test_kueue_cluster_queue_takes_deserved_quota_and_limit_as_nominal_and_borrowing(tmp_path: Path) -> None:
    objs = org_objects(make_repo(tmp_path, "kueue"))
    spec = objs[("ClusterQueue", "alpha")]["spec"]
    assert spec["cohortName"] == "research"
    assert spec["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "runai-alpha"}}
    assert spec["resourceGroups"][0]["coveredResources"] == ["nvidia.com/gpu", "cpu", "memory"]
    assert spec["resourceGroups"][0]["flavors"] == [{"name": "a100", "resources": [
        {"name": "nvidia.com/gpu", "nominalQuota": 4, "borrowingLimit": 2},
        {"name": "cpu", "nominalQuota": "1500m"}, {"name": "memory", "nominalQuota": "8Gi"}]}]


def test_kueue_without_over_quota_borrows_nothing_and_gets_weight_zero_for_lowest(tmp_path: Path) -> None:
    spec = org_objects(make_repo(tmp_path, "kueue"))[("ClusterQueue", "beta")]["spec"]
    assert {r["borrowingLimit"] for r in spec["resourceGroups"][0]["flavors"][0]["resources"]} == {0}
    assert spec["fairSharing"] == {"weight": 0}


def test_kueue_department_is_a_cohort_holding_its_unassigned_share(tmp_path: Path) -> None:
    objs = org_objects(make_repo(tmp_path, "kueue"))
    cohort = objs[("Cohort", "research")]["spec"]
    assert cohort["parentName"] == "wlc-cluster"
    assert cohort["resourceGroups"][0]["flavors"] == [{"name": "a100", "resources": [
        {"name": "nvidia.com/gpu", "nominalQuota": 4, "borrowingLimit": 0}]}]
    assert objs[("ResourceFlavor", "a100")]["spec"] == {"nodeLabels": {"run.ai/node-pool": "a100"}}


def test_kueue_local_queue_has_the_name_of_the_workloads_queue_label(tmp_path: Path) -> None:
    res = pipeline.build(make_repo(tmp_path, "kueue"))
    job = next(d for d in yaml.safe_load_all(res.files["runai-alpha/t1.yaml"]) if d["kind"] == "Job")
    queue = job["metadata"]["labels"]["kueue.x-k8s.io/queue-name"]
    lq = next(d for d in yaml.safe_load_all(res.files["_organisation/alpha.yaml"]) if d["kind"] == "LocalQueue")
    assert (lq["metadata"]["name"], lq["metadata"]["namespace"]) == (queue, "runai-alpha")
    assert lq["spec"] == {"clusterQueue": "alpha"}


def test_namespace_carries_the_chosen_pod_security_level_default_baseline(tmp_path: Path) -> None:
    objs = org_objects(make_repo(tmp_path, "default"))
    alpha = objs[("Namespace", "runai-alpha")]["metadata"]["labels"]
    beta = objs[("Namespace", "runai-beta")]["metadata"]["labels"]
    assert alpha["pod-security.kubernetes.io/enforce"] == "restricted"
    assert beta["pod-security.kubernetes.io/enforce"] == beta["pod-security.kubernetes.io/warn"] == "baseline"


def test_members_are_bound_per_role_to_the_cluster_roles_emitted_once(tmp_path: Path) -> None:
    res = pipeline.build(make_repo(tmp_path, "default"))
    docs = list(yaml.safe_load_all(res.files["_organisation/alpha.yaml"]))
    bindings = {d["metadata"]["name"]: d for d in docs if d["kind"] == "RoleBinding"}
    assert sorted(bindings) == ["wlc-researcher", "wlc-viewer"]
    assert [(s["kind"], s["name"]) for s in bindings["wlc-researcher"]["subjects"]] == [("User", "ann"), ("Group", "team")]
    cluster = [d for d in yaml.safe_load_all(res.files["_organisation/cluster.yaml"]) if d["kind"] == "ClusterRole"]
    assert [d["metadata"]["name"] for d in cluster] == ["wlc-admin", "wlc-editor", "wlc-researcher", "wlc-viewer"]
    viewer = next(d for d in cluster if d["metadata"]["name"] == "wlc-viewer")
    assert all(set(r["verbs"]) == {"get", "list", "watch"} for r in viewer["rules"])
    assert not any("secrets" in r["resources"] for d in cluster for r in d["rules"])


def test_default_scheduler_gets_a_resource_quota_of_the_summed_deserved_quota(tmp_path: Path) -> None:
    objs = org_objects(make_repo(tmp_path, "default"))
    assert objs[("ResourceQuota", "wlc-quota")]["metadata"]["namespace"] in ("runai-alpha", "runai-beta")
    res = pipeline.build(tmp_path)
    alpha = next(d for d in yaml.safe_load_all(res.files["_organisation/alpha.yaml"]) if d["kind"] == "ResourceQuota")
    assert alpha["spec"]["hard"] == {"requests.nvidia.com/gpu": "4", "requests.cpu": "1500m", "requests.memory": "8Gi"}
    assert not any(k[0] in ("ClusterQueue", "LocalQueue") for k in objs)


def test_runai_scheduler_emits_no_organisation(tmp_path: Path) -> None:
    res = pipeline.build(make_repo(tmp_path, "runai"))
    assert not any(rel.startswith("_organisation/") for rel in res.files)
    assert "organisation" not in json.loads(res.files["index.json"])


def test_organisation_objects_carry_the_contract_and_are_listed_in_index(tmp_path: Path) -> None:
    res = pipeline.build(make_repo(tmp_path, "kueue"))
    cluster = list(yaml.safe_load_all(res.files["_organisation/cluster.yaml"]))
    parent = cluster[0]
    assert (parent["kind"], parent["metadata"]["name"]) == ("ConfigMap", "wlc-organisation-applyset")
    aid = parent["metadata"]["labels"]["applyset.kubernetes.io/id"]
    index = json.loads(res.files["index.json"])["organisation"]
    assert index["applyset"] == aid
    assert [f["file"] for f in index["files"]] == ["_organisation/cluster.yaml", "_organisation/alpha.yaml",
                                                  "_organisation/beta.yaml"]
    for rel in ("_organisation/alpha.yaml", "_organisation/cluster.yaml"):
        for doc in list(yaml.safe_load_all(res.files[rel]))[(1 if rel.endswith("cluster.yaml") else 0):]:
            labels = doc["metadata"]["labels"]
            assert labels["app.kubernetes.io/managed-by"] == "wlc"
            assert labels["applyset.kubernetes.io/part-of"] == aid
    first = next(yaml.safe_load_all(res.files["_organisation/alpha.yaml"]))
    assert first["kind"] == "Namespace"


def test_every_example_organisation_object_passes_the_schemas() -> None:
    for overlay in (None, "dev"):
        res = pipeline.build(ROOT, overlay=overlay)
        objects = [o for f in res.organisation for o in f.objects]
        assert objects and verify_objects(objects, "1.37") == []


def test_kueue_crd_schema_refuses_borrowing_without_a_cohort() -> None:
    queue: dict[str, Any] = {"apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "ClusterQueue", "metadata": {"name": "q"},
             "spec": {"resourceGroups": [{"coveredResources": ["cpu"], "flavors": [
                 {"name": "f", "resources": [{"name": "cpu", "nominalQuota": 1, "borrowingLimit": 0}]}]}]}}
    assert verify_objects([queue], "1.37") != []
    queue["spec"]["cohortName"] = "c"
    assert verify_objects([queue], "1.37") == []


def test_a_node_pool_twice_in_one_quota_is_a_problem_at_the_entry(tmp_path: Path) -> None:
    org = ORG.replace("quota: [{nodePool: a100, gpuDevices: 2}]",
                      "quota: [{nodePool: a100, gpuDevices: 2}, {nodePool: a100, gpuDevices: 1}]")
    res = pipeline.check(make_repo(tmp_path, "kueue", org))
    assert [(p.code, p.line) for p in res.problems if p.code.startswith("org.")] == [("org.duplicate-pool", 24)]


def test_under_kueue_a_project_named_like_a_department_is_a_problem(tmp_path: Path) -> None:
    org = ORG.replace("metadata: {name: beta}", "metadata: {name: research}")
    kueue = pipeline.check(make_repo(tmp_path, "kueue", org))
    assert [p.code for p in kueue.problems if p.code.startswith("org.")] == ["org.name-clash"]
    default = pipeline.check(make_repo(tmp_path / "d", "default", org))
    assert [p.code for p in default.problems if p.code.startswith("org.")] == []


def test_a_node_pool_that_cannot_name_a_resource_flavor_is_a_problem(tmp_path: Path) -> None:
    org = ORG.replace("quota: [{nodePool: a100, gpuDevices: 2}]", "quota: [{nodePool: A100_big, gpuDevices: 2}]")
    res = pipeline.check(make_repo(tmp_path, "kueue", org))
    assert [p.code for p in res.problems if p.code.startswith("org.")] == ["org.pool-name"]
