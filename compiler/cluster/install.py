"""The agent's install manifests (`wlc agent manifests`): Namespace, ServiceAccount, a ClusterRole
with only what a sync needs, its binding, the Deployment (probes, requests, args) and a metrics
Service, as plain objects for wlc's own YAML emitter. Two replicas elect a leader with a Lease in
the agent's namespace (a Role allows only that Lease's verbs there)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import __version__
from ..lower.organisation.access import ROLE_PREFIX, ROLES

NAME = "wlc-agent"
PORT = 8080
#: the workloads page's port with `wlc agent manifests --view`
VIEW_PORT = 8081
#: (API group, resources) a sync reads, applies and prunes: every kind the compiler emits
MEMBERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("", ("configmaps", "services", "persistentvolumeclaims")),
    ("apps", ("deployments", "statefulsets")),
    ("batch", ("jobs",)),
    ("autoscaling", ("horizontalpodautoscalers",)),
    ("networking.k8s.io", ("ingresses",)),
    ("kubeflow.org", ("pytorchjobs", "tfjobs", "mpijobs", "xgboostjobs")),
    ("serving.knative.dev", ("services",)),
    ("serving.kserve.io", ("inferenceservices",)),
)
#: the organisation's objects (docs/organisation.md): its Namespaces and ClusterRoles have rules of their own
ORGANISATION: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("", ("resourcequotas",)),
    ("rbac.authorization.k8s.io", ("rolebindings",)),
    ("kueue.x-k8s.io", ("resourceflavors", "cohorts", "clusterqueues", "localqueues")),
)
#: no watch, no update, no deletecollection: a sync gets, lists, applies (patch) and deletes one by one
MEMBER_VERBS = ("get", "list", "create", "patch", "delete")
#: what only the workloads page reads (fetch.py, view/): its pods, their logs, events, node pools, metrics
VIEW_READS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("", ("pods", "events", "nodes"), ("get", "list")),
    ("", ("pods/log",), ("get",)),
    ("metrics.k8s.io", ("pods",), ("get", "list")),
)


@dataclass(frozen=True)
class Settings:
    namespace: str = "wlc-system"
    image: str = f"wlc:{__version__}"
    git: str = "https://git.example.com/ml/workloads.git"
    branch: str = "main"
    path: str = ""
    overlay: str | None = None
    interval: str = "60s"
    #: a Secret mounted at /etc/wlc-git for git credentials (docs/sync.md), when given
    git_secret: str | None = None
    #: the agent adopts organisation objects that existed before wlc (docs/organisation.md)
    adopt: bool = False
    #: the agent also serves the read-only workloads page (docs/view.md), and may read what it shows
    view: bool = False
    #: with ``view``: the Prometheus the page reads GPU metrics from
    prometheus: str | None = None


def rules(view: bool = False) -> list[dict[str, Any]]:
    out = [{"apiGroups": [group], "resources": list(resources), "verbs": list(MEMBER_VERBS)}
           for group, resources in MEMBERS + ORGANISATION]
    # never delete a namespace (an approved deletion of a project's Namespace needs an admin's credentials)
    out.append({"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list", "create", "patch"]})
    # only wlc's own member roles, which it may define and bind beyond what the agent itself may do
    out.append({"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["list"]})
    out.append({"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"],
                "resourceNames": [ROLE_PREFIX + role for role in ROLES],
                "verbs": ["get", "create", "patch", "delete", "bind", "escalate"]})
    out.append({"apiGroups": [""], "resources": ["events"], "verbs": ["create"]})
    out.append({"apiGroups": ["kueue.x-k8s.io"], "resources": ["workloads"], "verbs": ["list", "patch"]})
    if view:
        out += [{"apiGroups": [group], "resources": list(resources), "verbs": list(verbs)}
                for group, resources, verbs in VIEW_READS]
    return out


def _meta(name: str, namespace: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    meta["labels"] = {"app.kubernetes.io/name": NAME}
    return meta


def args(s: Settings) -> list[str]:
    out = ["agent", "--git", s.git, "--branch", s.branch, "--interval", s.interval,
           "--listen", f"0.0.0.0:{PORT}", "--cache", "/var/cache/wlc", "--lease", f"{s.namespace}/{NAME}",
           "--approval-namespace", s.namespace]
    out += ["--path", s.path] if s.path else []
    out += ["--overlay", s.overlay] if s.overlay else []
    out += ["--adopt"] if s.adopt else []
    out += ["--view-listen", f"0.0.0.0:{VIEW_PORT}"] if s.view else []
    out += ["--prometheus", s.prometheus] if s.view and s.prometheus else []
    return out


def deployment(s: Settings) -> dict[str, Any]:
    probe = {"httpGet": {"path": "/healthz", "port": "metrics"}, "periodSeconds": 20, "failureThreshold": 3}
    ready = {"httpGet": {"path": "/readyz", "port": "metrics"}, "periodSeconds": 10}
    mounts: list[dict[str, Any]] = [{"name": "cache", "mountPath": "/var/cache/wlc"}, {"name": "tmp", "mountPath": "/tmp"}]
    volumes: list[dict[str, Any]] = [{"name": "cache", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}]
    env = [{"name": "HOME", "value": "/tmp"}]
    if s.git_secret:
        mounts.append({"name": "git-credentials", "mountPath": "/etc/wlc-git", "readOnly": True})
        volumes.append({"name": "git-credentials", "secret": {"secretName": s.git_secret, "defaultMode": 256}})
        env.append({"name": "GIT_CONFIG_GLOBAL", "value": "/etc/wlc-git/gitconfig"})
    container = {
        "name": "agent", "image": s.image, "args": args(s), "env": env,
        "ports": [{"name": "metrics", "containerPort": PORT}]
        + ([{"name": "view", "containerPort": VIEW_PORT}] if s.view else []),
        "livenessProbe": probe, "readinessProbe": ready,
        "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": mounts,
    }
    selector = {"app.kubernetes.io/name": NAME}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": _meta(NAME, s.namespace),
            "spec": {"replicas": 2, "selector": {"matchLabels": selector},
                     "template": {"metadata": {"labels": selector},
                                  "spec": {"serviceAccountName": NAME, "containers": [container],
                                           "securityContext": {"runAsNonRoot": True, "runAsUser": 65532},
                                           "volumes": volumes}}}}


def manifests(s: Settings) -> list[dict[str, Any]]:
    ns = s.namespace
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(ns)},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(NAME, ns)},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": _meta(NAME),
         "rules": rules(s.view)},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": _meta(NAME),
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": NAME},
         "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": ns}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": _meta(NAME, ns),
         "rules": [{"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
                    "verbs": ["get", "create", "update"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": _meta(NAME, ns),
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": NAME},
         "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": ns}]},
        deployment(s),
        {"apiVersion": "v1", "kind": "Service", "metadata": _meta(NAME, ns),
         "spec": {"selector": {"app.kubernetes.io/name": NAME},
                  "ports": [{"name": "metrics", "port": PORT, "targetPort": "metrics"}]
                  + ([{"name": "view", "port": VIEW_PORT, "targetPort": "view"}] if s.view else [])}},
    ]
