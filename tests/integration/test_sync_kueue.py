"""Kueue owns `suspend` once it has admitted a job, against the real Kueue (test_org_kueue's
fixture): a sync does not suspend an admitted job again; `active: false` stops it (the job
suspended and its Kueue Workload deactivated, so Kueue does not start it again); `active: true`
lets Kueue admit it again."""
from __future__ import annotations

import time
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest
from controlplane import Cluster

from compiler import pipeline
from compiler.cli.sync import built_bundle
from compiler.cluster import engine, kube, kueuejobs, plan, source
from tests.integration.test_org_kueue import Kueue, apply_text, kueue, wait

__all__ = ["kueue"]  # the fixture, shared with test_org_kueue

NS = "runai-q17"
ORG = """
apiVersion: wlc.dev/v1alpha1
kind: Department
metadata: {name: q17-dept}
---
apiVersion: wlc.dev/v1alpha1
kind: Project
metadata: {name: q17}
spec:
  department: q17-dept
  nodePools: [a100]
  quota: [{nodePool: a100, gpuDevices: 4}]
"""


def write(repo: Path, active: bool) -> Path:
    (repo / "workloads" / "q17").mkdir(parents=True, exist_ok=True)
    (repo / "wlc.yaml").write_text("apiVersion: wlc.dev/v1alpha1\nkind: Repository\nmetadata: {name: r}\n"
                                   "spec: {target: {scheduler: kueue}}\n")
    (repo / "org.yaml").write_text(ORG)
    # many completions one at a time: the job keeps running while the test looks at it
    (repo / "workloads" / "q17" / "long.yaml").write_text(dedent(f"""
        apiVersion: wlc.dev/v1alpha1
        kind: TrainingWorkload
        metadata: {{name: long}}
        spec:
          active: {str(active).lower()}
          image: registry.example/train:1
          compute: {{gpuDevicesRequest: 1}}
          completions: 5000
          parallelism: 1
    """))
    return repo


def make(cluster: Cluster) -> engine.Engine:
    return engine.Engine(kube.Kube(kube.load_configuration(str(cluster.kubeconfig))),
                         engine.Options(namespaces=(NS,)))


def job(cluster: Cluster) -> dict[str, Any]:
    found: dict[str, Any] = cluster.kubectl_json("get", "job", "long", "-n", NS)
    return found


def workload_active(cluster: Cluster) -> list[bool]:
    uid = job(cluster)["metadata"]["uid"]
    items = cluster.kubectl_json("get", "workloads.kueue.x-k8s.io", "-n", NS, "-l",
                                 f"{kueuejobs.JOB_UID_LABEL}={uid}")["items"]
    return [(w.get("spec") or {}).get("active", True) is not False for w in items]


def job_op(result: plan.Plan) -> tuple[str, str]:
    op = next(o for w in result.workloads for o in w.objects if o.kind == "Job")
    return op.action, op.message


def test_suspend_is_left_to_kueue_once_it_owns_it_unless_the_user_stops_a_running_job() -> None:
    job_ = source.DesiredObject("batch", "v1", "Job", NS, "j", {"metadata": {"labels": {kueuejobs.QUEUE_LABEL: "q"}},
                                                                 "spec": {"suspend": True, "parallelism": 1}})
    running, stopped = {"spec": {"suspend": False}}, {"spec": {"suspend": True}}
    assert kueuejobs.desired_body(job_, True, job_.body, running, wlc_owns_suspend=False) == {
        "metadata": job_.body["metadata"], "spec": {"parallelism": 1}}  # admitted: Kueue's
    assert kueuejobs.desired_body(job_, True, job_.body, stopped, wlc_owns_suspend=True) is job_.body  # still wlc's
    assert kueuejobs.desired_body(job_, False, job_.body, running, wlc_owns_suspend=False) is job_.body  # a stop
    assert kueuejobs.desired_body(job_, False, job_.body, stopped, wlc_owns_suspend=False)["spec"] == {
        "parallelism": 1}  # Kueue keeps it stopped: nothing to take back
    plain = source.DesiredObject("batch", "v1", "Job", NS, "j", {"metadata": {}, "spec": {"suspend": True}})
    assert kueuejobs.desired_body(plain, True, plain.body, running, wlc_owns_suspend=False) is plain.body


@pytest.mark.cluster
def test_kueue_owns_suspend_of_an_admitted_job_and_a_stop_holds(cluster: Cluster, kueue: Kueue,
                                                                  tmp_path: Path) -> None:
    repo = write(tmp_path / "repo", active=True)
    for f in pipeline.build(repo).organisation:
        apply_text(cluster, "".join(f.docs))
    wait("ClusterQueue q17 to be active", lambda: any(
        c["type"] == "Active" and c["status"] == "True"
        for c in (cluster.kubectl_json("get", "clusterqueue", "q17").get("status") or {}).get("conditions", [])), kueue)
    assert make(cluster).sync(built_bundle(repo, None)).ok
    wait("Kueue to admit the job", lambda: job(cluster)["spec"]["suspend"] is False, kueue)

    result = make(cluster).sync(built_bundle(repo, None))  # must not put suspend: true back
    assert result.ok and job_op(result) == ("unchanged", ""), plan.render_text(result, True)
    time.sleep(2)
    assert job(cluster)["spec"]["suspend"] is False and workload_active(cluster) == [True]

    stopped = make(cluster).sync(built_bundle(write(repo, active=False), None))
    action, message = job_op(stopped)
    assert stopped.ok and action == "update" and "Kueue Workload" in message and "deactivated" in message
    assert workload_active(cluster) == [False]
    time.sleep(5)  # Kueue would unsuspend an admitted job within a second or two
    assert job(cluster)["spec"]["suspend"] is True
    assert job_op(make(cluster).sync(built_bundle(repo, None))) == ("unchanged", "")  # stopped: nothing new

    resumed = make(cluster).sync(built_bundle(write(repo, active=True), None))
    assert resumed.ok and "activated" in job_op(resumed)[1] and workload_active(cluster) == [True]
    wait("Kueue to admit the job again", lambda: job(cluster)["spec"]["suspend"] is False, kueue)
    again = make(cluster).sync(built_bundle(repo, None))
    assert again.ok and job_op(again) == ("unchanged", "")
