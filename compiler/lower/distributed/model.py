"""The model every distributed backend shares: topology, per-role specs, lifecycle.

``topology`` reads the framework and the replica counts, ``role_spec`` merges the ``master`` /
``worker`` sections over the pod-level fields (with ``compiler.merge``: itemized lists by key,
``exclude: true`` removes an inherited item), ``lifecycle`` reads the run-policy fields. The
backends (``kubeflow``, ``native``) import this module; it imports none of them.

Defaults (Run:ai's): ``workers`` 1, a master unless ``noMaster`` (MPI: always a launcher),
``cleanPodPolicy`` Running. XGBoost always has a master (the training operator requires the
Master replica: it is the Rabit tracker, rank 0).
"""
from __future__ import annotations

from dataclasses import dataclass

from compiler.lower.common import Ctx, int_or_none
from compiler.merge import SECTIONS, merge, tag, untag
from compiler.model import Path, ResolvedWorkload, Source
from compiler.problems import Problem
from compiler.shapes import K8sObject, SpecTree

FRAMEWORKS = ("PyTorch", "TF", "MPI", "XGBoost")
#: frameworks whose job always has a primary pod, and why noMaster is refused
ALWAYS_MASTER = {
    "MPI": "an MPI job always has a launcher (the master section configures it); remove noMaster",
    "XGBoost": "an XGBoostJob always has a master (the training operator requires exactly one Master "
               "replica: it runs the Rabit tracker, rank 0); remove noMaster",
}
CLEAN_POD_POLICIES = ("Running", "All", "None")
DEFAULT_CLEAN_POD_POLICY = "Running"  # Run:ai's default (Kubeflow's own is None)
#: pod-template label naming the replica type (master, worker, ps, chief, launcher, evaluator)
ROLE_LABEL = "wlc.dev/replica-type"


@dataclass
class Topology:
    framework: str
    workers: int
    master: bool
    ps: int = 0
    evaluator: int = 0
    slots: int | None = None
    elastic: tuple[int, int] | None = None


@dataclass
class RoleSpec:
    """The pod-level spec one role gets: the workload's fields with its section merged over."""

    spec: SpecTree
    prefix: Path


def non_preemptible(ctx: Ctx) -> None:
    """nonPreemptible has no field of its own: a warning unless a priority class is set."""
    if ctx.get("nonPreemptible") is True and not ctx.get("priorityClass"):
        ctx.problem(("nonPreemptible",), "lower.non-preemptible",
                    "nonPreemptible has no Kubernetes field of its own; set priorityClass to a "
                    "PriorityClass that does not preempt (Run:ai: build) to keep the pods from being "
                    "preempted", "warning")


def role_spec(rw: ResolvedWorkload, role: str) -> RoleSpec:
    """``rw.spec`` without the sections, with section ``role`` merged over it."""
    section = rw.spec.get(role)
    if not isinstance(section, dict) or not section:
        return RoleSpec(rw.spec, ())
    base = {k: v for k, v in rw.spec.items() if k not in SECTIONS}
    src = Source("submission")
    data, _ = untag(merge(tag(base, src), tag(section, src)))
    return RoleSpec(data, (role,))


def _count(ctx: Ctx, path: Path, minimum: int, default: int | None) -> int | None:
    raw = ctx.get(*[str(p) for p in path])
    if raw is None:
        return default
    value = int_or_none(raw)
    if value is None or value < minimum:
        ctx.problem(path, "lower.count", f"{'.'.join(map(str, path))} {raw!r} must be an integer "
                    f"of at least {minimum}")
        return None
    return value


def topology(ctx: Ctx) -> Topology | None:
    """The replica layout of the workload, checked; None (with problems) when it is unusable."""
    framework = ctx.get("framework")
    if framework not in FRAMEWORKS:
        ctx.problem(("framework",), "lower.framework",
                    f"framework {framework!r} must be one of {', '.join(FRAMEWORKS)}")
        return None
    workers = _count(ctx, ("workers",), 0, 1)
    if workers is None:
        return None
    no_master = ctx.get("noMaster") is True
    if no_master and framework in ALWAYS_MASTER:
        ctx.problem(("noMaster",), "lower.topology", ALWAYS_MASTER[str(framework)])
        return None
    topo = Topology(str(framework), workers, not no_master)
    if not _framework_fields(ctx, topo):
        return None
    if topo.workers + int(topo.master) + topo.ps + topo.evaluator == 0:
        ctx.problem(("workers",), "lower.topology",
                    "the job has no pods: set workers to at least 1, or keep the master")
        return None
    if framework == "MPI" and topo.workers == 0:
        ctx.problem(("workers",), "lower.topology", "an MPI job needs at least one worker for mpirun")
        return None
    return topo


def _framework_fields(ctx: Ctx, topo: Topology) -> bool:
    """slotsPerWorker (MPI), min/maxReplicas (PyTorch), tfReplicas (TF); False on errors."""
    ok = True
    if ctx.get("slotsPerWorker") is not None:
        if topo.framework == "MPI":
            topo.slots = _count(ctx, ("slotsPerWorker",), 1, None)
            ok = topo.slots is not None
        else:
            ctx.problem(("slotsPerWorker",), "lower.not-applicable",
                        f"slotsPerWorker applies to MPI only (framework is {topo.framework})")
            ok = False
    if ctx.get("minReplicas") is not None or ctx.get("maxReplicas") is not None:
        ok = _elastic(ctx, topo) and ok
    tf = ctx.get("tfReplicas")
    if isinstance(tf, dict) and tf:
        if topo.framework != "TF":
            ctx.problem(("tfReplicas",), "lower.not-applicable",
                        f"tfReplicas applies to TF only (framework is {topo.framework})")
            return False
        ps = _count(ctx, ("tfReplicas", "ps"), 0, 0)
        evaluator = _count(ctx, ("tfReplicas", "evaluator"), 0, 0)
        if ps is None or evaluator is None:
            return False
        if evaluator > 1:
            ctx.problem(("tfReplicas", "evaluator"), "lower.topology",
                        "a TFJob has at most one evaluator")
            return False
        topo.ps, topo.evaluator = ps, evaluator
    return ok


def _elastic(ctx: Ctx, topo: Topology) -> bool:
    if topo.framework != "PyTorch":
        ctx.problem(("minReplicas",) if ctx.get("minReplicas") is not None else ("maxReplicas",),
                    "lower.not-applicable",
                    f"minReplicas/maxReplicas (elastic training) apply to PyTorch only (framework is "
                    f"{topo.framework})")
        return False
    low = _count(ctx, ("minReplicas",), 1, topo.workers)
    high = _count(ctx, ("maxReplicas",), 1, topo.workers)
    if low is None or high is None:
        return False
    if low > high:
        ctx.problem(("minReplicas",), "lower.elastic",
                    f"minReplicas {low} is greater than maxReplicas {high}")
        return False
    if not low <= topo.workers <= high:
        ctx.problem(("workers",), "lower.elastic",
                    f"workers {topo.workers} must lie between minReplicas {low} and maxReplicas {high}")
        return False
    topo.elastic = (low, high)
    return True


def lifecycle(ctx: Ctx) -> K8sObject:
    """cleanPodPolicy, backoffLimit and ttlSecondsAfterFinished, checked (Kubeflow runPolicy names)."""
    out: K8sObject = {}
    policy = ctx.get("cleanPodPolicy")
    if policy is not None and policy not in CLEAN_POD_POLICIES:
        ctx.problem(("cleanPodPolicy",), "lower.clean-pod-policy",
                    f"cleanPodPolicy {policy!r} must be one of {', '.join(CLEAN_POD_POLICIES)}")
    else:
        out["cleanPodPolicy"] = policy or DEFAULT_CLEAN_POD_POLICY
    backoff = _count(ctx, ("backoffLimit",), 0, None)
    if backoff is not None:
        out["backoffLimit"] = backoff
    ttl = _count(ctx, ("autoDeletionTimeAfterCompletionSeconds",), 0, None)
    if ttl is not None:
        out["ttlSecondsAfterFinished"] = ttl
    for key in ("completions", "parallelism"):
        if ctx.get(key) is not None:
            ctx.problem((key,), "lower.not-applicable",
                        f"{key} applies to Training workloads; a distributed job's size is workers",
                        "warning")
    return out


def suspended(ctx: Ctx) -> bool:
    """Created suspended: stopped (``active: false``), or under Kueue (it unsuspends on admission)."""
    if not ctx.rw.active and ctx.target.scheduler == "kueue":
        ctx.problem(("active",), "lower.kueue-stop",
                    "the job is suspended, but Kueue would admit and unsuspend it again: wlc sync and "
                    "wlc agent also deactivate its Kueue Workload (spec.active: false); applied any "
                    "other way, deactivate it yourself", "warning")
    return not ctx.rw.active or ctx.target.scheduler == "kueue"


def dedupe_problems_since(ctx: Ctx, start: int) -> None:
    """One copy of each problem reported since ``start`` (a pod-level field is lowered once per
    role)."""
    seen: set[Problem] = set()
    fresh: list[Problem] = []
    for p in ctx.problems[start:]:
        if p not in seen:
            seen.add(p)
            fresh.append(p)
    ctx.problems[start:] = fresh


def dedupe_objects(ctx: Ctx, objects: list[K8sObject]) -> list[K8sObject]:
    """Side objects (PVCs) once: roles naming the same new claim must describe it the same way."""
    kept: dict[tuple[str, str], K8sObject] = {}
    for obj in objects:
        key = (str(obj.get("kind")), str(obj.get("metadata", {}).get("name")))
        if key not in kept:
            kept[key] = obj
        elif kept[key] != obj:
            ctx.problem(("storage",), "lower.section-conflict",
                        f"the master and worker sections describe {key[0]} {key[1]} differently; "
                        "a new claim must have one definition")
    return list(kept.values())
