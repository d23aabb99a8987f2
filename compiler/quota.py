"""The quota check (``wlc validate``) and the quota table (``wlc quota``): what the workloads in
git ask of each project's quota, per node pool.

A workload's demand is its GPUs in total (devices, or portions of them, times its pods: Training
``parallelism``, Distributed master + ``workers``, Inference ``minReplicas``), counted in its
first node pool (its ``nodePools``, else its project's; the default pool without either) and
judged in every pool it may use. Non-preemptible workloads (Run:ai's: workspaces unless
``preemptible: true``, inference, distributed with ``nonPreemptible``, and any workload whose
priorityClass is ``build`` or ``inference``) are admitted only within the deserved quota.
Stopped workloads ask for nothing. Only projects whose Project document sets ``quota`` are
checked. Under the default scheduler the ceiling is the ResourceQuota (the summed deserved
quota of the namespace, at most its department's); otherwise the deserved quota plus what may be borrowed (shares.ceiling).
"""
from __future__ import annotations

from dataclasses import dataclass

from .lower.distributed.model import role_spec
from .lower.organisation import shares
from .lower.organisation.resourcequota import gpu_ceiling
from .model import ResolvedWorkload, Target
from .problems import Problem
from .repo import Repo

NON_PREEMPTIBLE_CLASSES = ("build", "inference")


@dataclass(frozen=True)
class Demand:
    """What one workload asks of its project's quota."""

    project: str
    name: str
    file: str
    line: int
    col: int
    pools: tuple[str, ...]
    gpus: float
    preemptible: bool


def demands(workloads: list[ResolvedWorkload]) -> list[Demand]:
    """The demand of every active workload that asks for GPUs, in file order."""
    out: list[Demand] = []
    for rw in sorted(workloads, key=lambda w: (w.file, w.doc.index)):
        gpus = _gpus(rw)
        if rw.active and gpus > 0:
            line, col = rw.doc.loc(("metadata", "name"))
            out.append(Demand(rw.project.name, rw.name, rw.file, line, col, _pools(rw), gpus, _preemptible(rw)))
    return out


def _per_pod(spec: dict[str, object]) -> float:
    compute = spec.get("compute")
    if not isinstance(compute, dict):
        return 0.0
    devices = compute.get("gpuDevicesRequest")
    shared = any(compute.get(k) is not None for k in ("gpuPortionRequest", "gpuMemoryRequest", "migProfile"))
    count = float(devices) if isinstance(devices, (int, float)) and not isinstance(devices, bool) else (1.0 if shared else 0.0)
    portion = compute.get("gpuPortionRequest")
    return count * float(portion) if isinstance(portion, (int, float)) and not isinstance(portion, bool) else count


def _count(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _gpus(rw: ResolvedWorkload) -> float:
    spec = rw.spec
    if rw.kind == "TrainingWorkload":
        return _per_pod(spec) * _count(spec.get("parallelism"), 1)
    if rw.kind == "InferenceWorkload":
        scale = spec.get("autoscaling")
        return _per_pod(spec) * _count(scale.get("minReplicas") if isinstance(scale, dict) else None, 1)
    if rw.kind == "DistributedWorkload":
        workers = _per_pod(role_spec(rw, "worker").spec) * _count(spec.get("workers"), 1)
        master = 0.0 if spec.get("noMaster") is True and spec.get("framework") != "MPI" else _per_pod(
            role_spec(rw, "master").spec)
        return workers + master
    return _per_pod(spec)


def _preemptible(rw: ResolvedWorkload) -> bool:
    klass = rw.spec.get("priorityClass")
    if klass in NON_PREEMPTIBLE_CLASSES:
        return False
    if rw.kind == "InteractiveWorkload":
        return rw.spec.get("preemptible") is True
    if rw.kind == "InferenceWorkload":
        return False
    if rw.kind == "DistributedWorkload":
        return rw.spec.get("nonPreemptible") is not True
    return True


def _pools(rw: ResolvedWorkload) -> tuple[str, ...]:
    raw = rw.spec.get("nodePools")
    listed = raw.split() if isinstance(raw, str) else raw if isinstance(raw, list) else []
    pools = [str(p) for p in listed if p] or list(rw.project.node_pools)
    return tuple(pools) or (shares.DEFAULT_POOL,)


def org_of(repo: Repo) -> shares.Org:
    return shares.Org(dict(sorted(repo.projects.items())), dict(sorted(repo.departments.items())))


def ceiling(org: shares.Org, project: str, pool: str, target: Target) -> int:
    """The most GPUs one workload of ``project`` can get in ``pool`` on this target."""
    p = org.projects[project]
    if target.scheduler == "default":
        return gpu_ceiling(p, org.department_of(p))
    return shares.ceiling(org, p, pool)


def check(repo: Repo, target: Target, found: list[Demand]) -> list[Problem]:
    """A workload that can never fit, and non-preemptible workloads beyond the deserved quota."""
    org = org_of(repo)
    judged = sorted((d for d in found if d.project in org.projects and org.projects[d.project].quota),
                    key=lambda d: (d.file, d.line, d.col))
    return _never_fits(org, target, judged) + _beyond_deserved(org, judged)


def _gpus_text(n: float) -> str:
    return f"{n:g} GPU{'' if n == 1 else 's'}"


def _never_fits(org: shares.Org, target: Target, found: list[Demand]) -> list[Problem]:
    out: list[Problem] = []
    for d in found:
        limits = {pool: ceiling(org, d.project, pool, target) for pool in d.pools}
        if all(d.gpus > limit for limit in limits.values()):
            where = ", ".join(f"{limit} in node pool {pool}" for pool, limit in limits.items())
            how = ("its ResourceQuota, the deserved quota of all its pools" if target.scheduler == "default"
                   else "its deserved quota plus what it may borrow from its department and the cluster")
            out.append(Problem(d.file, d.line, d.col, "quota.never-fits",
                               f'workload "{d.name}" asks for {_gpus_text(d.gpus)} and can never be admitted: '
                               f"project {d.project} can get at most {where} ({how})", field="metadata.name"))
    return out


def _beyond_deserved(org: shares.Org, found: list[Demand]) -> list[Problem]:
    out: list[Problem] = []
    used: dict[tuple[str, str], float] = {}
    for d in found:
        if d.preemptible:
            continue
        key = (d.project, d.pools[0])
        used[key] = used.get(key, 0.0) + d.gpus
        deserved = shares.deserved(org.projects[d.project], d.pools[0])
        if used[key] > deserved:
            out.append(Problem(d.file, d.line, d.col, "quota.non-preemptible",
                               f'non-preemptible workload "{d.name}" brings project {d.project}\'s non-preemptible '
                               f"requests in node pool {d.pools[0]} to {_gpus_text(used[key])}, beyond its deserved "
                               f"{deserved} (Run:ai admits non-preemptible workloads only within the deserved quota)",
                               field="metadata.name"))
    return out


@dataclass(frozen=True)
class Row:
    """One line of ``wlc quota``: a project's node pool."""

    project: str
    pool: str
    deserved: int
    ceiling: int
    non_preemptible: float
    preemptible: float

    @property
    def left(self) -> float:
        return self.deserved - self.non_preemptible - self.preemptible


def table(repo: Repo, target: Target, found: list[Demand], only: str | None = None) -> list[Row]:
    """Per project (sorted) and node pool (in its order): deserved quota, the most one workload
    can get, and the GPUs the workloads in git ask for there (preemptible and not)."""
    org = org_of(repo)
    rows: list[Row] = []
    for name, project in org.projects.items():
        if only is not None and name != only:
            continue
        for pool in shares.pools(project):
            mine = [d for d in found if d.project == name and d.pools[0] == pool]
            rows.append(Row(name, pool, shares.deserved(project, pool), ceiling(org, name, pool, target),
                            sum(d.gpus for d in mine if not d.preemptible), sum(d.gpus for d in mine if d.preemptible)))
    return rows


def render_text(rows: list[Row]) -> str:
    head = ("PROJECT", "NODE POOL", "DESERVED", "MOST", "NON-PREEMPTIBLE", "PREEMPTIBLE", "LEFT")
    cells = [head] + [(r.project, r.pool, str(r.deserved), str(r.ceiling), f"{r.non_preemptible:g}",
                       f"{r.preemptible:g}", f"{r.left:g}") for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
    return "".join("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() + "\n" for line in cells)


def render_json(rows: list[Row]) -> list[dict[str, object]]:
    return [{"project": r.project, "nodePool": r.pool, "deserved": r.deserved, "most": r.ceiling,
             "nonPreemptible": r.non_preemptible, "preemptible": r.preemptible, "left": r.left} for r in rows]
