"""The adoption rules (compiler/cluster/adopt.py, docs/organisation.md "Adopting what existed
before wlc", docs/sync.md for members): what may be adopted, what the conflict says, the
annotation kept across applies, the release patch (and a member's ownerReference), taking a
member's fields, and the agent manifests' `--adopt`. Pure functions; the real API server is
tests/integration/test_org_sync_adopt.py and test_sync_adopt.py."""
from __future__ import annotations

from typing import Any

from compiler.cluster import adopt, install


def ns(labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None,
       owners: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "team-a", "uid": "u-1", "labels": labels or {}, "annotations": annotations or {}}
    if owners:
        meta["ownerReferences"] = owners
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


def test_only_an_object_no_tool_applyset_or_controller_owns_may_be_adopted() -> None:
    assert adopt.why_not_adoptable(ns({"team": "a", "kubernetes.io/metadata.name": "team-a"})) is None
    assert "Helm" in str(adopt.why_not_adoptable(ns({"app.kubernetes.io/managed-by": "Helm"})))
    assert "Argo CD" in str(adopt.why_not_adoptable(ns(annotations={"argocd.argoproj.io/tracking-id": "x"})))
    assert "another ApplySet" in str(adopt.why_not_adoptable(ns({"applyset.kubernetes.io/part-of": "applyset-x"})))
    assert "another ApplySet" in str(adopt.why_not_adoptable(ns({"applyset.kubernetes.io/id": "applyset-x"})))
    owner = [{"kind": "Thing", "name": "t", "uid": "o", "controller": True}]
    assert "controlled by Thing t" in str(adopt.why_not_adoptable(ns(owners=owner)))


def test_the_conflict_names_the_option_only_when_it_would_help() -> None:
    assert "wlc sync --adopt" in adopt.conflict_message("exists without wlc's labels", ns(), adopt=False)
    helm = adopt.conflict_message("managed by Helm", ns({"app.kubernetes.io/managed-by": "Helm"}), adopt=True)
    assert "never adopted" in helm and "--adopt" not in helm


def test_the_adopted_annotation_is_added_once_and_kept_by_later_applies() -> None:
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a", "labels": {"x": "y"}}}
    assert adopt.body_for(body, ns()) is body  # not adopted, not adopting: the bundle's body
    first = adopt.body_for(body, ns(), adopting=True)
    when = first["metadata"]["annotations"][adopt.ADOPTED]
    assert when.endswith("Z") and "annotations" not in body["metadata"]  # the bundle's body is not changed
    later = adopt.body_for(body, ns(annotations={adopt.ADOPTED: "2026-01-01T00:00:00Z"}))
    assert later["metadata"]["annotations"] == {adopt.ADOPTED: "2026-01-01T00:00:00Z"}


def test_the_release_removes_only_wlcs_labels_and_annotations() -> None:
    live = ns({"team": "a", "app.kubernetes.io/managed-by": "wlc", "applyset.kubernetes.io/part-of": "applyset-o",
               "wlc.dev/project": "a", "pod-security.kubernetes.io/enforce": "baseline"},
              {adopt.ADOPTED: "t", "wlc.dev/source": "org.yaml", "status.wlc.dev/result": "synced", "note": "n"})
    assert adopt.release_patch(live) == {"metadata": {
        "uid": "u-1",
        "labels": {"app.kubernetes.io/managed-by": None, "applyset.kubernetes.io/part-of": None,
                   "wlc.dev/project": None},
        "annotations": {adopt.ADOPTED: None, "wlc.dev/source": None, "status.wlc.dev/result": None}}}


def test_the_agent_manifests_pass_adopt_to_the_agent() -> None:
    assert "--adopt" in install.args(install.Settings(adopt=True))
    assert "--adopt" not in install.args(install.Settings())


def test_a_released_member_loses_only_the_ownerreference_to_its_parent() -> None:
    other = {"kind": "Thing", "name": "t", "uid": "other"}
    parent = {"kind": "ConfigMap", "name": "w-applyset", "uid": "parent"}
    patch = adopt.release_patch(ns({"applyset.kubernetes.io/part-of": "applyset-x"}, owners=[other, parent]), "parent")
    assert patch["metadata"]["ownerReferences"] == [other]
    assert adopt.release_patch(ns(owners=[parent]), "parent")["metadata"]["ownerReferences"] is None  # removed
    assert "ownerReferences" not in adopt.release_patch(ns(owners=[other]), "parent")["metadata"]


def test_taking_the_fields_merges_every_managers_spec_into_wlcs_and_leaves_metadata_and_status() -> None:
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "uid": "u", "resourceVersion": "7",
           "managedFields": [
               {"manager": "kubectl-create", "operation": "Update", "apiVersion": "v1", "fieldsType": "FieldsV1",
                "fieldsV1": {"f:metadata": {"f:labels": {"f:team": {}}},
                             "f:spec": {"f:ports": {"k:{\"port\":9999}": {".": {}}}}}},
               {"manager": "kubectl-edit", "operation": "Update", "apiVersion": "v1", "fieldsType": "FieldsV1",
                "fieldsV1": {"f:spec": {"f:selector": {}}}},
               {"manager": "kube-controller", "operation": "Update", "apiVersion": "v1", "subresource": "status",
                "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {}}}]}}
    patch = adopt.take_fields_patch(svc)["metadata"]
    assert patch["resourceVersion"] == "7"  # a precondition: a changed object is not rewritten blind
    taken, *kept = patch["managedFields"]
    assert (taken["manager"], taken["operation"]) == ("wlc", "Apply")
    assert taken["fieldsV1"] == {"f:spec": {"f:ports": {"k:{\"port\":9999}": {".": {}}}, "f:selector": {}}}
    assert [(e["manager"], e["fieldsV1"]) for e in kept] == [
        ("kube-controller", {"f:status": {}}), ("kubectl-create", {"f:metadata": {"f:labels": {"f:team": {}}}})]
