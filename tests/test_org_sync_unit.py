"""The organisation's part of a sync without a cluster (tests/integration/test_org_sync.py has
the real API server): the bundle's organisation is read and checked, applied before the
workloads' namespaces are looked at, a removed project's LocalQueue and RoleBindings are
pruned while its Namespace waits for approval, and wlc's own workload parents are never taken
for the organisation's. A small in-memory stand-in for ``cluster.kube.Kube``."""
from __future__ import annotations

import copy
import dataclasses
import itertools
from collections import Counter
from pathlib import Path
from typing import Any, cast

import pytest

from compiler import labels as L
from compiler import pipeline
from compiler.cluster import engine, orgsync, plan, source
from compiler.cluster.kube import Kube, Resource

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden"
NAMESPACED = {"ConfigMap", "ResourceQuota", "RoleBinding", "LocalQueue"}
_uids = itertools.count(1)


class FakeKube:
    """Objects by (kind, namespace, name); server-side apply replaces (wlc is the only manager)."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.metrics: Counter[str] = Counter()
        self.log: list[str] = []
        self.events: list[tuple[str, str]] = []

    def resource(self, group: str, version: str, kind: str) -> Resource:
        return Resource(group, version, kind, kind.lower() + "s", kind in NAMESPACED)

    def preferred_version(self, group: str) -> str | None:
        return "v1beta2" if group == "kueue.x-k8s.io" else "v1"

    def get(self, res: Resource, namespace: str, name: str) -> dict[str, Any] | None:
        found = self.objects.get((res.kind, namespace, name))
        return copy.deepcopy(found) if found else None

    def list(self, res: Resource, namespace: str, selector: str) -> list[dict[str, Any]]:
        def match(obj: dict[str, Any]) -> bool:
            labels = obj["metadata"].get("labels") or {}
            return all((labels.get(k) == v) if v else k in labels
                       for k, _, v in (term.partition("=") for term in selector.split(",")))
        return [copy.deepcopy(o) for (kind, ns, _), o in sorted(self.objects.items())
                if kind == res.kind and (not namespace or ns == namespace) and match(o)]

    def apply(self, res: Resource, body: dict[str, Any], force: bool, dry_run: bool = False) -> dict[str, Any]:
        meta = body["metadata"]
        key = (res.kind, str(meta.get("namespace", "")), str(meta["name"]))
        old = self.objects.get(key)
        out = copy.deepcopy(body)
        out["metadata"]["uid"] = old["metadata"]["uid"] if old else f"uid-{next(_uids)}"
        out["metadata"]["managedFields"] = [{"manager": L.FIELD_MANAGER}]
        status = {k: v for k, v in ((old or {}).get("metadata", {}).get("annotations") or {}).items()
                  if k.startswith("status.wlc.dev/")}  # another field manager's (syncstatus): kept
        if status:
            out["metadata"]["annotations"] = {**(out["metadata"].get("annotations") or {}), **status}
        if not dry_run:
            self.metrics["writes"] += 1
            self.log.append(f"apply {key[0]} {key[2]}")
            self.objects[key] = out
        return copy.deepcopy(out)

    def merge_patch(self, res: Resource, namespace: str, name: str, body: dict[str, Any],
                    manager: str) -> dict[str, Any]:
        """Annotations only (what syncstatus writes); a None value removes one."""
        obj = self.objects[(res.kind, namespace, name)]
        notes = obj["metadata"].setdefault("annotations", {})
        for k, v in body["metadata"]["annotations"].items():
            if v is None:
                notes.pop(k, None)
            else:
                notes[k] = v
        self.metrics["writes"] += 1
        return copy.deepcopy(obj)

    def create(self, res: Resource, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
        """Events (syncstatus): kept in ``events`` as (reason, message)."""
        self.metrics["writes"] += 1
        self.events.append((str(body["reason"]), str(body["message"])))
        return body

    def delete(self, res: Resource, namespace: str, name: str, uid: str, propagation: str) -> None:
        self.metrics["writes"] += 1
        self.log.append(f"delete {res.kind} {name}")
        self.objects.pop((res.kind, namespace, name), None)


def bundle(overlay: str = "dev") -> source.Bundle:
    """The golden bundle of ``overlay`` without its workloads (the organisation alone)."""
    return dataclasses.replace(source.read_bundle(GOLDEN, overlay), workloads=())


def without_project(b: source.Bundle, project: str) -> source.Bundle:
    assert b.organisation is not None
    kept = tuple(m for m in b.organisation.members
                 if (m.body["metadata"].get("labels") or {}).get(L.PROJECT) != project)
    return dataclasses.replace(b, organisation=dataclasses.replace(b.organisation, members=kept))


def run(kube: FakeKube, b: source.Bundle, **options: Any) -> plan.Plan:
    return engine.Engine(cast(Kube, kube), engine.Options(**options)).sync(b)


def actions(result: plan.Plan) -> dict[str, str]:
    assert result.organisation is not None
    return {f"{o.kind} {o.namespace}/{o.name}": o.action for o in result.organisation.objects}


def test_the_bundle_reads_its_organisation_as_one_group() -> None:
    org = source.read_bundle(GOLDEN, "dev").organisation
    assert org is not None and org.parent.name == "wlc-organisation-applyset" and org.namespace == "default"
    kinds = [m.kind for m in org.members]
    assert kinds[0] == "ClusterRole" and "LocalQueue" in kinds and "Namespace" in kinds
    assert source.read_bundle(GOLDEN, "prod").organisation is None  # target runai: nothing of it


def test_an_edited_organisation_file_refuses_the_bundle() -> None:
    res = pipeline.build(REPO)
    texts = {k[len("base/"):]: v for k, v in res.files.items() if k.startswith("base/")} or dict(res.files)
    assert "_organisation/nlp.yaml" in texts
    texts["_organisation/nlp.yaml"] = texts["_organisation/nlp.yaml"].replace("baseline", "privileged")
    with pytest.raises(source.BundleRefused) as err:
        source.bundle_from_texts(texts)
    assert any(p.code == "sync.bundle-hash" and p.file.endswith("_organisation/nlp.yaml") for p in err.value.problems)


def test_the_organisation_is_applied_first_and_a_second_sync_writes_nothing() -> None:
    kube = FakeKube()
    first = run(kube, bundle())
    assert first.ok and set(actions(first).values()) == {"create"}
    assert kube.log[0] == "apply ConfigMap wlc-organisation-applyset" and kube.log[1].startswith("apply ClusterRole")
    assert kube.log.index("apply Namespace runai-nlp") < kube.log.index("apply LocalQueue nlp")
    writes = kube.metrics["writes"]
    second = run(kube, bundle())
    assert second.ok and set(actions(second).values()) == {"unchanged"} and kube.metrics["writes"] == writes


def test_a_removed_project_loses_its_queue_and_access_and_its_namespace_waits_for_approval() -> None:
    kube = FakeKube()
    run(kube, bundle())
    removed = run(kube, without_project(bundle(), "nlp"))
    org = actions(removed)
    assert org["LocalQueue runai-nlp/nlp"] == org["ClusterQueue /nlp"] == "prune"
    assert org["RoleBinding runai-nlp/wlc-researcher"] == "prune"
    assert org["Namespace /runai-nlp"] == "refused" and not removed.ok
    assert ("LocalQueue", "runai-nlp", "nlp") not in kube.objects
    assert ("Namespace", "", "runai-nlp") in kube.objects
    assert kube.log.index("delete LocalQueue nlp") < kube.log.index("delete ClusterQueue nlp")
    parent = kube.objects[("ConfigMap", "default", "wlc-organisation-applyset")]
    assert "Namespace" in parent["metadata"]["annotations"][L.APPLYSET_GKS]
    assert parent["metadata"]["annotations"]["status.wlc.dev/result"] == "refused"
    reasons = [reason for reason, _message in kube.events]
    assert reasons[0] == "Created" and {"Pruned", "Refused"} <= set(reasons[1:]), kube.events
    assert "LocalQueue.kueue.x-k8s.io runai-nlp/nlp" in next(m for r, m in kube.events if r == "Pruned")

    kube.apply(kube.resource("", "v1", "ConfigMap"), {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
        "name": "w-applyset", "namespace": "runai-nlp",
        "labels": {L.MANAGED_BY: L.MANAGED_BY_VALUE, L.APPLYSET_ID: "applyset-x"}}}, force=True)
    held = run(kube, without_project(bundle(), "nlp"), allow_mass_delete=True)
    assert actions(held)["Namespace /runai-nlp"] == "refused"  # a wlc workload is still in it
    del kube.objects[("ConfigMap", "runai-nlp", "w-applyset")]
    approved = run(kube, without_project(bundle(), "nlp"), allow_mass_delete=True)
    assert actions(approved)["Namespace /runai-nlp"] == "prune" and approved.ok
    assert ("Namespace", "", "runai-nlp") not in kube.objects


def test_removing_most_projects_is_refused_and_a_bundle_without_organisation_changes_nothing() -> None:
    kube = FakeKube()
    run(kube, bundle())
    two_gone = run(kube, without_project(without_project(bundle(), "nlp"), "recsys"))
    assert "mass-delete guard" in next(o.message for o in two_gone.organisation.objects  # type: ignore[union-attr]
                                       if o.kind == "LocalQueue" and o.name == "nlp")
    assert ("LocalQueue", "runai-nlp", "nlp") in kube.objects
    before = dict(kube.objects)
    nothing = run(kube, dataclasses.replace(bundle(), organisation=None))
    assert nothing.organisation is None and kube.objects == before


def test_a_namespace_made_for_workloads_is_adopted_and_a_foreign_one_is_a_conflict() -> None:
    kube = FakeKube()
    ns = kube.resource("", "v1", "Namespace")
    kube.apply(ns, {"apiVersion": "v1", "kind": "Namespace",
                    "metadata": {"name": "runai-nlp", "labels": {L.MANAGED_BY: L.MANAGED_BY_VALUE}}}, force=False)
    kube.objects[("Namespace", "", "runai-recsys")] = {"apiVersion": "v1", "kind": "Namespace",
                                                        "metadata": {"name": "runai-recsys", "uid": "u"}}
    result = run(kube, bundle())
    org = actions(result)
    assert org["Namespace /runai-nlp"] == "update" and org["Namespace /runai-recsys"] == "conflict"
    assert "not adopted" in next(o.message for o in result.organisation.objects  # type: ignore[union-attr]
                                 if o.name == "runai-recsys")
    assert kube.objects[("Namespace", "", "runai-recsys")]["metadata"].get("labels") is None
    assert org["LocalQueue runai-recsys/recsys"] == "refused"  # nothing is written into a foreign namespace


def test_plan_text_lists_the_organisation_first() -> None:
    result = engine.Engine(cast(Kube, FakeKube()), engine.Options()).plan(bundle())
    text = plan.render_text(result)
    assert text.startswith("create    organisation\n")
    assert "  create    Namespace runai-nlp\n" in text
    assert "  create    LocalQueue.kueue.x-k8s.io runai-nlp/nlp: namespace will be created\n" in text
    assert "plan (dev): organisation: 28 object(s): 28 create" in text
    assert orgsync.is_parent({"metadata": {"namespace": "default", "name": "wlc-organisation-applyset"}})
