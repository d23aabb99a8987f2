"""Run:ai's workload statuses computed from a workload's fetched objects (docs/view.md).

Pure functions over plain dicts, as the API server returns them. The status names and their
entry and exit conditions are those of Run:ai's Workloads view
(Creating, Pending, Initializing, Running, Degraded, Completed, Failed, Stopped, Suspending,
Resuming, Deleting). One main object decides the workload's life cycle (the Job, the training
operator's job, the StatefulSet, the Deployment, the Knative Service or the InferenceService); its
pods give the scheduling and start-up detail and the pending reason shown as the message.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]

CREATING, PENDING, INITIALIZING, RUNNING, DEGRADED = "Creating", "Pending", "Initializing", "Running", "Degraded"
COMPLETED, FAILED, STOPPED, SUSPENDING, RESUMING, DELETING = (
    "Completed", "Failed", "Stopped", "Suspending", "Resuming", "Deleting")
STATUSES = (CREATING, PENDING, INITIALIZING, RUNNING, DEGRADED, COMPLETED, FAILED, STOPPED, SUSPENDING,
            RESUMING, DELETING)

#: the kinds that carry a workload's life cycle, most specific first
MAIN_KINDS = ("PyTorchJob", "TFJob", "MPIJob", "XGBoostJob", "InferenceService", "Service.serving.knative.dev", "Job",
              "StatefulSet", "Deployment")
SERVING_KINDS = {"StatefulSet", "Deployment", "Service.serving.knative.dev", "InferenceService"}
REPLICA_SPECS = {"PyTorchJob": "pytorchReplicaSpecs", "TFJob": "tfReplicaSpecs", "MPIJob": "mpiReplicaSpecs",
                 "XGBoostJob": "xgbReplicaSpecs"}
#: container waiting reasons that mean the pod will not start by itself
FAILING_WAITS = {"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CrashLoopBackOff",
                 "CreateContainerConfigError", "CreateContainerError", "RunContainerError"}


@dataclass(frozen=True)
class Status:
    status: str
    message: str
    running_pods: int
    requested_pods: int
    gpus_requested: float
    gpus_allocated: float


def kind_key(obj: Obj) -> str:
    """``Kind``, or ``Kind.group`` where a kind name is ambiguous (Knative's Service)."""
    kind = str(obj.get("kind", ""))
    if kind == "Service" and str(obj.get("apiVersion", "")).startswith("serving.knative.dev/"):
        return "Service.serving.knative.dev"
    return kind


def main_object(objects: Iterable[Obj]) -> Obj | None:
    by_kind = {kind_key(o): o for o in objects}
    return next((by_kind[k] for k in MAIN_KINDS if k in by_kind), None)


def conditions(obj: Obj) -> dict[str, Obj]:
    return {str(c.get("type")): c for c in (obj.get("status") or {}).get("conditions") or []}


def is_true(conds: dict[str, Obj], name: str) -> bool:
    return str((conds.get(name) or {}).get("status")) == "True"


def _why(cond: Obj | None) -> str:
    if not cond:
        return ""
    return ": ".join(p for p in (str(cond.get("reason") or ""), str(cond.get("message") or "")) if p)


# -- GPUs and pods ---------------------------------------------------------------------------

def pod_gpus(template: Obj) -> float:
    """GPUs one pod of this template (or pod) asks for: whole, MIG slices and Run:ai fractions."""
    spec = template.get("spec") or {}
    total = 0.0
    for c in spec.get("containers") or []:
        limits = (c.get("resources") or {}).get("limits") or {}
        for key, value in limits.items():
            if key == "nvidia.com/gpu" or key.startswith("nvidia.com/mig-"):
                total += float(value)
    notes = (template.get("metadata") or {}).get("annotations") or {}
    if "gpu-fraction" in notes:
        total += float(notes["gpu-fraction"]) * float(notes.get("gpu-fraction-num-devices", 1))
    return total


def templates(main: Obj) -> list[tuple[Obj, int]]:
    """(pod template, replicas) pairs the main object asks for."""
    kind, spec = kind_key(main), main.get("spec") or {}
    if kind in REPLICA_SPECS:
        return [(r.get("template") or {}, int(r.get("replicas", 1)))
                for r in (spec.get(REPLICA_SPECS[kind]) or {}).values()]
    if kind == "Job":
        return [(spec.get("template") or {}, int(spec.get("parallelism", 1)))]
    if kind in ("StatefulSet", "Deployment"):
        return [(spec.get("template") or {}, int(spec.get("replicas", 1)))]
    if kind == "Service.serving.knative.dev":
        return [(spec.get("template") or {}, 1)]
    if kind == "InferenceService":
        predictor = spec.get("predictor") or {}
        return [({"metadata": {}, "spec": predictor}, int(predictor.get("minReplicas", 1)))]
    return []


def live(pods: Iterable[Obj]) -> list[Obj]:
    return [p for p in pods if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]


def pod_ready(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and is_true(conditions(pod), "Ready")


def pod_problem(pod: Obj) -> str:
    """Why a pod does not run: unscheduled (its condition), or a container's failing wait."""
    conds = conditions(pod)
    scheduled = conds.get("PodScheduled")
    if scheduled and scheduled.get("status") == "False":
        return _why(scheduled) or "Unschedulable"
    status = pod.get("status") or {}
    for cs in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        waiting = (cs.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in FAILING_WAITS:
            return _why(waiting)
    return ""


def unscheduled(pod: Obj) -> bool:
    return not (pod.get("spec") or {}).get("nodeName")


# -- the status ------------------------------------------------------------------------------

def workload_status(objects: Sequence[Obj], pods: Sequence[Obj]) -> Status:
    """The Run:ai status of one workload from its members (no pods) and its pods."""
    main = main_object(objects)
    running = sum(1 for p in pods if pod_ready(p))
    allocated = sum((pod_gpus(p) for p in live(pods) if not unscheduled(p)), 0.0)
    if main is None:
        return Status(CREATING, "no workload object yet", running, 0, 0.0, allocated)
    pairs = templates(main)
    requested = sum(n for _, n in pairs)
    gpus = sum((pod_gpus(t) * n for t, n in pairs), 0.0)
    state, message = _lifecycle(main, list(pods), requested)
    if state in (COMPLETED, FAILED, STOPPED):
        requested = 0 if state == STOPPED else requested
    return Status(state, message, running, requested, gpus, allocated)


def _lifecycle(main: Obj, pods: list[Obj], requested: int) -> tuple[str, str]:
    if (main.get("metadata") or {}).get("deletionTimestamp"):
        return DELETING, "the workload and its resources are being deleted"
    kind = kind_key(main)
    if kind == "Job":
        return _job(main, pods, requested)
    if kind in REPLICA_SPECS:
        return _training(main, pods, requested)
    if kind in ("StatefulSet", "Deployment"):
        return _replicated(main, pods, requested)
    return _served(main, pods, requested)


def _job(job: Obj, pods: list[Obj], requested: int) -> tuple[str, str]:
    conds = conditions(job)
    if is_true(conds, "Complete") or is_true(conds, "SuccessCriteriaMet"):
        return COMPLETED, ""
    if is_true(conds, "Failed") or is_true(conds, "FailureTarget"):
        return FAILED, _why(conds.get("Failed") or conds.get("FailureTarget"))
    suspended = bool((job.get("spec") or {}).get("suspend"))
    if suspended:
        return (SUSPENDING, "pods are being deleted") if live(pods) else (STOPPED, "")
    if is_true(conds, "Suspended"):
        return RESUMING, "pods are being created"
    return from_pods(pods, requested, serving=False)


def _training(job: Obj, pods: list[Obj], requested: int) -> tuple[str, str]:
    conds = conditions(job)
    if is_true(conds, "Succeeded"):
        return COMPLETED, ""
    if is_true(conds, "Failed"):
        return FAILED, _why(conds.get("Failed"))
    run_policy = (job.get("spec") or {}).get("runPolicy") or {}
    if run_policy.get("suspend"):
        return (SUSPENDING, "pods are being deleted") if live(pods) else (STOPPED, "")
    if is_true(conds, "Suspended"):
        return RESUMING, "pods are being created"
    state, message = from_pods(pods, requested, serving=False)
    if state == RUNNING and is_true(conds, "Restarting"):
        return DEGRADED, _why(conds.get("Restarting"))
    return state, message


def _replicated(obj: Obj, pods: list[Obj], requested: int) -> tuple[str, str]:
    conds = conditions(obj)
    progressing = conds.get("Progressing") or {}
    if progressing.get("status") == "False" and progressing.get("reason") == "ProgressDeadlineExceeded":
        return FAILED, _why(progressing)
    if requested == 0:
        return (SUSPENDING, "pods are being deleted") if live(pods) else (STOPPED, "")
    if is_true(conds, "ReplicaFailure"):
        return FAILED, _why(conds.get("ReplicaFailure"))
    return from_pods(pods, requested, serving=True)


def _served(obj: Obj, pods: list[Obj], requested: int) -> tuple[str, str]:
    """Knative Service and KServe InferenceService: their Ready condition, else their pods."""
    conds = conditions(obj)
    ready = conds.get("Ready") or {}
    if ready.get("status") == "True":
        return (RUNNING, "") if all(pod_ready(p) for p in live(pods)) else (DEGRADED, "not every pod is ready")
    if ready.get("status") == "False":
        return FAILED, _why(ready)
    if not pods and not conds:
        return CREATING, "waiting for the serving controller"
    return from_pods(pods, requested, serving=True)


def from_pods(pods: list[Obj], requested: int, serving: bool) -> tuple[str, str]:
    """Creating -> Pending -> Initializing -> Running (Degraded or Failed on the way) from pods."""
    current = live(pods)
    failed = [p for p in pods if (p.get("status") or {}).get("phase") == "Failed"]
    if not current:
        if failed:
            return FAILED, _pod_message(failed[0]) or "a pod failed"
        return CREATING, "pods are being created"
    ready = [p for p in current if pod_ready(p)]
    problems = [(p, pod_problem(p)) for p in current]
    pending = [(p, why) for p, why in problems if unscheduled(p)]
    broken = [(p, why) for p, why in problems if why and not unscheduled(p)]
    if serving and ready and (pending or broken or len(ready) < min(requested, len(current))):
        first = (pending or broken)[0][1] if (pending or broken) else ""
        return DEGRADED, first or f"{len(ready)} of {requested} pods ready"
    if broken:
        return FAILED, f"{_name(broken[0][0])}: {broken[0][1]}"
    if pending:
        return PENDING, f"{_name(pending[0][0])}: {pending[0][1] or 'not scheduled yet'}"
    if len(current) < requested and not ready:
        return CREATING, f"{len(current)} of {requested} pods created"
    starting = [p for p in current if not pod_ready(p) and not started(p)]
    if starting:
        return INITIALIZING, "pulling images, starting containers"
    if len(ready) < len(current):
        lost = next(p for p in current if not pod_ready(p))
        return DEGRADED, f"{_name(lost)}: not ready ({_why(conditions(lost).get('Ready')) or 'readiness lost'})"
    return RUNNING, ""


def started(pod: Obj) -> bool:
    """Initialized with every container ready: a pod not Ready after that lost its readiness."""
    conds = conditions(pod)
    return (pod.get("status") or {}).get("phase") == "Running" and is_true(conds, "Initialized") \
        and is_true(conds, "ContainersReady")


def _pod_message(pod: Obj) -> str:
    status = pod.get("status") or {}
    return ": ".join(p for p in (str(status.get("reason") or ""), str(status.get("message") or "")) if p)


def _name(pod: Obj | None) -> str:
    return str(((pod or {}).get("metadata") or {}).get("name", ""))
