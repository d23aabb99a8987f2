"""`wlc sync --adopt` for a workload's members, against the real control plane: a Service that
existed before wlc (made with kubectl, no wlc labels) under the name of an inference workload's
Service is a conflict without the option, and with it is taken over in place (same uid, the
bundle's spec, wlc's labels, the ownerReference to the parent and the adopted annotation),
after which a sync is a no-op. An object of another tool and a Job that wlc did not start are
never adopted. A new workload whose sync fails after it adopted an object is rolled back, and
the adopted object is given back, not deleted (a real ValidatingAdmissionPolicy refuses the
workload's Deployment, which is applied without a dry run: it makes pods)."""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from controlplane import Cluster

from compiler import labels as L
from compiler.cli.sync import built_bundle
from compiler.cluster import adopt, engine, kube, plan, source
from tests.integration.sync_support import ORG, REPO

pytestmark = pytest.mark.cluster

NS = "s17-adopt"
NAME = "ranker-serving"
POLICY = "s17-adopt-no-deployments"


def repo(root: Path) -> Path:
    (root / "workloads" / "adoptp").mkdir(parents=True)
    (root / "org.yaml").write_text(ORG.format(project="adoptp", namespace=NS))
    example = (REPO / "examples" / "workloads" / "recsys" / f"{NAME}.yaml").read_text()
    (root / "workloads" / "adoptp" / f"{NAME}.yaml").write_text(example)
    return root


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> source.Bundle:
    return built_bundle(repo(tmp_path_factory.mktemp("adopt")), None)


def sync(cluster: Cluster, desired: source.Bundle, adopting: bool) -> tuple[plan.Plan, dict[str, int]]:
    eng = engine.Engine(kube.Kube(kube.load_configuration(str(cluster.kubeconfig))),
                        engine.Options(namespaces=(NS,), adopt=adopting))
    result = eng.sync(desired)
    return result, dict(eng.metrics)


def members(result: plan.Plan) -> dict[str, plan.ObjectPlan]:
    w = next(w for w in result.workloads if w.name == NAME)
    return {o.kind: o for o in w.objects}


def service(cluster: Cluster) -> dict[str, Any]:
    found: dict[str, Any] = cluster.kubectl_json("get", "service", NAME, "-n", NS)
    return found


def exists(cluster: Cluster, *what: str) -> bool:
    return cluster.kubectl("get", *what, "-n", NS, check=False).returncode == 0


def hand_made_service(cluster: Cluster, labels: dict[str, str] | None = None) -> str:
    """A Service of the workload's name, made before wlc (another port than the bundle's); its uid."""
    body = {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": NAME, "namespace": NS, "labels": {"team": "recsys", **(labels or {})}},
            "spec": {"selector": {"app": "old"}, "ports": [{"name": "old", "port": 9999}]}}
    cluster.kubectl("create", "-f", "-", input=json.dumps(body))
    return str(service(cluster)["metadata"]["uid"])


@pytest.fixture()
def clean(cluster: Cluster, bundle: source.Bundle) -> Iterator[Cluster]:
    cluster.ensure_namespace(NS)
    yield cluster
    # the parent, then its members by name (not waiting for the garbage collector, which a loaded
    # machine keeps busy for minutes: the next test needs only the names free)
    cluster.kubectl("delete", "configmap", f"{NAME}-applyset", "-n", NS, "--ignore-not-found", "--wait=true")
    cluster.kubectl("delete", "service,deployment,hpa", NAME, "-n", NS, "--ignore-not-found", "--wait=true",
                    "--timeout=180s")
    cluster.kubectl("delete", "validatingadmissionpolicybinding,validatingadmissionpolicy", POLICY,
                    "--ignore-not-found")


def test_a_service_made_before_wlc_is_a_conflict_then_adopted_in_place(clean: Cluster,
                                                                      bundle: source.Bundle) -> None:
    uid = hand_made_service(clean)
    refused, _ = sync(clean, bundle, adopting=False)
    objects = members(refused)
    assert objects["Service"].action == "conflict" and "--adopt" in objects["Service"].message
    assert not exists(clean, "deployment", NAME) and service(clean)["metadata"]["uid"] == uid

    taken, _ = sync(clean, bundle, adopting=True)
    objects = members(taken)
    assert taken.ok and objects["Service"].action == "adopt", objects["Service"]
    assert {objects[k].action for k in ("Deployment", "HorizontalPodAutoscaler")} == {"create"}
    after = service(clean)
    parent = clean.kubectl_json("get", "configmap", f"{NAME}-applyset", "-n", NS)
    assert after["metadata"]["uid"] == uid  # taken over, not re-created
    assert after["metadata"]["labels"][L.PART_OF] == parent["metadata"]["labels"][L.APPLYSET_ID]
    assert after["metadata"]["labels"]["team"] == "recsys"  # what wlc does not set is left
    assert [r["uid"] for r in after["metadata"]["ownerReferences"]] == [parent["metadata"]["uid"]]
    assert adopt.ADOPTED in after["metadata"]["annotations"]
    assert [p["port"] for p in after["spec"]["ports"]] == [8000]  # the bundle's spec, not the old one
    events = clean.kubectl_json("get", "events", "-n", NS, "--field-selector",
                                f"involvedObject.name={NAME}-applyset")["items"]
    assert any(e["reason"] == "Adopted" and f"Service {NAME}" in e["message"] for e in events), events

    again, metrics = sync(clean, bundle, adopting=True)
    assert members(again)["Service"].action == "unchanged" and metrics.get("writes", 0) == 0, metrics
    assert service(clean)["metadata"]["annotations"][adopt.ADOPTED] == after["metadata"]["annotations"][adopt.ADOPTED]
    without, _ = sync(clean, bundle, adopting=False)  # once adopted it is wlc's, the option or not
    assert members(without)["Service"].action == "unchanged"


def test_another_tools_object_and_a_job_wlc_did_not_start_are_never_adopted(
        clean: Cluster, bundle: source.Bundle, tmp_path: Path) -> None:
    uid = hand_made_service(clean, {"app.kubernetes.io/managed-by": "Helm"})
    result, _ = sync(clean, bundle, adopting=True)
    svc = members(result)["Service"]
    assert svc.action == "conflict" and "never adopted: managed by Helm" in svc.message, svc
    assert service(clean)["metadata"]["uid"] == uid and not exists(clean, "deployment", NAME)

    training = repo(tmp_path / "r")
    (training / "workloads" / "adoptp" / "t1.yaml").write_text(
        "apiVersion: wlc.dev/v1alpha1\nkind: TrainingWorkload\nmetadata:\n  name: t1\nspec:\n"
        "  image: python:3.12\n  command: python -c 1\n")
    clean.kubectl("create", "job", "t1", "-n", NS, "--image=busybox")
    try:
        result, _ = sync(clean, built_bundle(training, None), adopting=True)
        job = next(o for w in result.workloads if w.name == "t1" for o in w.objects if o.kind == "Job")
        assert job.action == "conflict" and "never adopted: a run" in job.message, job
        assert "wlc" not in json.dumps(clean.kubectl_json("get", "job", "t1", "-n", NS)["metadata"]["labels"])
    finally:
        clean.kubectl("delete", "job", "t1", "-n", NS, "--cascade=foreground", "--wait=true")


def test_a_new_workload_rolled_back_gives_the_adopted_object_back(clean: Cluster, bundle: source.Bundle) -> None:
    policy = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
              "metadata": {"name": POLICY},
              "spec": {"failurePolicy": "Fail", "matchConstraints": {"resourceRules": [
                  {"apiGroups": ["apps"], "apiVersions": ["*"], "operations": ["CREATE", "UPDATE"],
                   "resources": ["deployments"]}]},
                       "validations": [{"expression": "false", "message": "no Deployments in this test"}]}}
    binding = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding",
               "metadata": {"name": POLICY},
               "spec": {"policyName": POLICY, "validationActions": ["Deny"],
                        "matchResources": {"namespaceSelector": {"matchLabels": {
                            "kubernetes.io/metadata.name": NS}}}}}
    clean.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List",
                                                        "items": [policy, binding]}))
    _wait_for_the_policy(clean)
    uid = hand_made_service(clean)
    result, _ = sync(clean, bundle, adopting=True)
    objects = members(result)
    assert not result.ok and objects["Deployment"].action == "failed", objects
    assert objects["Service"].action == "release", objects["Service"]
    clean.kubectl("wait", "--for=delete", f"configmap/{NAME}-applyset", f"deployment/{NAME}", "-n", NS,
                  "--timeout=60s", check=False)
    assert not exists(clean, "configmap", f"{NAME}-applyset") and not exists(clean, "deployment", NAME)
    after = service(clean)
    assert after["metadata"]["uid"] == uid  # kept: it existed before this sync
    assert not after["metadata"].get("ownerReferences")
    assert L.PART_OF not in after["metadata"].get("labels", {})
    assert adopt.ADOPTED not in (after["metadata"].get("annotations") or {})


def _wait_for_the_policy(cluster: Cluster) -> None:
    """The API server takes a moment to enforce a new policy: until a server-side dry run of a
    Deployment in NS is refused (nothing is made)."""
    for _ in range(60):
        probe = cluster.kubectl("create", "deployment", "probe", "-n", NS, "--image=busybox", "--dry-run=server",
                                check=False)
        if probe.returncode != 0 and "no Deployments in this test" in probe.stderr:
            return
        time.sleep(1)
    raise AssertionError("the ValidatingAdmissionPolicy never refused a Deployment")
