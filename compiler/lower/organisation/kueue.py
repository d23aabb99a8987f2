"""Scheduler ``kueue``: Run:ai's fair-share model as Kueue objects (kueue.x-k8s.io/v1beta2).

- a ResourceFlavor per node pool, selecting the pool's node label;
- a Cohort per department, child of the root cohort ``wlc-cluster``: its own nominal quota is
  what the department holds beyond its projects (GPUs, and CPU cores and memory when the
  department sets them); a department without over-quota may not borrow from the root
  (borrowingLimit 0 on every covered resource);
- a ClusterQueue per project in its department's cohort (no department: the root): nominal
  quota per flavor from the deserved quota, borrowingLimit 0 without over-quota and
  ``gpuLimit - gpuDevices`` with a GPU limit, fair-sharing weight from the over-quota
  priority, reclaim of lent quota by preemption (Run:ai lends idle quota and takes it back);
- a LocalQueue in the project's namespace, named as the workloads' queue label says.
"""
from __future__ import annotations

from decimal import Decimal

from compiler.lower.organisation import shares
from compiler.model import PoolQuota, Project, Target
from compiler.shapes import K8sObject
from compiler.templates import fill

API = "kueue.x-k8s.io/v1beta2"
ROOT_COHORT = "wlc-cluster"
#: Kueue has no "no limit" for a covered resource: a pool entry without CPU or memory quota
#: gets these (Run:ai: no CPU / memory quota)
UNBOUNDED = {"cpu": "1M", "memory": "1Ei"}


def flavors(org: shares.Org, target: Target) -> list[K8sObject]:
    return [{"apiVersion": API, "kind": "ResourceFlavor", "metadata": {"name": pool},
             "spec": {"nodeLabels": {target.node_pool_label: pool}}} for pool in shares.all_pools(org)]


def cohorts(org: shares.Org, target: Target) -> list[K8sObject]:
    return [_cohort(org, name, target) for name in sorted(org.departments)]


def _cohort(org: shares.Org, name: str, target: Target) -> K8sObject:
    """The department's Cohort: its own nominal quota per pool is what it holds beyond its
    projects, for the GPUs and, when the department sets them, CPU cores and memory."""
    dept = org.departments[name]
    spec: K8sObject = {"parentName": ROOT_COHORT,
                       "fairSharing": {"weight": shares.PRIORITY_WEIGHT[dept.over_quota.priority]}}
    members = [p for p in org.projects.values() if p.department == name]
    pools = sorted({q.node_pool for q in dept.quota} | {pool for p in members for pool in shares.pools(p)})
    covered = [target.gpu_resource] + [r for r in ("cpu", "memory")
                                       if any(shares.amount(q, r) is not None for q in dept.quota)]
    entries: list[K8sObject] = []
    for pool in pools:
        resources: list[K8sObject] = [{"name": target.gpu_resource,
                                       "nominalQuota": shares.department_share(org, dept, pool)}]
        resources += [{"name": r, "nominalQuota": _quantity(r, shares.department_extra(org, dept, pool, r))}
                      for r in covered[1:]]
        for res in resources if not dept.over_quota.allowed else []:
            res["borrowingLimit"] = 0
        entries.append({"name": pool, "resources": resources})
    if not dept.over_quota.allowed or any(res["nominalQuota"] not in (0, "0") for e in entries
                                          for res in e["resources"]):
        spec["resourceGroups"] = [{"coveredResources": covered, "flavors": entries}]
    return {"apiVersion": API, "kind": "Cohort", "metadata": {"name": name}, "spec": spec}


def _quantity(resource: str, value: Decimal) -> int | str:
    """CPU cores as whole cores or milli-cores, memory in the largest binary unit that divides it."""
    if resource == "cpu":
        return int(value) if value == value.to_integral_value() else f"{int(value * 1000)}m"
    return shares.memory_text(value)


def cluster_queue(project: Project, ns: str, target: Target) -> K8sObject:
    covered = [target.gpu_resource, "cpu", "memory"]
    flavors = [{"name": pool, "resources": _resources(project, shares.quota_in(project.quota, pool), target)}
               for pool in shares.pools(project)]
    spec: K8sObject = {
        "cohortName": project.department or ROOT_COHORT,
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}},
        "fairSharing": {"weight": shares.PRIORITY_WEIGHT[project.over_quota.priority]},
        "preemption": {"reclaimWithinCohort": "Any", "withinClusterQueue": "LowerPriority"},
        "resourceGroups": [{"coveredResources": covered, "flavors": flavors}],
    }
    return {"apiVersion": API, "kind": "ClusterQueue", "metadata": {"name": project.name}, "spec": spec}


def _resources(project: Project, q: PoolQuota | None, target: Target) -> list[K8sObject]:
    gpu: K8sObject = {"name": target.gpu_resource, "nominalQuota": q.gpu_devices if q else 0}
    cpu: K8sObject = {"name": "cpu", "nominalQuota": _cpu(q.cpu_cores) if q and q.cpu_cores is not None
                      else UNBOUNDED["cpu"]}
    memory: K8sObject = {"name": "memory", "nominalQuota": q.memory if q and q.memory is not None
                         else UNBOUNDED["memory"]}
    if not project.over_quota.allowed:
        for res in (gpu, cpu, memory):
            res["borrowingLimit"] = 0
    elif q is not None and q.gpu_limit is not None:
        gpu["borrowingLimit"] = max(0, q.gpu_limit - q.gpu_devices)
    return [gpu, cpu, memory]


def _cpu(cores: float) -> int | str:
    return int(cores) if cores == int(cores) else f"{round(cores * 1000)}m"


def queue_name(project: Project, ns: str, target: Target) -> str:
    """The LocalQueue name the workloads' ``kueue.x-k8s.io/queue-name`` label uses
    (compiler.lower.scheduling fills the same template)."""
    return fill(target.kueue_queue, {"project": project.name, "namespace": ns})


def local_queue(project: Project, ns: str, target: Target) -> K8sObject:
    return {"apiVersion": API, "kind": "LocalQueue",
            "metadata": {"name": queue_name(project, ns, target), "namespace": ns},
            "spec": {"clusterQueue": project.name}}
