"""The organisation bundle under the default scheduler, applied to the real API server: the
project's Namespace (Pod Security labels), its members' RoleBindings, the ClusterRoles and its
ResourceQuota; a pod over the quota is refused by the API server, one within it is admitted,
and a privileged pod is refused by the namespace's Pod Security level."""
from __future__ import annotations

import json
import time
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest
import yaml
from controlplane import Cluster, ClusterError

from compiler import pipeline

pytestmark = pytest.mark.cluster

NS = "org11-quota"
ORG = f"""
apiVersion: wlc.dev/v1alpha1
kind: Project
metadata: {{name: orgq}}
spec:
  namespace: {NS}
  nodePools: [a100]
  quota: [{{nodePool: a100, gpuDevices: 2, cpuCores: 2, memory: 4Gi}}]
  members: [{{user: ann@example.com, role: researcher}}]
"""


def organisation(tmp: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(cluster.yaml's objects, the project file's objects) of a built one-project repo."""
    (tmp / "wlc.yaml").write_text("apiVersion: wlc.dev/v1alpha1\nkind: Repository\nmetadata: {name: r}\n")
    (tmp / "org.yaml").write_text(dedent(ORG))
    res = pipeline.build(tmp)
    assert res.ok, [p.text() for p in res.problems]
    return (list(yaml.safe_load_all(res.files["_organisation/cluster.yaml"])),
            list(yaml.safe_load_all(res.files["_organisation/orgq.yaml"])))


def pod(name: str, gpus: int, privileged: bool = False) -> str:
    container: dict[str, Any] = {"name": "c", "image": "registry.example/x:1",
                                 "resources": {"requests": {"cpu": "500m", "memory": "512Mi", "nvidia.com/gpu": str(gpus)},
                                               "limits": {"nvidia.com/gpu": str(gpus)}}}
    if privileged:
        container["securityContext"] = {"privileged": True}
    return json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": NS},
                       "spec": {"containers": [container]}})


def can_i(cluster: Cluster, *args: str) -> str:
    """kubectl auth can-i as the project's researcher in its namespace: yes or no."""
    out = cluster.kubectl("auth", "can-i", *args, "-n", NS, "--as", "ann@example.com", check=False)
    return out.stdout.strip()


def wait_for_quota_status(cluster: Cluster) -> None:
    """The quota controller fills status.hard; until then admission does not enforce the quota."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = cluster.kubectl_json("get", "resourcequota", "wlc-quota", "-n", NS).get("status") or {}
        if status.get("hard"):
            return
        time.sleep(0.5)
    pytest.fail("the ResourceQuota's status was never filled (is the resourcequota-controller running?)")


def apply(cluster: Cluster, objects: list[dict[str, Any]]) -> None:
    text = "".join("---\n" + yaml.safe_dump(o) for o in objects)
    cluster.kubectl("apply", "--server-side", "--field-manager=wlc", "-f", "-", input=text)


def test_resource_quota_of_the_organisation_bundle_refuses_a_pod_over_quota(cluster: Cluster, tmp_path: Path) -> None:
    shared, project = organisation(tmp_path)
    apply(cluster, shared)
    apply(cluster, project)
    quota = cluster.kubectl_json("get", "resourcequota", "wlc-quota", "-n", NS)
    assert quota["spec"]["hard"] == {"requests.nvidia.com/gpu": "2", "requests.cpu": "2", "requests.memory": "4Gi"}
    binding = cluster.kubectl_json("get", "rolebinding", "wlc-researcher", "-n", NS)
    assert binding["roleRef"]["name"] == "wlc-researcher"
    assert can_i(cluster, "get", "pods") == can_i(cluster, "create", "pods", "--subresource=exec") == "yes"
    assert can_i(cluster, "get", "secrets") == can_i(cluster, "create", "jobs") == "no"

    wait_for_quota_status(cluster)
    cluster.kubectl("create", "-f", "-", input=pod("within", 2))
    with pytest.raises(ClusterError, match="exceeded quota: wlc-quota"):
        cluster.kubectl("create", "-f", "-", input=pod("over", 1))
    cluster.kubectl("delete", "pod", "within", "-n", NS, "--wait=false")
    with pytest.raises(ClusterError, match="violates PodSecurity \"baseline"):
        cluster.kubectl("create", "-f", "-", input=pod("privileged", 0, privileged=True))


def test_every_example_organisation_object_passes_a_server_side_dry_run(cluster: Cluster) -> None:
    """The cluster-scoped objects and the Namespaces of the examples (base: ResourceQuotas) are
    accepted by the API server; the namespaced ones once their namespace exists (applied in a
    namespace of their own to stay out of other tests' way)."""
    res = pipeline.build(Path(__file__).resolve().parents[2])
    objects = [o for f in res.organisation for o in f.objects]
    cluster_scoped = [o for o in objects if o["kind"] in ("ClusterRole", "Namespace")]
    text = "".join("---\n" + yaml.safe_dump(o) for o in cluster_scoped)
    cluster.kubectl("apply", "--server-side", "--dry-run=server", "--field-manager=wlc", "-f", "-", input=text)
    cluster.ensure_namespace("org11-dry")
    namespaced = [{**o, "metadata": {**o["metadata"], "namespace": "org11-dry"}} for o in objects
                  if o["metadata"].get("namespace") and o["kind"] != "ConfigMap"]
    assert {o["kind"] for o in namespaced} == {"ResourceQuota", "RoleBinding"}
    text = "".join("---\n" + yaml.safe_dump(o) for o in namespaced)
    cluster.kubectl("apply", "--server-side", "--dry-run=server", "--field-manager=wlc", "-f", "-", input=text)
