"""Stage 8 for the organisation: projects and departments become cluster objects, per target
scheduler (docs/organisation.md):

- every scheduler but ``runai``: the ClusterRoles of the member roles, and per project its
  Namespace (Pod Security labels) and its members' RoleBindings;
- ``kueue``: ResourceFlavors, a Cohort per department, a ClusterQueue and a LocalQueue per
  project (``kueue.py``);
- ``default``: a ResourceQuota per project namespace (``resourcequota.py``);
- ``runai``: nothing: Run:ai's own controllers create the project namespaces, the members'
  RoleBindings and the scheduler's queues from the projects and departments of its control
  plane, where the quota must be entered.

The result is grouped into files: ``cluster`` (what no project owns) and one per project.
"""
from __future__ import annotations

import re

from compiler.lower.organisation import access, kueue, shares
from compiler.lower.organisation.resourcequota import resource_quota
from compiler.model import Department, Project, Target
from compiler.orgbundle import CLUSTER_FILE
from compiler.problems import Problem
from compiler.repo import Repo
from compiler.shapes import K8sObject

__all__ = ["CLUSTER_FILE", "lower_organisation"]

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def lower_organisation(repo: Repo, namespaces: dict[str, str],
                       target: Target) -> tuple[dict[str, list[K8sObject]], list[Problem]]:
    """File name (``cluster`` or a project name) → its objects; ``namespaces``: each project's
    namespace in this build (the overlay may move it)."""
    if target.scheduler == "runai":
        return {}, []
    org = shares.Org(dict(sorted(repo.projects.items())), dict(sorted(repo.departments.items())))
    problems = _pool_problems(repo, org) + (_name_problems(repo, org) if target.scheduler == "kueue" else [])
    if problems:
        return {}, problems
    files: dict[str, list[K8sObject]] = {CLUSTER_FILE: access.cluster_roles()}
    if target.scheduler == "kueue":
        files[CLUSTER_FILE] += kueue.flavors(org, target) + kueue.cohorts(org, target)
    for name, project in org.projects.items():
        ns = namespaces.get(name, project.namespace)
        files[name] = _project_objects(project, ns, target, org.department_of(project))
    return files, problems


def _project_objects(project: Project, ns: str, target: Target, department: Department | None) -> list[K8sObject]:
    objects = [access.namespace(project, ns)] + access.role_bindings(project, ns, department)
    if target.scheduler == "kueue":
        objects.append(kueue.cluster_queue(project, ns, target))
        if "{workload}" not in target.kueue_queue:
            objects.append(kueue.local_queue(project, ns, target))
    else:
        quota = resource_quota(project, ns, target, department)
        objects += [quota] if quota else []
    return objects


def _pool_problems(repo: Repo, org: shares.Org) -> list[Problem]:
    """A node pool named twice in one quota, or one that cannot name a ResourceFlavor."""
    out: list[Problem] = []
    for kind, units in (("Project", org.projects), ("Department", org.departments)):
        for name, unit in units.items():
            doc = repo.get(kind, name)
            seen: set[str] = set()
            for q in unit.quota:
                line, col = doc.loc(q.path + ("nodePool",)) if doc else (1, 1)
                field = f"spec.quota[{q.path[-1]}].nodePool"
                if q.node_pool in seen:
                    out.append(Problem(unit.file, line, col, "org.duplicate-pool",
                                       f'node pool "{q.node_pool}" has two quota entries', field=field))
                seen.add(q.node_pool)
                if not _SUBDOMAIN.match(q.node_pool):
                    out.append(Problem(unit.file, line, col, "org.pool-name",
                                       f'node pool "{q.node_pool}" must be lowercase (a DNS-1123 subdomain) '
                                       "to name its Kueue ResourceFlavor", field=field))
    return out


def _name_problems(repo: Repo, org: shares.Org) -> list[Problem]:
    """Kueue keeps ClusterQueues and Cohorts in one tree: a project may not share a name with a
    department or with the root cohort."""
    out: list[Problem] = []
    for name, project in org.projects.items():
        if name in org.departments or name == kueue.ROOT_COHORT:
            doc = repo.get("Project", name)
            line, col = doc.loc(("metadata", "name")) if doc else (1, 1)
            out.append(Problem(project.file, line, col, "org.name-clash",
                               f'project "{name}" has the name of a {"department" if name in org.departments else "cohort"}'
                               "; Kueue's ClusterQueue and Cohort names must differ", field="metadata.name"))
    return out

