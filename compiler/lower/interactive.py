"""Interactive workloads → an ``apps/v1`` StatefulSet with one replica (0 when stopped), plus
the Services and Ingress of its ports and URLs, and the PVCs its pod creates.

Kubernetes before 1.33 requires ``serviceName``: there a headless Service ``<w>-headless``
governs the pod's DNS name. The StatefulSet name is limited so the controller's
``controller-revision-hash`` label (``<name>-<hash>``, hash up to 10 characters) fits 63.
"""
from __future__ import annotations

import re

from compiler.labels import pod_labels
from compiler.lower.common import Ctx, metadata
from compiler.lower.network import headless_service, lower_network
from compiler.lower.pod import build_pod
from compiler.lower.scheduling import scheduler_labels
from compiler.shapes import K8sObject

MAX_STATEFULSET_NAME = 52
TRAINING_ONLY = ("backoffLimit", "completions", "parallelism", "autoDeletionTimeAfterCompletionSeconds")


def needs_service_name(version: str) -> bool:
    m = re.match(r"^v?(\d+)\.(\d+)", version)
    if m is None:
        return False
    return (int(m.group(1)), int(m.group(2))) < (1, 33)


def lower_interactive(ctx: Ctx) -> list[K8sObject]:
    rw, target = ctx.rw, ctx.target
    pod = build_pod(ctx, restart_policy="Always")
    if len(rw.name) > MAX_STATEFULSET_NAME:
        ctx.doc_problem(("metadata", "name"), "lower.name-too-long",
                    f"workload name {rw.name!r} has {len(rw.name)} characters; a StatefulSet name "
                    f"must leave room for its controller-revision-hash label (at most "
                    f"{MAX_STATEFULSET_NAME})")
    for key in TRAINING_ONLY:
        if ctx.get(key) is not None:
            ctx.problem((key,), "lower.not-applicable",
                        f"{key} applies to Training workloads only; it is ignored", "warning")
    if ctx.get("terminateAfterPreemption") is True:
        ctx.problem(("terminateAfterPreemption",), "lower.not-applicable",
                    "terminateAfterPreemption has no meaning for an Interactive workload (its pod "
                    "is always restarted); it is ignored", "warning")
    if not rw.active and target.scheduler == "kueue":
        ctx.problem(("active",), "lower.kueue-stop",
                    "stopping scales the StatefulSet to 0; Kueue's StatefulSet integration (needs the "
                    "\"pod\" and \"statefulset\" frameworks) has not always supported scaling", "warning")
    spec: K8sObject = {
        "replicas": 1 if rw.active else 0,
        "selector": {"matchLabels": pod_labels(rw.name, rw.project.name)},
        "template": pod.template,
    }
    objects: list[K8sObject] = []
    if needs_service_name(target.kubernetes_version):
        spec["serviceName"] = f"{rw.name}-headless"
        objects.append(headless_service(rw, spec["serviceName"]))
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet",
           "metadata": metadata(rw, rw.name, labels=scheduler_labels(ctx)), "spec": spec}
    return [sts, *objects, *pod.objects, *lower_network(ctx)]
