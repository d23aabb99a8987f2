"""The numbers of Run:ai's fair-share model that the organisation lowering and the quota check
share: each project's node pools in order, its deserved quota per pool, what its department
holds beyond its projects, and the most GPUs a project can ever get in a pool.

Run:ai's model (docs/organisation.md): a project is guaranteed its deserved quota per node
pool; with over-quota allowed it may use idle quota, first of its department (the other
projects' deserved GPUs and the department's own share beyond its projects), then, when the
department may go over quota, of the other departments; ``gpuLimit`` caps the total.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from compiler import quantity
from compiler.model import Department, PoolQuota, Project

DEFAULT_POOL = "default"
#: Run:ai's over-quota priority → Kueue fair-sharing weight (0: only what nobody else wants)
PRIORITY_WEIGHT = {"lowest": 0, "low": 1, "medium": 2, "high": 4}


@dataclass(frozen=True)
class Org:
    """The organisation of one build: projects and departments by name (sorted)."""

    projects: dict[str, Project]
    departments: dict[str, Department]

    def department_of(self, project: Project) -> Department | None:
        return self.departments.get(project.department) if project.department else None

    def siblings(self, project: Project) -> list[Project]:
        """The other projects of ``project``'s department (none without a department)."""
        if not project.department:
            return []
        return [p for n, p in sorted(self.projects.items())
                if n != project.name and p.department == project.department]


def pools(project: Project) -> list[str]:
    """The project's node pools in preference order: its nodePools, then pools that only its
    quota names; the default pool when it names none."""
    out = list(project.node_pools)
    out += [q.node_pool for q in project.quota if q.node_pool not in out]
    return out or [DEFAULT_POOL]


def all_pools(org: Org) -> list[str]:
    """Every node pool a project or department uses, sorted."""
    names = {p for project in org.projects.values() for p in pools(project)}
    names |= {q.node_pool for d in org.departments.values() for q in d.quota}
    return sorted(names)


def quota_in(quota: list[PoolQuota], pool: str) -> PoolQuota | None:
    return next((q for q in quota if q.node_pool == pool), None)


def deserved(project: Project, pool: str) -> int:
    q = quota_in(project.quota, pool)
    return q.gpu_devices if q else 0


def department_share(org: Org, department: Department, pool: str) -> int:
    """GPUs of ``pool`` the department holds beyond its projects' deserved quota (Kueue: the
    department Cohort's own nominal quota); 0 when the projects' quota reaches the department's."""
    q = quota_in(department.quota, pool)
    if q is None:
        return 0
    assigned = sum(deserved(p, pool) for p in org.projects.values() if p.department == department.name)
    return max(0, q.gpu_devices - assigned)


def department_total(org: Org, name: str, pool: str) -> int:
    """Everything of ``pool`` a department's cohort holds: its projects' deserved + its share."""
    dept = org.departments.get(name)
    own = sum(deserved(p, pool) for p in org.projects.values() if p.department == name)
    return own + (department_share(org, dept, pool) if dept else 0)


def ceiling(org: Org, project: Project, pool: str) -> int:
    """The most GPUs of ``pool`` the project can ever be admitted with: its deserved quota plus
    what its department could lend (and, when the department may go over quota, what the other
    departments could), at most its gpuLimit."""
    own = deserved(project, pool)
    if not project.over_quota.allowed:
        return own
    dept = org.department_of(project)
    total = own + sum(deserved(p, pool) for p in org.siblings(project))
    total += department_share(org, dept, pool) if dept else 0
    if dept is None or dept.over_quota.allowed:
        names = {p.department for p in org.projects.values()} | set(org.departments)
        total += sum(department_total(org, n, pool) for n in sorted(names) if n and n != project.department)
        total += sum(deserved(p, pool) for p in org.projects.values() if not p.department and p is not project)
    q = quota_in(project.quota, pool)
    return min(total, q.gpu_limit) if q and q.gpu_limit is not None else total


def amount(q: PoolQuota | None, resource: str) -> Decimal | None:
    """A pool entry's CPU cores (``cpu``) or memory bytes (``memory``); None when not set."""
    if q is None:
        return None
    if resource == "cpu":
        return None if q.cpu_cores is None else Decimal(str(q.cpu_cores))
    return quantity.parse(q.memory) if q.memory is not None else None


def department_extra(org: Org, department: Department, pool: str, resource: str) -> Decimal:
    """CPU cores or memory bytes of ``pool`` the department holds beyond its projects' quota
    (Kueue: the department Cohort's own nominal quota). 0 when the department sets none there,
    when its projects' quota reaches it, or when a project of the department that uses the pool
    has no such quota (its ClusterQueue is unbounded: nothing is left to hold back)."""
    own = amount(quota_in(department.quota, pool), resource)
    if own is None:
        return Decimal(0)
    assigned = Decimal(0)
    for p in org.projects.values():
        if p.department != department.name or pool not in pools(p):
            continue
        theirs = amount(quota_in(p.quota, pool), resource)
        if theirs is None:
            return Decimal(0)
        assigned += theirs
    return max(Decimal(0), own - assigned)


def memory_text(value: Decimal) -> int | str:
    """Whole bytes in the largest binary unit that divides them (``2560Gi``), else as a number."""
    whole = int(value)
    for suffix, size in (("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if whole and whole % size == 0:
            return f"{whole // size}{suffix}"
    return whole
