"""A workload's name, project, labels and annotations (docs/runai-import.md, "Document").

The name is ``spec.name``, else ``metadata.name``; ``namePrefix`` is refused because a GitOps
name must be stable. ``metadata.namespace: runai-<project>`` gives ``spec.project``; any other
namespace leaves the project to the folder the file is placed in.
"""
from __future__ import annotations

import re

from ..shapes import YamlMap
from .builder import Out
from .values import unwrap_field

_DROPPED_META_KEYS = ("PreviousJob",)
_DROPPED_META_PREFIXES = ("kubectl.kubernetes.io/",)
_PROJECT_NAMESPACE = re.compile(r"^runai-([a-z][a-z0-9-]*)\Z")


def project_of_namespace(namespace: str) -> str | None:
    """``runai-<project>`` → ``<project>``; anything else → None."""
    match = _PROJECT_NAMESPACE.match(namespace)
    return match.group(1) if match else None


def metadata(out: Out, meta: YamlMap, spec: YamlMap, template: bool) -> None:
    """The native metadata (and ``spec.project``) of a workload or template."""
    out.mark(("metadata",), ("metadata",))
    _name(out, meta, spec)
    _namespace(out, meta, template)
    for part in ("labels", "annotations"):
        values = meta.get(part)
        for key, value in (values.items() if isinstance(values, dict) else ()):
            if key not in _DROPPED_META_KEYS and not str(key).startswith(_DROPPED_META_PREFIXES):
                out.put(("metadata", part, str(key)), _meta_text(value), ("metadata", part, key))


def _meta_text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else "" if value is None else str(value)


def _name(out: Out, meta: YamlMap, spec: YamlMap) -> None:
    if "namePrefix" in spec:
        _, spath = unwrap_field(out, spec["namePrefix"], ("spec", "namePrefix"))
        out.problem(spath, "runai.name-prefix",
                    "namePrefix is not supported: in GitOps a workload's name must be stable from one "
                    "build to the next, so give it a fixed name (spec.name)")
    if "name" in spec:
        value, spath = unwrap_field(out, spec["name"], ("spec", "name"))
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
            out.put(("metadata", "name"), str(value), spath)
            return
        out.problem(spath, "runai.bad-value", "name must be a non-empty string")
    if isinstance(meta.get("name"), (str, int)) and str(meta.get("name")):
        out.put(("metadata", "name"), str(meta["name"]), ("metadata", "name"))
    elif "namePrefix" not in spec:
        out.problem(("metadata",), "runai.bad-value", "the document has no name (spec.name or metadata.name)")


def _namespace(out: Out, meta: YamlMap, template: bool) -> None:
    namespace = meta.get("namespace")
    path = ("metadata", "namespace")
    if not isinstance(namespace, str) or not namespace:
        return
    if namespace == "runai":
        if not template:
            out.problem(path, "runai.namespace", 'namespace "runai" is not a project namespace; '
                        "the project is taken from the folder the file is placed in", severity="warning")
        return
    project = project_of_namespace(namespace)
    if project is None:
        out.problem(path, "runai.namespace", f'namespace "{namespace}" does not follow runai-<project>; '
                    "the project is taken from the folder the file is placed in", severity="warning")
    elif not template:
        out.put(("spec", "project"), project, path)
