"""Read every wlc workload from the cluster: one LIST per kind and namespace set (docs/view.md).

Members are listed with the label selector ``app.kubernetes.io/managed-by=wlc``, pods with the
existence selector ``wlc.dev/workload`` (pod templates carry the workload and project labels), and
grouped by (namespace, workload). Never one request per workload: the number of requests grows
with kinds x namespaces only. Kinds the cluster does not serve are skipped.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .. import gcpause
from .. import labels as L
from . import errors, status
from .kube import Kube, Resource

Obj = dict[str, Any]

#: (group, version, kind) of every member kind wlc emits, the parent ConfigMap first
MEMBER_KINDS: tuple[tuple[str, str, str], ...] = (
    ("", "v1", "ConfigMap"),
    ("batch", "v1", "Job"),
    ("apps", "v1", "StatefulSet"),
    ("apps", "v1", "Deployment"),
    ("autoscaling", "v2", "HorizontalPodAutoscaler"),
    ("kubeflow.org", "v1", "PyTorchJob"),
    ("kubeflow.org", "v1", "TFJob"),
    ("kubeflow.org", "v2beta1", "MPIJob"),
    ("kubeflow.org", "v1", "XGBoostJob"),
    ("serving.knative.dev", "v1", "Service"),
    ("serving.kserve.io", "v1beta1", "InferenceService"),
    ("", "v1", "Service"),
    ("networking.k8s.io", "v1", "Ingress"),
    ("", "v1", "PersistentVolumeClaim"),
)
MEMBER_SELECTOR = f"{L.MANAGED_BY}={L.MANAGED_BY_VALUE}"
POD_SELECTOR = L.WORKLOAD
LIST_THREADS = 4


@dataclass
class Workload:
    """One workload's objects as fetched: members (parent ConfigMap included) and pods."""

    name: str
    namespace: str
    project: str = ""
    type: str = ""
    objects: list[Obj] = field(default_factory=list)
    pods: list[Obj] = field(default_factory=list)

    def status(self) -> status.Status:
        members = [o for o in self.objects if not _is_parent(o)]
        return status.workload_status(members, self.pods)

    def created(self) -> str:
        stamps = [str((o.get("metadata") or {}).get("creationTimestamp") or "") for o in self.objects]
        return min((s for s in stamps if s), default="")


def _is_parent(obj: Obj) -> bool:
    return obj.get("kind") == "ConfigMap" and L.APPLYSET_ID in ((obj.get("metadata") or {}).get("labels") or {})


def _selector(base: str, project: str | None) -> str:
    return f"{base},{L.PROJECT}={project}" if project else base


def _list_all(kube: Kube, res: Resource, namespaces: Sequence[str], selector: str) -> list[Obj]:
    if not namespaces:
        return kube.list(res, "", selector)
    return [item for ns in namespaces for item in kube.list(res, ns, selector)]


def fetch(kube: Kube, namespaces: Sequence[str] = (), project: str | None = None) -> list[Workload]:
    """Every wlc workload in ``namespaces`` (default: every namespace), sorted by namespace, name."""
    members = _selector(MEMBER_SELECTOR, project)

    def kind(gvk: tuple[str, str, str]) -> list[Obj]:
        """Discovery of its group-version (once per Kube), then its LISTs: a thread each, so that
        the discovery of one group overlaps the LISTs of another."""
        try:
            res = kube.resource(*gvk)
        except errors.MissingKind:
            return []
        return _list_all(kube, res, namespaces, members)

    def pods() -> list[Obj]:
        return _list_all(kube, kube.resource("", "v1", "Pod"), namespaces, _selector(POD_SELECTOR, project))

    # the LISTs wait on the server: overlap them; the collector paused while the answers are
    # decoded (megabytes of acyclic dicts that its full collections would rescan: half the decoding)
    with gcpause.paused(), ThreadPoolExecutor(max_workers=LIST_THREADS) as pool:
        pods_future = pool.submit(pods)
        lists = list(pool.map(kind, MEMBER_KINDS))
        found_pods = pods_future.result()
    return group_objects([o for items in lists for o in items], found_pods)


def group_objects(objects: Iterable[Obj], pods: Iterable[Obj]) -> list[Workload]:
    found: dict[tuple[str, str], Workload] = {}
    for obj in objects:
        meta = obj.get("metadata") or {}
        tags = meta.get("labels") or {}
        name = tags.get(L.WORKLOAD)
        if not name:
            continue
        w = found.setdefault((str(meta.get("namespace", "")), str(name)),
                             Workload(str(name), str(meta.get("namespace", ""))))
        w.project = w.project or str(tags.get(L.PROJECT, ""))
        w.type = w.type or str(tags.get(L.WORKLOAD_TYPE, ""))
        w.objects.append(obj)
    for pod in pods:
        meta = pod.get("metadata") or {}
        key = (str(meta.get("namespace", "")), str((meta.get("labels") or {}).get(L.WORKLOAD, "")))
        if key in found:
            found[key].pods.append(pod)
    return [found[k] for k in sorted(found)]


def events(kube: Kube, workload: Workload) -> list[Obj]:
    """The events of a workload's objects and pods (one LIST in its namespace), oldest first."""
    names = {(str(o.get("kind")), str((o.get("metadata") or {}).get("name"))) for o in workload.objects + workload.pods}
    items = kube.list(kube.resource("", "v1", "Event"), workload.namespace, "")
    mine = [e for e in items if (str((e.get("involvedObject") or {}).get("kind")),
                                 str((e.get("involvedObject") or {}).get("name"))) in names]
    return sorted(mine, key=event_time)


def event_time(event: Obj) -> str:
    """Seconds precision, ``Z``: events carry lastTimestamp or (newer API) a microsecond eventTime."""
    stamp = str(event.get("lastTimestamp") or event.get("eventTime") or
                (event.get("metadata") or {}).get("creationTimestamp") or "")
    return stamp[:19] + "Z" if len(stamp) >= 19 else stamp
