"""livestate.read: the live state of a sync is read with one LIST per group-kind x namespace
(plus the parents), whatever the number of workloads; names no LIST returned are looked up with
a GET each when few, else with one metadata-only LIST; a finished run is not looked up. A fake
client records the requests."""
from __future__ import annotations

import builtins
import json
from typing import Any

from compiler import labels as L
from compiler.cluster import livestate, runs
from compiler.cluster.kube import Resource
from compiler.cluster.source import Bundle, DesiredObject, DesiredWorkload

NS = "team"


class FakeKube:
    """The read verbs of kube.Kube over a list of stored objects."""

    def __init__(self, stored: list[dict[str, Any]]) -> None:
        self.stored = stored
        self.calls: list[tuple[str, str, str]] = []

    def resource(self, group: str, version: str, kind: str) -> Resource:
        return Resource(group, version, kind, kind.lower() + "s", True)

    def preferred_version(self, group: str) -> str:
        return "v1"

    def _of(self, res: Resource, namespace: str) -> list[dict[str, Any]]:
        return [o for o in self.stored if o["kind"] == res.kind and o["metadata"]["namespace"] == namespace]

    def list(self, res: Resource, namespace: str, selector: str) -> list[dict[str, Any]]:
        self.calls.append(("list", res.kind, selector))
        return [o for o in self._of(res, namespace) if selector in o["metadata"].get("labels", {})]

    def list_metadata(self, res: Resource, namespace: str) -> builtins.list[dict[str, Any]]:
        self.calls.append(("list_metadata", res.kind, ""))
        return [{"metadata": o["metadata"]} for o in self._of(res, namespace)]

    def get(self, res: Resource, namespace: str, name: str) -> dict[str, Any] | None:
        self.calls.append(("get", res.kind, name))
        return next((o for o in self._of(res, namespace) if o["metadata"]["name"] == name), None)


def obj(group: str, kind: str, name: str, labels: dict[str, str], annotations: dict[str, str] | None = None
        ) -> DesiredObject:
    body = {"apiVersion": f"{group}/v1" if group else "v1", "kind": kind,
            "metadata": {"name": name, "namespace": NS, "labels": labels, "annotations": annotations or {}}}
    return DesiredObject(group, "v1", kind, NS, name, body)


def workload(name: str) -> DesiredWorkload:
    aid = f"applyset-{name}"
    parent = obj("", "ConfigMap", f"{name}-applyset", {L.MANAGED_BY: L.MANAGED_BY_VALUE, L.APPLYSET_ID: aid},
                 {L.APPLYSET_GKS: "Job.batch,Service"})
    members = (obj("batch", "Job", name, {L.PART_OF: aid}), obj("", "Service", name, {L.PART_OF: aid}))
    return DesiredWorkload(name, NS, "p", "training", "f.yaml", "hash1", True, aid, parent, members)


def bundle(count: int) -> Bundle:
    return Bundle("base", tuple(workload(f"w{i}") for i in range(count)))


def stored(b: Bundle) -> list[dict[str, Any]]:
    return [o.body for w in b.workloads for o in (w.parent, *w.members)]


def read(kube: FakeKube, b: Bundle) -> livestate.LiveState:
    return livestate.read(kube, b, (NS,), set(), livestate.resolver(kube, b), 2)  # type: ignore[arg-type]


def test_a_synced_state_is_read_with_lists_only_whatever_the_number_of_workloads() -> None:
    for count in (3, 40):
        b = bundle(count)
        kube = FakeKube(stored(b))
        state = read(kube, b)
        assert sorted(kube.calls) == [("list", "ConfigMap", L.APPLYSET_ID), ("list", "Job", L.PART_OF),
                                      ("list", "Service", L.PART_OF)]
        w = b.workloads[-1]
        assert state.parent(NS, w.parent.name) == w.parent.body
        assert set(state.members_of(NS, w.applyset, {"Job.batch", "Service"})) == {("Job.batch", w.name),
                                                                                  ("Service", w.name)}
        assert state.members_of(NS, w.applyset, {"Service"}) == {("Service", w.name): w.members[1].body}


def test_unknown_names_are_a_get_each_when_few_else_one_metadata_list() -> None:
    few = FakeKube([])
    read(few, bundle(3))
    assert sorted(c[0] for c in few.calls if c[0] != "list") == ["get"] * 9  # 3 parents, 3 Jobs, 3 Services
    many = FakeKube([])
    state = read(many, bundle(40))
    assert sorted(c for c in many.calls if c[0] != "list") == [
        ("list_metadata", "ConfigMap", ""), ("list_metadata", "Job", ""), ("list_metadata", "Service", "")]
    assert state.lookup("Job.batch", NS, "w7") is None


def test_someone_elses_object_of_a_wanted_name_is_found() -> None:
    foreign = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "w7", "namespace": NS, "labels": {}}}
    state = read(FakeKube([foreign]), bundle(40))
    found = state.lookup("Job.batch", NS, "w7")
    assert found is not None and found["metadata"]["name"] == "w7"


def test_a_finished_run_the_parent_records_is_not_looked_up() -> None:
    b = bundle(1)
    w = b.workloads[0]
    parent = json.loads(json.dumps(w.parent.body))
    parent["metadata"]["annotations"][runs.RUN] = json.dumps({"specHash": w.spec_hash, "jobs": {f"Job/{w.name}": "u1"}})
    kube = FakeKube([parent, w.members[1].body])  # the Job is gone (its TTL)
    read(kube, b)
    assert [c for c in kube.calls if c[0] != "list"] == []
