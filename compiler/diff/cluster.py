"""What a change means in the cluster: jobs recreated, pods restarted, workloads stopped or
activated, PersistentVolumeClaims deleted, and the GPUs requested per project and node pool."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import yaml

from ..emit import WorkloadBundle
from .model import Effect, GpuRow

ObjKey = tuple[str, str, str, str]
Objects = dict[ObjKey, tuple[dict[str, Any], str]]

#: (group, kind) of run-to-completion jobs: a changed pod template cannot be applied in place
JOB_KINDS = {("batch", "Job"), ("kubeflow.org", "PyTorchJob"), ("kubeflow.org", "TFJob"),
             ("kubeflow.org", "MPIJob"), ("kubeflow.org", "XGBoostJob")}
#: fields of a job's spec that change in place (everything else recreates it)
MUTABLE = frozenset({"suspend", "parallelism", "ttlSecondsAfterFinished", "activeDeadlineSeconds"})
ROLLING = {("apps", "StatefulSet"), ("apps", "Deployment")}
NODE_POOL_LABEL = "run.ai/node-pool"


def effects(change: str, b: WorkloadBundle | None, h: WorkloadBundle | None,
            old: Objects, new: Objects) -> tuple[Effect, ...]:
    out: list[Effect] = []
    if change == "added":
        stopped = h is not None and not h.active
        out.append(Effect("created", f"{len(new)} object(s) created" + (", stopped (no pods run)" if stopped else "")))
    if change == "removed":
        out.append(Effect("deleted", f"all {len(old)} object(s) deleted: running pods stop and a running "
                                     "job's work is lost"))
    if b is not None and h is not None and b.active != h.active:
        out.append(Effect("stopped", "stopped: its pods are deleted (the objects stay)") if b.active
                   else Effect("activated", "activated: its pods are created again"))
    for key in sorted(old.keys() & new.keys()):
        out.extend(_object_effect(key, old[key][0], new[key][0]))
    out.extend(Effect("pvc-deleted", f"PersistentVolumeClaim {k[2]}/{k[3]} is deleted: its data is lost unless "
                                     "the volume's reclaim policy keeps it")
               for k in sorted(old.keys() - new.keys()) if k[:2] == ("", "PersistentVolumeClaim"))
    return tuple(out)


def _object_effect(key: ObjKey, old: dict[str, Any], new: dict[str, Any]) -> list[Effect]:
    group, kind, namespace, name = key
    if (group, kind) in JOB_KINDS and _fixed(old.get("spec")) != _fixed(new.get("spec")):
        return [Effect("recreate", f"{kind} {namespace}/{name} is recreated: its pod template (or another field "
                                   "that cannot change in place) changed, so a running job is deleted and "
                                   "started again and its running work is lost")]
    if (group, kind) in ROLLING and _spec(old).get("template") != _spec(new).get("template"):
        return [Effect("restart", f"{kind} {namespace}/{name} replaces its pods (rolling update)")]
    return []


def _spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def _fixed(spec: object) -> object:
    """A job spec without the fields that change in place (also inside ``runPolicy``)."""
    if not isinstance(spec, dict):
        return spec
    out = {k: v for k, v in spec.items() if k not in MUTABLE}
    if isinstance(out.get("runPolicy"), dict):
        out["runPolicy"] = {k: v for k, v in out["runPolicy"].items() if k not in MUTABLE}
    return out


def gpu_rows(before: dict[tuple[str, str], float], after: dict[tuple[str, str], float]) -> tuple[GpuRow, ...]:
    """GPUs requested by active workloads per (project, first-choice node pool), before and after."""
    rows = [GpuRow(p, pool, before.get((p, pool), 0.0), after.get((p, pool), 0.0))
            for p, pool in sorted(before.keys() | after.keys())]
    return tuple(r for r in rows if r.before or r.after)


#: one workload's GPU requests, in the order ``gpu_totals`` adds them: ((project, pool), GPUs)
Terms = list[tuple[tuple[str, str], float]]


def gpu_totals(bundles: list[WorkloadBundle], label: str = NODE_POOL_LABEL,
               known: Mapping[int, Terms] | None = None) -> dict[tuple[str, str], float]:
    """GPUs of the active workloads by (project, first-choice node pool); ``known``: the terms of
    bundles (by id) whose objects were dropped, instead of reading their text back."""
    totals: dict[tuple[str, str], float] = {}
    for b in bundles:
        terms = known.get(id(b)) if known is not None and not b.objects else None
        for key, gpus in gpu_terms(b, label) if terms is None else terms:
            totals[key] = totals.get(key, 0.0) + gpus
    return totals


def gpu_terms(b: WorkloadBundle, label: str = NODE_POOL_LABEL) -> Terms:
    """What ``b`` adds to ``gpu_totals`` (nothing when it is stopped), one term per pod template."""
    if not b.active:
        return []
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    objects = b.objects or [yaml.load(t, Loader=loader) for t in b.docs]
    return [((b.project, _pool(template, label)), count * template_gpus(template))
            for obj in objects for count, template in pod_templates(obj)]


def pod_templates(obj: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(replicas, pod template) of every pod template in ``obj``: a Job's parallelism, a set's or
    a replica spec's replicas (1 when unset). ``suspend`` is not read: Kueue's jobs are created
    suspended; a stopped workload is left out by the caller."""
    yield from _walk(_spec(obj))


def _walk(node: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    template = node.get("template")
    if isinstance(template, dict) and isinstance(template.get("spec"), dict) and "containers" in template["spec"]:
        count = node.get("replicas", node.get("parallelism", 1))
        yield (count if isinstance(count, int) else 1), template
        return
    for value in node.values():
        if isinstance(value, dict):
            yield from _walk(value)


def template_gpus(template: dict[str, Any]) -> float:
    """Whole GPUs (``*/gpu`` limits or requests) plus Run:ai fractions (``gpu-fraction`` ×
    ``gpu-fraction-num-devices``) of one pod."""
    total = 0.0
    for c in template["spec"].get("containers") or []:
        res = c.get("resources") or {}
        amounts = {**(res.get("requests") or {}), **(res.get("limits") or {})}
        total += sum(_number(v) for k, v in amounts.items() if str(k).endswith("/gpu"))
    notes = (template.get("metadata") or {}).get("annotations") or {}
    if "gpu-fraction" in notes:
        total += _number(notes["gpu-fraction"]) * _number(notes.get("gpu-fraction-num-devices", 1))
    return total


def _number(value: object) -> float:
    try:
        return float(str(value))
    except ValueError:
        return 0.0


def _pool(template: dict[str, Any], label: str) -> str:
    affinity = ((template["spec"].get("affinity") or {}).get("nodeAffinity") or {})
    required = affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or {}
    for term in required.get("nodeSelectorTerms") or []:
        for expr in term.get("matchExpressions") or []:
            if expr.get("key") == label and expr.get("operator") == "In" and expr.get("values"):
                return str(expr["values"][0])
    selector = template["spec"].get("nodeSelector") or {}
    return str(selector.get(label, "(any)"))
