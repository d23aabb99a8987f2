"""A no-op sync reads with LISTs per group-kind x namespace: its request count does not grow with
the number of workloads, and it writes nothing (against the real control plane). The workloads
are stopped (``active: false``) so that no pod loads the shared nodes."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from controlplane import Cluster

from compiler.cli.sync import built_bundle
from compiler.cluster import engine, kube, plan

pytestmark = pytest.mark.cluster

NAMESPACES = ("s17r-a", "s17r-b")
ORG = """apiVersion: wlc.dev/v1alpha1
kind: Department
metadata:
  name: research
"""
PROJECT = """---
apiVersion: wlc.dev/v1alpha1
kind: Project
metadata:
  name: {project}
spec:
  department: research
  namespace: {namespace}
"""
TRAINING = """apiVersion: wlc.dev/v1alpha1
kind: TrainingWorkload
metadata:
  name: {name}
spec:
  image: python:3.12
  command: python -c 1
  active: false
"""
INFERENCE = """apiVersion: wlc.dev/v1alpha1
kind: InferenceWorkload
metadata:
  name: {name}
spec:
  image: nginx:1.27
  servingPort:
    container: 8080
  active: false
"""


def write_repo(root: Path, count: int) -> Path:
    """``count`` workloads, alternating training (a Job) and inference (a Deployment and a
    Service), spread over two projects, each in one of NAMESPACES."""
    projects = [f"req{i}" for i in range(len(NAMESPACES))]
    root.mkdir(parents=True, exist_ok=True)
    (root / "org.yaml").write_text(ORG + "".join(PROJECT.format(project=p, namespace=ns)
                                                 for p, ns in zip(projects, NAMESPACES)))
    for i in range(count):
        folder = root / "workloads" / projects[i % len(projects)]
        folder.mkdir(parents=True, exist_ok=True)
        text = TRAINING if i % 4 < 2 else INFERENCE
        (folder / f"w{i:04d}.yaml").write_text(text.format(name=f"w{i:04d}"))
    return root


def synced(cluster: Cluster, repo: Path, ok: bool = True) -> tuple[plan.Plan, dict[str, int]]:
    """One sync by a new engine (and client: discovery is counted every time)."""
    client = kube.Kube(kube.load_configuration(str(cluster.kubeconfig)))
    eng = engine.Engine(client, engine.Options(namespaces=NAMESPACES, concurrency=8))
    # Only the workloads: the organisation's Namespace objects would conflict with the namespace
    # this test makes by hand (an unlabelled Namespace is not adopted), and are not what it counts.
    result = eng.sync(dataclasses.replace(built_bundle(repo, None), organisation=None))
    assert result.ok == ok, plan.render_text(result)
    return result, eng.metrics


def test_the_requests_of_a_no_op_sync_do_not_grow_with_the_workloads(cluster: Cluster, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    # someone else's ConfigMap has the name of w0039's parent: its namespace has 20 new parents, so
    # the names are looked up with one metadata-only LIST, which must find it
    foreign = ("configmap", "w0039-applyset", "-n", NAMESPACES[1])
    cluster.ensure_namespace(NAMESPACES[1])
    cluster.kubectl("create", *foreign, "--from-literal=owner=someone-else")
    first, _ = synced(cluster, write_repo(repo, 40), ok=False)
    actions = {w.name: w.action for w in first.workloads}
    assert actions.pop("w0039") == "conflict" and set(actions.values()) == {"create"}
    assert cluster.kubectl_json("get", *foreign)["data"] == {"owner": "someone-else"}
    cluster.kubectl("delete", *foreign)
    noop: dict[int, dict[str, int]] = {}
    for count in (40, 120):
        synced(cluster, write_repo(repo, count))
        again, noop[count] = synced(cluster, repo)
        assert again.counts() == {"unchanged": count}, plan.render_text(again)
        assert noop[count]["writes"] == 0
    assert noop[120]["requests"] == noop[40]["requests"], noop
    assert noop[120]["requests"] == noop[120]["requests.GET"]  # LISTs and discovery: no dry run, no GET per object
    kinds = {"ConfigMap", "Job", "Deployment", "Service"}
    assert noop[120]["requests"] <= 2 * len(kinds) * len(NAMESPACES) + 10, noop  # lists + namespaces + discovery
