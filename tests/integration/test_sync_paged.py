"""Paged LISTs (compiler/cluster/kube.py, docs/sync.md "Scale"), against the real API server:
with a page smaller than a namespace's objects every object is still read, each LIST of a
group-kind × namespace takes ceil(objects / page) requests, and a no-op sync through small
pages finds everything unchanged and writes nothing."""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest
from controlplane import Cluster

from compiler import labels as L
from compiler.cli.sync import built_bundle
from compiler.cluster import engine, kube, plan

pytestmark = pytest.mark.cluster

NS = "pg17-paged"
COUNT, PAGE = 12, 5
#: stopped trainings: a suspended Job each, so no pods (names sort after the namespace's own
#: kube-root-ca.crt ConfigMap: no object outside the selector trails the last page)
TRAINING = """apiVersion: wlc.dev/v1alpha1
kind: TrainingWorkload
metadata: {{name: {name}}}
spec:
  image: python:3.12
  command: python -c 1
  active: false
"""


def write_repo(root: Path) -> Path:
    (root / "wlc.yaml").parent.mkdir(parents=True, exist_ok=True)
    (root / "wlc.yaml").write_text("apiVersion: wlc.dev/v1alpha1\nkind: Repository\nmetadata: {name: pg17}\n")
    (root / "org.yaml").write_text(f"apiVersion: wlc.dev/v1alpha1\nkind: Project\nmetadata: {{name: pg17}}\n"
                                   f"spec: {{namespace: {NS}}}\n")
    folder = root / "workloads" / "pg17"
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(COUNT):
        (folder / f"w{i:02d}.yaml").write_text(TRAINING.format(name=f"pg17-w{i:02d}"))
    return root


def client(cluster: Cluster, page_size: int = kube.PAGE_SIZE) -> kube.Kube:
    return kube.Kube(kube.load_configuration(str(cluster.kubeconfig)), page_size=page_size)


def no_op(cluster: Cluster, repo: Path, page_size: int) -> tuple[plan.Plan, dict[str, int]]:
    eng = engine.Engine(client(cluster, page_size), engine.Options(namespaces=(NS,)))
    result = eng.sync(dataclasses.replace(built_bundle(repo, None), organisation=None))
    return result, eng.metrics


def test_lists_read_every_page(cluster: Cluster, tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo")
    first, _ = no_op(cluster, repo, kube.PAGE_SIZE)
    assert first.ok and first.counts() == {"create": COUNT}, plan.render_text(first)
    for _ in range(5):  # the first syncs after the creation record the runs (suspended)
        _again, metrics = no_op(cluster, repo, kube.PAGE_SIZE)
        if metrics["writes"] == 0:
            break
    small = client(cluster, PAGE)
    pages = math.ceil(COUNT / PAGE)
    cm, job = small.resource("", "v1", "ConfigMap"), small.resource("batch", "v1", "Job")
    for res, selector in ((cm, L.APPLYSET_ID), (job, L.PART_OF)):
        before = small.metrics["requests"]
        items = small.list(res, NS, selector)
        assert len(items) == COUNT and small.metrics["requests"] - before == pages, res.kind
        assert len({i["metadata"]["name"] for i in items}) == COUNT and {i["kind"] for i in items} == {res.kind}
    before = small.metrics["requests"]
    assert len(small.list_metadata(job, NS)) == COUNT and small.metrics["requests"] - before == pages

    whole, whole_metrics = no_op(cluster, repo, kube.PAGE_SIZE)
    paged, paged_metrics = no_op(cluster, repo, PAGE)
    for result, metrics in ((whole, whole_metrics), (paged, paged_metrics)):
        assert result.counts() == {"unchanged": COUNT}, plan.render_text(result)
        assert metrics["writes"] == 0, metrics
    # one LIST of the parents and one of the Jobs in the namespace: each takes `pages` requests
    assert paged_metrics["requests"] - whole_metrics["requests"] == 2 * (pages - 1), (paged_metrics, whole_metrics)
