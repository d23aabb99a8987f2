"""All or nothing for a new workload (compiler/cluster/execute.py, docs/sync.md "What a sync
does"), against the real API server: in a workload new as a whole, the members up to the first
pod-making one are applied without a dry run; when the server refuses one of them the workload is
rolled back (its parent deleted, the garbage collector takes the rest), so nothing of it stays and
its pods never start. A member after the pod-making one is still dry-run first, so its refusal
applies nothing at all."""
from __future__ import annotations

import copy
import dataclasses
import time
from pathlib import Path

import pytest
from controlplane import Cluster

from compiler.cli.sync import built_bundle
from compiler.cluster import engine, kube, plan, source

pytestmark = pytest.mark.cluster

NS, AFTER, OTHER, PORT = "rb17-rollback", "rb17-after", "rb17-other", 30917
WORKSPACE = """apiVersion: wlc.dev/v1alpha1
kind: InteractiveWorkload
metadata: {{name: rb17-ws}}
spec:
  image: python:3.12
  command: sleep infinity
  ports:
    - {{container: 8080, serviceType: NodePort, external: {port}}}
  exposedUrls:
    - {{container: 8080, url: rb17.example.com}}
  compute: {{cpuCoreRequest: 0.1}}
"""


def bundle(root: Path, namespace: str, port: int) -> source.Bundle:
    """One workspace (Service with a fixed node port, StatefulSet, Ingress) in ``namespace``,
    which exists (so the sync's only writes are the workload's)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "wlc.yaml").write_text("apiVersion: wlc.dev/v1alpha1\nkind: Repository\nmetadata: {name: rb17}\n")
    (root / "org.yaml").write_text(f"apiVersion: wlc.dev/v1alpha1\nkind: Project\nmetadata: {{name: rb17}}\n"
                                   f"spec: {{namespace: {namespace}}}\n")
    (root / "workloads" / "rb17").mkdir(parents=True, exist_ok=True)
    (root / "workloads" / "rb17" / "ws.yaml").write_text(WORKSPACE.format(port=port))
    return dataclasses.replace(built_bundle(root, None), organisation=None)


def sync(cluster: Cluster, desired: source.Bundle, namespace: str) -> tuple[plan.Plan, dict[str, int]]:
    cluster.ensure_namespace(namespace)
    eng = engine.Engine(kube.Kube(kube.load_configuration(str(cluster.kubeconfig))),
                        engine.Options(namespaces=(namespace,)))
    return eng.sync(desired), eng.metrics


def names(cluster: Cluster, kind: str, namespace: str = NS) -> set[str]:
    return {str(i["metadata"]["name"]) for i in cluster.kubectl_json("get", kind, "-n", namespace)["items"]}


def test_a_new_workload_refused_part_way_is_rolled_back(cluster: Cluster, tmp_path: Path) -> None:
    desired = bundle(tmp_path / "repo", NS, PORT)
    kinds = [m.kind for m in desired.workloads[0].members]
    assert kinds == ["Service", "Service", "StatefulSet", "Ingress"], kinds  # the Services come before the pod maker
    refused = next(i for i, m in enumerate(desired.workloads[0].members)
                   if any(p.get("nodePort") == PORT for p in m.body["spec"].get("ports") or []))
    cluster.ensure_namespace(OTHER)
    taken = ("service", "nodeport", "rb17-taken", "--tcp=80:80", f"--node-port={PORT}", "-n", OTHER)
    cluster.kubectl("create", *taken)  # someone else holds the workload's node port

    result, metrics = sync(cluster, desired, NS)
    ws = result.workloads[0]
    assert not result.ok and ws.action == "failed", plan.render_text(result)
    assert "already allocated" in ws.message and "deleted again" in ws.message, ws.message
    # the Ingress (after the pod maker) was dry-run in the plan; then the parent and the Services
    # up to the refused one were applied without one, nothing after it; the parent deleted again
    applied = 1 + refused + 1
    assert (metrics.get("requests.PATCH", 0), metrics.get("requests.DELETE", 0), metrics["writes"]) == (
        1 + applied, 1, applied + 1), metrics
    deadline = time.monotonic() + 60
    while "rb17-ws-applyset" in names(cluster, "configmaps") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert "rb17-ws-applyset" not in names(cluster, "configmaps")
    assert names(cluster, "statefulsets") == set() and names(cluster, "services") == set()

    cluster.kubectl("delete", "service", "rb17-taken", "-n", OTHER)
    again, _ = sync(cluster, desired, NS)
    assert again.ok and again.workloads[0].action == "create", plan.render_text(again)
    assert "rb17-ws" in names(cluster, "statefulsets")


def test_a_refused_member_after_the_pod_maker_applies_nothing(cluster: Cluster, tmp_path: Path) -> None:
    desired = bundle(tmp_path / "repo", AFTER, PORT + 1)
    w = desired.workloads[0]
    ingress = next(m for m in w.members if m.kind == "Ingress")
    body = copy.deepcopy(ingress.body)
    body["spec"]["rules"][0]["host"] = "Not_A_Host"  # the server refuses it (not a DNS name)
    broken = dataclasses.replace(w, members=tuple(dataclasses.replace(m, body=body) if m is ingress else m
                                                  for m in w.members))
    result, metrics = sync(cluster, dataclasses.replace(desired, workloads=(broken,)), AFTER)
    assert not result.ok and result.workloads[0].action == "failed", plan.render_text(result)
    assert metrics["writes"] == 0, metrics  # refused by its dry run, before anything was applied
    assert "rb17-ws-applyset" not in names(cluster, "configmaps", AFTER)
    assert names(cluster, "statefulsets", AFTER) == set() and names(cluster, "services", AFTER) == set()
