"""Namespaces and access: each project's Namespace (Pod Security Admission labels at the
project's level) and the RoleBindings of its members to the ClusterRoles wlc defines once.

Roles (docs/organisation.md): ``viewer`` reads the project's objects and logs; ``researcher``
may also exec into, port-forward to and delete (restart) pods; ``editor`` may also create and
change the project's workload objects; ``admin`` (a department's members only: Run:ai's
department administrator) may also read the namespace's RoleBindings and ResourceQuotas.
Nobody gets Secrets or may change RBAC: credentials stay the admin's, access comes from git.

A department's members are bound in every namespace of its projects, by RoleBindings of their
own (``wlc-department-<role>``), beside the project's (``wlc-<role>``).
"""
from __future__ import annotations

from compiler.model import Department, Member, Project
from compiler.shapes import K8sObject

RBAC = "rbac.authorization.k8s.io"
ROLE_PREFIX = "wlc-"
PSA_MODES = ("enforce", "audit", "warn")
READ = ["get", "list", "watch"]
WRITE = ["create", "update", "patch", "delete"]
#: what a project's members may read: group → resources (the objects wlc emits and their pods)
READABLE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("", ("configmaps", "endpoints", "events", "persistentvolumeclaims", "pods", "pods/log", "services")),
    ("apps", ("deployments", "replicasets", "statefulsets")),
    ("autoscaling", ("horizontalpodautoscalers",)),
    ("batch", ("jobs",)),
    ("kubeflow.org", ("mpijobs", "pytorchjobs", "tfjobs", "xgboostjobs")),
    ("kueue.x-k8s.io", ("localqueues", "workloads")),
    ("networking.k8s.io", ("ingresses",)),
    ("serving.knative.dev", ("revisions", "services")),
    ("serving.kserve.io", ("inferenceservices",)),
)
#: what an editor may change (the workload objects; never Secrets or RBAC)
WRITABLE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("", ("configmaps", "persistentvolumeclaims", "services")),
    ("apps", ("deployments", "statefulsets")),
    ("autoscaling", ("horizontalpodautoscalers",)),
    ("batch", ("jobs",)),
    ("kubeflow.org", ("mpijobs", "pytorchjobs", "tfjobs", "xgboostjobs")),
    ("networking.k8s.io", ("ingresses",)),
    ("serving.knative.dev", ("services",)),
    ("serving.kserve.io", ("inferenceservices",)),
)
ROLES = ("viewer", "researcher", "editor", "admin")
DEPARTMENT_BINDING = ROLE_PREFIX + "department-"
#: what a department administrator may read besides an editor's
ADMIN_READABLE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("", ("resourcequotas",)),
    ("rbac.authorization.k8s.io", ("rolebindings",)),
)


def namespace(project: Project, ns: str) -> K8sObject:
    labels = {f"pod-security.kubernetes.io/{mode}": project.pod_security for mode in PSA_MODES}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}}


def _rules(table: tuple[tuple[str, tuple[str, ...]], ...], verbs: list[str]) -> list[K8sObject]:
    return [{"apiGroups": [group], "resources": list(resources), "verbs": list(verbs)}
            for group, resources in table]


def role_rules(role: str) -> list[K8sObject]:
    rules = _rules(READABLE, READ)
    if role in ("researcher", "editor", "admin"):
        rules.append({"apiGroups": [""], "resources": ["pods/exec", "pods/portforward"], "verbs": ["create"]})
        rules.append({"apiGroups": [""], "resources": ["pods"], "verbs": ["delete"]})
    if role in ("editor", "admin"):
        rules += _rules(WRITABLE, WRITE)
    if role == "admin":
        rules += _rules(ADMIN_READABLE, READ)
    return rules


def cluster_roles() -> list[K8sObject]:
    """The ClusterRoles the members' RoleBindings refer to (emitted once per bundle)."""
    return [{"apiVersion": f"{RBAC}/v1", "kind": "ClusterRole", "metadata": {"name": ROLE_PREFIX + role},
             "rules": role_rules(role)} for role in ROLES]


def role_bindings(project: Project, ns: str, department: Department | None = None) -> list[K8sObject]:
    """One RoleBinding per role that has members, its subjects in the document's order; then
    those of the department's members (inherited by every project of the department)."""
    out = _bindings(project.members, ns, ROLE_PREFIX)
    return out + (_bindings(department.members, ns, DEPARTMENT_BINDING) if department is not None else [])


def _bindings(members: list[Member], ns: str, prefix: str) -> list[K8sObject]:
    out: list[K8sObject] = []
    for role in ROLES:
        subjects = [_subject(m) for m in members if m.role == role]
        if subjects:
            out.append({"apiVersion": f"{RBAC}/v1", "kind": "RoleBinding",
                        "metadata": {"name": prefix + role, "namespace": ns},
                        "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": ROLE_PREFIX + role},
                        "subjects": subjects})
    return out


def _subject(member: Member) -> K8sObject:
    return {"apiGroup": RBAC, "kind": member.kind, "name": member.name}
