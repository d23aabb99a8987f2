"""`wlc explain --project P`: a project as the cluster will get it (namespace, department, Pod
Security level, node pools, quota per node pool beside its department's, over-quota, members and
the ClusterRole each role binds, and the members it inherits from its department), every value with the file and line it was written at."""
from __future__ import annotations

import json
from typing import TypedDict

from .model import Doc, PoolQuota, Project
from .repo import Repo

#: the ClusterRole each member role binds (compiler/lower/organisation/access.py)
ROLE_PREFIX = "wlc-"


class ProjectRow(TypedDict):
    """One line: a field of the project, its value and where it was written."""

    field: str
    value: object
    source: str


def project_rows(repo: Repo, project: Project, namespace: str) -> list[ProjectRow]:
    doc = repo.get("Project", project.name)
    dept_doc = repo.get("Department", project.department) if project.department else None
    out = [_row("namespace", namespace, _at(doc, ("spec", "namespace"), "namespaceTemplate or runai-<project>")),
           _row("department", project.department or "-", _at(doc, ("spec", "department"), "none")),
           _row("podSecurity", project.pod_security, _at(doc, ("spec", "podSecurity"), "default baseline")),
           _row("nodePools", project.node_pools, _at(doc, ("spec", "nodePools"), "any pool"))]
    out += [_quota_row("quota", q, doc) for q in project.quota]
    department = repo.departments.get(project.department)
    if department is not None:
        out += [_quota_row("department quota", q, dept_doc) for q in department.quota]
    out.append(_row("overQuota", {"allowed": project.over_quota.allowed, "priority": project.over_quota.priority},
                    _at(doc, ("spec", "overQuota"), "default (allowed, medium)")))
    for i, member in enumerate(project.members):
        out.append(_row(f"members[{i}]", f"{member.kind} {member.name}: {member.role} "
                                         f"(ClusterRole {ROLE_PREFIX}{member.role})",
                        _at(doc, ("spec", "members", i), "")))
    for i, member in enumerate(department.members if department is not None else []):
        out.append(_row(f"department members[{i}]", f"{member.kind} {member.name}: {member.role} "
                                                    f"(ClusterRole {ROLE_PREFIX}{member.role}, inherited from "
                                                    f"department {project.department})",
                        _at(dept_doc, ("spec", "members", i), "")))
    return out


def _row(field: str, value: object, source: str) -> ProjectRow:
    return ProjectRow(field=field, value=value, source=source)


def _quota_row(label: str, q: PoolQuota, doc: Doc | None) -> ProjectRow:
    value = {"gpuDevices": q.gpu_devices, "gpuLimit": q.gpu_limit, "cpuCores": q.cpu_cores, "memory": q.memory}
    shown = {k: v for k, v in value.items() if v is not None}
    return _row(f"{label} [{q.node_pool}]", shown, _at(doc, q.path, ""))


def _at(doc: Doc | None, path: tuple[str | int, ...], default: str) -> str:
    """``file:line`` of ``path`` in ``doc`` when it is written there, else the default's name."""
    if doc is not None and path and path in doc.locs:
        line, _ = doc.loc(path)
        return f"{doc.file}:{line}"
    return default


def render_text(project: Project, rows: list[ProjectRow]) -> str:
    head = f"Project {project.name}\nsource {project.file or '-'}\n\n"
    width = max(len(r["field"]) for r in rows)
    lines = [f"{r['field']:<{width}}  {_value(r['value'])}  ({r['source']})" if r["source"] else
             f"{r['field']:<{width}}  {_value(r['value'])}" for r in rows]
    return head + "\n".join(lines) + "\n"


def _value(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)


def render_json(project: Project, rows: list[ProjectRow]) -> str:
    return json.dumps({"project": project.name, "source": project.file, "fields": rows},
                      indent=2, sort_keys=True, ensure_ascii=False) + "\n"
