"""The bundle contract: labels, the workload's ApplySet parent, apply order, spec hash.

Every object of a workload carries the managed-by, workload, project and workload-type
labels and the ``applyset.kubernetes.io/part-of`` label of the workload's ApplySet (kubectl's
ApplySet: one parent ConfigMap per workload), plus the spec-hash and source annotations.
"""
from __future__ import annotations

import base64
import hashlib
import json

from . import labels as L
from .model import ResolvedWorkload
from .shapes import K8sObject

PARENT_KIND = "ConfigMap"
PARENT_GROUP = ""
TOOLING = "wlc/v1"

#: Apply order (an output contract): (group, kind); unknown kinds go last, by group/kind.
#: The ApplySet parent always comes first; deletion uses the reverse order.
KIND_ORDER: tuple[tuple[str, str], ...] = (
    ("", "ConfigMap"),
    ("", "Secret"),
    ("", "ServiceAccount"),
    ("", "PersistentVolumeClaim"),
    ("", "Service"),
    ("apps", "Deployment"),
    ("apps", "StatefulSet"),
    ("batch", "Job"),
    ("kubeflow.org", "PyTorchJob"),
    ("kubeflow.org", "TFJob"),
    ("kubeflow.org", "MPIJob"),
    ("kubeflow.org", "XGBoostJob"),
    ("serving.knative.dev", "Service"),
    ("serving.kserve.io", "InferenceService"),
    ("autoscaling", "HorizontalPodAutoscaler"),
    ("networking.k8s.io", "Ingress"),
)
_RANK = {gk: i for i, gk in enumerate(KIND_ORDER)}


def group_of(obj: K8sObject) -> str:
    api = str(obj.get("apiVersion", ""))
    return api.split("/", 1)[0] if "/" in api else ""


def applyset_id(name: str, namespace: str, kind: str, group: str) -> str:
    """kubectl's ApplySet id: base64url (no padding) of sha256("<name>.<namespace>.<Kind>.<group>")."""
    digest = hashlib.sha256(f"{name}.{namespace}.{kind}.{group}".encode()).digest()
    return "applyset-" + base64.urlsafe_b64encode(digest).decode().rstrip("=") + "-v1"


def parent_name(workload: str) -> str:
    return f"{workload}-applyset"


def spec_hash(rw: ResolvedWorkload) -> str:
    """Hash of the resolved spec (and what else decides the objects besides the target)."""
    body = {"kind": rw.kind, "name": rw.name, "project": rw.project.name, "namespace": rw.namespace,
            "spec": rw.spec, "labels": rw.labels, "annotations": rw.annotations}
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()[:16]


def canonical_json(data: object) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sort_key(obj: K8sObject) -> tuple[int, str, str, str]:
    gk = (group_of(obj), str(obj.get("kind", "")))
    meta = obj.get("metadata") or {}
    return (_RANK.get(gk, len(_RANK)), gk[0], gk[1], str(meta.get("name", "")))


def group_kind(obj: K8sObject) -> str:
    group = group_of(obj)
    return f"{obj.get('kind')}.{group}" if group else str(obj.get("kind"))


def workload_applyset_id(rw: ResolvedWorkload) -> str:
    """The id of the workload's ApplySet (its parent ConfigMap)."""
    return applyset_id(parent_name(rw.name), rw.namespace, PARENT_KIND, PARENT_GROUP)


def finalize(rw: ResolvedWorkload, objects: list[K8sObject], shash: str) -> list[K8sObject]:
    """Stamp the contract (with ``shash``, the workload's spec_hash) onto ``objects`` and
    return parent + objects in apply order."""
    aid = workload_applyset_id(rw)
    common = {L.MANAGED_BY: L.MANAGED_BY_VALUE, L.WORKLOAD: rw.name, L.PROJECT: rw.project.name,
              L.WORKLOAD_TYPE: rw.kind}
    notes = {L.SPEC_HASH: shash, L.SOURCE: rw.file}
    for obj in objects:
        meta = obj.setdefault("metadata", {})
        meta.setdefault("namespace", rw.namespace)
        meta["labels"] = {**(meta.get("labels") or {}), **common, L.PART_OF: aid}
        meta["annotations"] = {**(meta.get("annotations") or {}), **notes}
    kinds = ",".join(sorted({group_kind(o) for o in objects}))
    parent = {
        "apiVersion": "v1",
        "kind": PARENT_KIND,
        "metadata": {
            "name": parent_name(rw.name),
            "namespace": rw.namespace,
            "labels": {**common, L.APPLYSET_ID: aid},
            "annotations": {**notes, L.APPLYSET_TOOLING: TOOLING, L.APPLYSET_GKS: kinds},
        },
    }
    return [parent] + sorted(objects, key=sort_key)
