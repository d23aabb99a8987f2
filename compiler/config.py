"""The repository's own settings: `wlc.yaml` (kind Repository) and cluster target settings."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path as FsPath

from .discover import DEFAULT_MAX_FILE_BYTES
from .model import Doc, S3Target, Target
from .problems import ConfigError, Problem
from .templates import namespace_error

CONFIG_FILE = "wlc.yaml"

#: wlc.yaml / Overlay `target:` keys → Target attributes
TARGET_KEYS = {
    "kubernetesVersion": "kubernetes_version",
    "scheduler": "scheduler",
    "namespaceTemplate": "namespace_template",
    "distributed": "distributed",
    "inference": "inference",
    "ingressClass": "ingress_class",
    "hostPattern": "host_pattern",
    "gpuResource": "gpu_resource",
    "nodePoolLabel": "node_pool_label",
    "gitSyncImage": "git_sync_image",
    "kueueQueue": "kueue_queue",
    "knativeFeatures": "knative_features",
    "s3": "s3",
}


@dataclass
class RepoConfig:
    root: FsPath
    workload_roots: list[str] = field(default_factory=lambda: ["workloads"])
    exclude: list[str] = field(default_factory=list)
    target: Target = field(default_factory=Target)
    default_overlay: str = ""
    #: system namespaces (kube-system, default...) that projects may use (spec.allowSystemNamespaces)
    allow_system_namespaces: list[str] = field(default_factory=list)
    doc: Doc | None = None
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES  # spec.limits.maxFileBytes


def apply_target(base: Target, settings: Mapping[str, object]) -> Target:
    """A copy of ``base`` with the camelCase ``settings`` applied (already schema-checked)."""
    target = replace(base)
    for key, value in settings.items():
        attr = TARGET_KEYS.get(key)
        if attr is None:
            continue
        if attr == "knative_features":
            value = tuple(sorted(str(v) for v in _listed(value)))
        elif attr == "kubernetes_version":
            value = str(value)
        elif attr == "s3":
            value = _s3_target(value)
        setattr(target, attr, value)
    return target


def _listed(value: object) -> list[object]:
    """A schema-checked list setting as a list."""
    if not isinstance(value, list):
        raise TypeError(f"target setting is a {type(value).__name__}, not a list")
    return value


def _mapped(value: object) -> Mapping[object, object]:
    """A schema-checked map setting as a map (an unset one is empty)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError(f"target setting is a {type(value).__name__}, not a map")
    return value


def _s3_target(setting: object) -> S3Target:
    value = _mapped(setting)

    def pairs(key: str) -> tuple[tuple[str, str], ...]:
        return tuple(sorted((str(k), str(v)) for k, v in _mapped(value.get(key)).items()))
    return S3Target(str(value["csiDriver"]), pairs("keys"), pairs("attributes"))


def target_settings(target: Target) -> dict[str, object]:
    """The camelCase view of a target (for explain and index.json); unset settings are left out."""
    back = {v: k for k, v in TARGET_KEYS.items()}
    out: dict[str, object] = {}
    for f in fields(target):
        value = getattr(target, f.name)
        if isinstance(value, S3Target):
            value = {"csiDriver": value.csi_driver, "keys": dict(value.keys),
                     "attributes": dict(value.attributes)}
        if value is not None:
            out[back[f.name]] = list(value) if isinstance(value, tuple) else value
    return dict(sorted(out.items()))


def config_from_doc(root: FsPath, doc: Doc | None) -> RepoConfig:
    """Settings from the parsed wlc.yaml document (or the defaults when there is none)."""
    cfg = RepoConfig(root=root, doc=doc)
    if doc is None:
        return cfg
    spec = doc.data.get("spec") or {}
    if not isinstance(spec, dict):
        raise ConfigError(f"{CONFIG_FILE}: spec must be a mapping")
    roots = spec.get("workloadRoots", cfg.workload_roots)
    cfg.workload_roots = [str(r).strip("/") for r in roots]
    cfg.exclude = [str(g) for g in spec.get("exclude", [])]
    cfg.target = apply_target(cfg.target, spec.get("target") or {})
    cfg.default_overlay = str(spec.get("defaultOverlay", ""))
    cfg.allow_system_namespaces = [str(n) for n in spec.get("allowSystemNamespaces", [])]
    cfg.max_file_bytes = int((spec.get("limits") or {}).get("maxFileBytes", DEFAULT_MAX_FILE_BYTES))
    return cfg


def namespace_problems(cfg: RepoConfig, project: Doc, namespace: str) -> list[Problem]:
    """A project's namespace that is no DNS-1123 label or a system namespace not allowed, at
    the Project's ``spec.namespace``, else at wlc.yaml's template, else at the project's name."""
    error = namespace_error(namespace, cfg.allow_system_namespaces)
    if error is None:
        return []
    where: tuple[Doc, tuple[str, ...]] = (project, ("metadata", "name"))
    if (project.data.get("spec") or {}).get("namespace"):
        where = (project, ("spec", "namespace"))
    elif cfg.doc is not None and "namespaceTemplate" in ((cfg.doc.data.get("spec") or {}).get("target") or {}):
        where = (cfg.doc, ("spec", "target", "namespaceTemplate"))
    line, col = where[0].loc(where[1])
    return [Problem(where[0].file, line, col, "repo.namespace",
                    f'project "{project.name}": namespace {error}', field=".".join(where[1]))]
