"""The pod template: ONE builder for every workload type.

``build_pod(ctx, spec=None, ...)`` lowers the pod-level field tree of a spec (the workload's
own, or a merged master/worker section of a distributed workload) into a ``PodTemplateSpec``
plus the side objects the pod needs (new PersistentVolumeClaims); its problems go to the
workload's ``ctx``. Workload modules wrap the template in their controller object.
``pod_template(rw, target, ...)`` is the same with a collector of its own (tools, tests).
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from compiler.labels import pod_labels
from compiler.lower.common import Ctx, listed, object_annotations, object_labels, scalar_text
from compiler.lower.compute import Compute, lower_compute
from compiler.lower.scheduling import lower_scheduling
from compiler.lower.storage import Storage, lower_storage
from compiler.model import Path, ResolvedWorkload, Target
from compiler.problems import Problem
from compiler.shapes import EnvVar, K8sObject, SpecTree

INJECTED_ENV = ("RUNAI_PROJECT", "RUNAI_JOB_NAME")
#: ``${RUNAI_PROJECT}`` in a command or argument, as Run:ai's Jupyter examples write it
#: (yaml-reference.md): Kubernetes expands only ``$(VAR)`` there, so it becomes that
_INJECTED_REF = re.compile(r"\$\{(" + "|".join(INJECTED_ENV) + r")\}")
_SHELL_SPECIAL = ("'", '"', "\\")


@dataclass
class PodResult:
    template: K8sObject
    objects: list[K8sObject] = field(default_factory=list)
    #: problems of a standalone ``pod_template`` call (``build_pod`` reports into its ctx)
    problems: list[Problem] = field(default_factory=list)
    #: container ports the spec exposes (ports and exposedUrls), in spec order
    container_ports: list[int] = field(default_factory=list)


def pod_template(rw: ResolvedWorkload, target: Target, spec: SpecTree | None = None,
                 container_name: str = "main", restart_policy: str = "Never",
                 prefix: Path = (), extra_labels: dict[str, str] | None = None) -> PodResult:
    """``build_pod`` with a problem collector of its own (``PodResult.problems``)."""
    ctx = Ctx(rw, target, rw.spec)
    pod = build_pod(ctx, spec, container_name, restart_policy, prefix, extra_labels)
    pod.problems = ctx.problems
    return pod


def build_pod(parent: Ctx, spec: SpecTree | None = None, container_name: str = "main",
              restart_policy: str = "Never", prefix: Path = (),
              extra_labels: dict[str, str] | None = None) -> PodResult:
    """Lower ``spec`` (default ``rw.spec``) into a pod template for the workload of ``parent``.

    ``prefix`` locates ``spec`` inside ``rw.spec`` for problems; ``extra_labels`` go on the pod
    template only (e.g. a replica-type label), never replacing the workload's pod labels.
    Problems go to ``parent``'s collector.
    """
    ctx = parent.at(spec, prefix)
    compute, storage, sched = lower_compute(ctx), lower_storage(ctx), lower_scheduling(ctx)
    ports = container_ports(ctx)
    container = _container(ctx, container_name, ports)
    pod_spec = _pod_spec(ctx, container, compute, storage, restart_policy)
    pod_spec.update(sched.pod_spec)
    meta = _pod_metadata(ctx.rw, {**sched.pod_labels, **(extra_labels or {})}, compute.annotations)
    return PodResult({"metadata": meta, "spec": pod_spec}, storage.objects, container_ports=ports)


def _pod_spec(ctx: Ctx, container: K8sObject, compute: Compute, storage: Storage,
              restart_policy: str) -> K8sObject:
    """The pod spec around ``container``: its resources and mounts, init containers, volumes,
    security (the scheduling fields are added by the caller)."""
    if compute.resources:
        container["resources"] = compute.resources
    mounts = storage.mounts + compute.mounts
    _check_mounts(ctx, mounts)
    if mounts:
        container["volumeMounts"] = mounts
    pod_spec: K8sObject = {}
    if storage.init_containers:
        pod_spec["initContainers"] = storage.init_containers
    pod_spec["containers"] = [container]
    pod_spec["restartPolicy"] = restart_policy
    if ctx.get("terminationGracePeriodSeconds") is not None:
        pod_spec["terminationGracePeriodSeconds"] = ctx.get("terminationGracePeriodSeconds")
    volumes = storage.volumes + compute.volumes
    if volumes:
        pod_spec["volumes"] = volumes
    pod_spec.update(_pod_security(ctx, container))
    return pod_spec


def _pod_metadata(rw: ResolvedWorkload, extra_labels: dict[str, str], annotations: dict[str, str]) -> K8sObject:
    """Labels (the workload's, then ``extra_labels``, then the pod labels, which always win) and
    annotations of the pod template."""
    labels = {**object_labels(rw), **extra_labels, **pod_labels(rw.name, rw.project.name)}
    all_annotations = {**object_annotations(rw), **annotations}
    meta: K8sObject = {"labels": labels}
    if all_annotations:
        meta["annotations"] = all_annotations
    return meta


def container_ports(ctx: Ctx) -> list[int]:
    seen: list[int] = []
    for key in ("ports", "exposedUrls"):
        for _, item in ctx.items(key):
            port = item.get("container")
            if isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536 \
                    and port not in seen:
                seen.append(port)
    return seen


def _container(ctx: Ctx, name: str, ports: list[int]) -> K8sObject:
    container: K8sObject = {"name": name}
    image = ctx.get("image")
    if not image:
        ctx.problem(("image",), "lower.no-image", "the workload has no image (set image or environment)")
    else:
        container["image"] = str(image)
    if ctx.get("imagePullPolicy"):
        container["imagePullPolicy"] = _pull_policy(str(ctx.get("imagePullPolicy")))
    for key, target_key in (("command", "command"), ("args", "args")):
        words = [_INJECTED_REF.sub(r"$(\1)", w) for w in _words(ctx, key)]
        if words:
            container[target_key] = words
    if ctx.get("workingDir"):
        container["workingDir"] = str(ctx.get("workingDir"))
    for key in ("stdin", "tty"):  # Run:ai's --stdin / --tty
        if ctx.get(key) is True:
            container[key] = True
    container["env"] = env_vars(ctx)
    if ports:
        container["ports"] = [{"containerPort": p, "protocol": "TCP"} for p in ports]
    return container


def _pull_policy(value: str) -> str:
    """Run:ai's lower-case spellings (``ifNotPresent``) become Kubernetes' (``IfNotPresent``)."""
    return value[:1].upper() + value[1:]


def _words(ctx: Ctx, key: str) -> list[str]:
    value = ctx.get(key)
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [scalar_text(v) for v in value]
    text = scalar_text(value)
    if not any(c in text for c in _SHELL_SPECIAL):
        return text.split()  # what shlex would give, much faster
    try:
        return shlex.split(text)
    except ValueError as err:
        ctx.problem((key,), "lower.command-parse", f"{key} cannot be split into words: {err}")
        return []


def env_vars(ctx: Ctx) -> list[EnvVar]:
    """The container's env in the user's order, then Run:ai's injected variables if unset."""
    out: list[EnvVar] = []
    for i, item in ctx.items("environmentVariables"):
        var = _env_var(ctx, ("environmentVariables", i), item)
        if var is not None:
            out.append(var)
    names = {v["name"] for v in out}
    injected = {"RUNAI_PROJECT": ctx.rw.project.name, "RUNAI_JOB_NAME": ctx.rw.name}
    for name in INJECTED_ENV:
        if name not in names:
            out.append({"name": name, "value": injected[name]})
    return out


def _secret_ref(name: object, key: object) -> K8sObject:
    return {"secretKeyRef": {"name": str(name), "key": str(key)}}


def _env_var(ctx: Ctx, where: Path, item: SpecTree) -> EnvVar | None:
    name = item.get("name")
    if not name:
        ctx.problem(where, "lower.env", "an environment variable needs a name")
        return None
    secret = item.get("secret")
    if isinstance(secret, dict):
        if not secret.get("name") or not secret.get("key"):
            ctx.problem(where + ("secret",), "lower.env-secret",
                        f"environment variable {name}: secret needs name and key")
            return None
        return {"name": str(name), "valueFrom": _secret_ref(secret["name"], secret["key"])}
    if item.get("podField"):
        return {"name": str(name), "valueFrom": {"fieldRef": {"fieldPath": str(item["podField"])}}}
    if item.get("credential") is not None:
        ctx.problem(where + ("credential",), "lower.env-credential",
                    f"environment variable {name}: credential reference was not resolved")
        return None
    value = scalar_text(item.get("value", ""))
    if value.startswith("SECRET:"):
        secret_name, _, key = value[len("SECRET:"):].partition(",")
        if not secret_name.strip() or not key.strip():
            ctx.problem(where + ("value",), "lower.env-secret",
                        f"environment variable {name}: {value!r} must have the form "
                        "SECRET:<secret>,<key>")
            return None
        return {"name": str(name), "valueFrom": _secret_ref(secret_name.strip(), key.strip())}
    return {"name": str(name), "value": value}


def _check_mounts(ctx: Ctx, mounts: list[K8sObject]) -> None:
    seen: dict[str, str] = {}
    for mount in mounts:
        path = mount["mountPath"].rstrip("/") or "/"
        if path in seen:
            ctx.problem(("storage",), "lower.mount-path",
                        f"volumes {seen[path]} and {mount['name']} are both mounted at {path}")
        else:
            seen[path] = mount["name"]


def _pod_security(ctx: Ctx, container: K8sObject) -> K8sObject:
    """Pod-level security fields; container-level ones are set on ``container``."""
    sec = ctx.get("security", default={})
    if not isinstance(sec, dict):
        return {}
    pod: K8sObject = {}
    psc = _security_context(ctx, sec)
    if psc:
        pod["securityContext"] = psc
    for src, dst in (("hostIpc", "hostIPC"), ("hostNetwork", "hostNetwork")):
        if sec.get(src) is not None:
            pod[dst] = bool(sec[src])
    csc = _container_security(sec)
    if csc:
        container["securityContext"] = csc
    if ctx.get("createHomeDir") is True:  # Run:ai's admission controller acts on its own CRs only
        ctx.problem(("createHomeDir",), "lower.create-home-dir",
                    "createHomeDir needs Run:ai's admission controller, which does not act on the "
                    f"objects wlc writes (scheduler {ctx.target.scheduler!r}); no home directory is "
                    "created: mount an emptyDir or a PVC at the home directory instead", "warning")
    return pod


def _security_context(ctx: Ctx, sec: SpecTree) -> K8sObject:
    """The pod's securityContext: user and group ids, groups, runAsNonRoot, seccomp."""
    psc: K8sObject = {}
    source = sec.get("uidGidSource")
    if source == "fromIdpToken":  # Run:ai: the submitter's non-root identity; wlc has no IdP
        psc["runAsNonRoot"] = True
        if sec.get("runAsUid") is None:
            ctx.problem(("security", "uidGidSource"), "lower.uid-gid-source",
                        "uidGidSource fromIdpToken: wlc has no identity provider, so the pod gets "
                        "runAsNonRoot: true and the image's user, which must be a non-root uid; give "
                        "the submitter's ids with security.runAsUid/runAsGid", "warning")
    elif source == "fromTheImage" and (sec.get("runAsUid") is not None or sec.get("runAsGid") is not None):
        ctx.problem(("security", "uidGidSource"), "lower.uid-gid-source",
                    "runAsUid/runAsGid are ignored because uidGidSource is fromTheImage", "warning")
    if source in (None, "custom", "fromIdpToken"):
        for src, dst in (("runAsUid", "runAsUser"), ("runAsGid", "runAsGroup")):
            if sec.get(src) is not None:
                psc[dst] = sec[src]
    _groups(ctx, sec, psc)
    if sec.get("runAsNonRoot") is not None and source != "fromIdpToken":
        psc["runAsNonRoot"] = bool(sec["runAsNonRoot"])
    seccomp, profile = sec.get("seccompProfileType"), sec.get("seccompLocalhostProfile")
    if seccomp == "Localhost" and not profile:
        ctx.problem(("security", "seccompProfileType"), "lower.seccomp",
                    "seccompProfileType Localhost needs security.seccompLocalhostProfile, the "
                    "profile file on the node (relative to the kubelet's seccomp folder)")
    elif seccomp:
        psc["seccompProfile"] = {"type": str(seccomp)} | (
            {"localhostProfile": str(profile)} if seccomp == "Localhost" else {})
    if profile and seccomp != "Localhost":
        ctx.problem(("security", "seccompLocalhostProfile"), "lower.seccomp",
                    "seccompLocalhostProfile is used only with seccompProfileType Localhost", "warning")
    return psc


def _groups(ctx: Ctx, sec: SpecTree, psc: K8sObject) -> None:
    groups = sec.get("supplementalGroups")
    if not groups:
        return
    if isinstance(groups, list) and all(isinstance(g, int) and not isinstance(g, bool) for g in groups):
        psc["supplementalGroups"] = list(groups)
    else:
        ctx.problem(("security", "supplementalGroups"), "lower.security",
                    f"supplementalGroups {groups!r} must be a list of group ids (integers)")


def _container_security(sec: SpecTree) -> K8sObject:
    csc: K8sObject = {}
    if sec.get("allowPrivilegeEscalation") is not None:
        csc["allowPrivilegeEscalation"] = bool(sec["allowPrivilegeEscalation"])
    if sec.get("capabilities"):
        csc["capabilities"] = {"add": [str(c) for c in listed(sec["capabilities"])]}
    if sec.get("readOnlyRootFilesystem") is not None:
        csc["readOnlyRootFilesystem"] = bool(sec["readOnlyRootFilesystem"])
    return csc

