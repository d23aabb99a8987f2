"""Overlay spec patches and namespace mapping on resolved workloads (stage 6).

A spec patch selects workloads (every condition given must hold) and merges its ``patch``
over the resolved spec with compiler.merge, on the same field tree as policies: maps merge
field by field, itemized lists merge by their key and ``exclude: true`` removes an item,
anything else (``nodePools`` too) is replaced. Patched values get the provenance
``Source("overlay", <overlay>, <file>, <line of the value>)``. Patches apply in chain
order; each selection looks at the workload as the earlier patches left it.
"""
from __future__ import annotations

import fnmatch
from dataclasses import replace
from typing import Any

from .. import validate
from ..merge import merge, retag, tag, untag
from ..model import API_VERSION, Doc, Path, ResolvedWorkload, Source, Target
from ..problems import Problem
from ..repo import Repo
from ..templates import fill, namespace_error
from .chain import Chain, Patch


def workload_labels(rw: ResolvedWorkload) -> dict[str, str]:
    """The labels a selector sees: metadata labels, then the spec's ``labels`` items."""
    out = {str(k): str(v) for k, v in rw.labels.items()}
    for item in rw.spec.get("labels") or []:
        if isinstance(item, dict) and "name" in item:
            value = item.get("value", "")
            out[str(item["name"])] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


def _globs(patterns: Any, value: str) -> bool:
    return patterns is None or any(fnmatch.fnmatchcase(value, str(p)) for p in patterns)


def selects(select: dict[str, Any], rw: ResolvedWorkload) -> bool:
    """Whether a spec patch's ``select`` matches ``rw`` (no conditions = every workload)."""
    types = select.get("workloadTypes")
    labels = select.get("labels") or {}
    have = workload_labels(rw) if labels else {}
    return (_globs(select.get("projects"), rw.project.name)
            and _globs(select.get("departments"), rw.project.department)
            and _globs(select.get("names"), rw.name)
            and (types is None or rw.kind in types)
            and all(have.get(str(k)) == str(v) for k, v in labels.items()))


def patch_specs(chain: Chain | None, workloads: list[ResolvedWorkload], repo: Repo | None = None,
                target: Target | None = None) -> list[Problem]:
    """Map namespaces, then apply the chain's spec patches to ``workloads`` (in place); a
    workload that a patch which does not fit its kind selects is dropped from the list."""
    if chain is None:
        return []
    problems = map_namespaces(chain, workloads, repo, target)
    checked: dict[tuple[int, str], list[Problem]] = {}
    failed: set[int] = set()
    for patch in chain.spec_patches:
        for rw in workloads:
            if id(rw) in failed or not selects(patch.select, rw):
                continue
            key = (id(patch), rw.kind)
            if key not in checked:
                checked[key] = check_patch(patch, rw.kind)
                problems.extend(checked[key])
            if checked[key]:
                failed.add(id(rw))
            else:
                apply_patch(patch, rw)
    workloads[:] = [rw for rw in workloads if id(rw) not in failed]  # not lowered half-patched
    return problems


def apply_patch(patch: Patch, rw: ResolvedWorkload) -> None:
    """Merge ``patch`` over the spec of ``rw``, keeping every other value's provenance."""
    base: Path = patch.path + ("patch",)
    high = tag(patch.body["patch"], Source("overlay", patch.overlay, patch.doc.file), doc=patch.doc, base=base)
    rw.spec, rw.prov = untag(merge(retag(rw.spec, rw.prov), high))


def check_patch(patch: Patch, kind: str) -> list[Problem]:
    """Schema problems of the patch read as a ``kind`` spec, located in the overlay file."""
    base = patch.path + ("patch",)
    n = len(base)
    locs = {("spec",) + p[n:]: v for p, v in patch.doc.locs.items() if p[:n] == base}
    key_locs = {("spec",) + p[n:]: v for p, v in patch.doc.key_locs.items() if p[:n] == base}
    locs[()] = patch.loc()
    data = {"apiVersion": API_VERSION, "kind": kind, "metadata": {"name": "overlay-patch"},
            "spec": patch.body["patch"]}
    fake = Doc(patch.doc.file, patch.doc.index, data, locs, key_locs)
    out = []
    for p in validate.validate_doc(fake):
        if p.code == "schema.required" and p.field.count(".") <= 1 and p.message.endswith(" in spec"):
            continue  # a patch is partial: what the spec itself requires comes from the workload
        field = _field_in_overlay(patch, p.field)
        out.append(Problem(p.file, p.line, p.col, "overlay.spec-patch",
                           f"{patch.label()} does not fit a {kind}: {p.message}", p.severity, field))
    return out


def _field_in_overlay(patch: Patch, field: str) -> str:
    from ..merge import dotted
    head = dotted(patch.path + ("patch",))
    return head + field[len("spec"):] if field.startswith("spec") else head


def map_namespaces(chain: Chain, workloads: list[ResolvedWorkload], repo: Repo | None,
                   target: Target | None) -> list[Problem]:
    """The overlay's namespace template and per-project ``namespaces`` decide each namespace."""
    problems: list[Problem] = []
    template = chain.target.get("namespaceTemplate") if target is not None else None
    for rw in workloads:
        ns = rw.project.namespace
        setting = chain.namespaces.get(rw.project.name)
        if setting is not None:
            ns = str(setting.value)
        elif template is not None and not _explicit_namespace(repo, rw.project.name):
            ns = fill(str(template), {"project": rw.project.name, "department": rw.project.department})
        if ns != rw.project.namespace:
            problems.extend(_namespace_problem(chain, rw, ns, setting, repo))
            rw.project = replace(rw.project, namespace=ns)
    problems.extend(_duplicates(chain, workloads))
    return problems


def _namespace_problem(chain: Chain, rw: ResolvedWorkload, ns: str, setting: Any,
                       repo: Repo | None) -> list[Problem]:
    """An overlay namespace that is no DNS-1123 label or an unallowed system namespace, at the
    overlay's ``namespaces`` entry or its ``namespaceTemplate``."""
    error = namespace_error(ns, repo.config.allow_system_namespaces if repo is not None else [])
    if error is None:
        return []
    if setting is not None:
        file, line, col = setting.file, setting.line, setting.col
    else:
        doc = [d for d in chain.docs if "namespaceTemplate" in ((d.data.get("spec") or {}).get("target") or {})][-1]
        file, (line, col) = doc.file, doc.loc(("spec", "target", "namespaceTemplate"))
    return [Problem(file, line, col, "overlay.namespace",
                    f'overlay "{chain.name}", project "{rw.project.name}": namespace {error}')]


def _explicit_namespace(repo: Repo | None, project: str) -> bool:
    doc = repo.get("Project", project) if repo is not None else None
    return doc is not None and bool((doc.data.get("spec") or {}).get("namespace"))


def _duplicates(chain: Chain, workloads: list[ResolvedWorkload]) -> list[Problem]:
    """Two workloads that the mapping puts into one namespace under one name."""
    seen: dict[tuple[str, str], ResolvedWorkload] = {}
    out: list[Problem] = []
    for rw in workloads:
        key = (rw.namespace, rw.name)
        first = seen.setdefault(key, rw)
        if first is rw or first.project.name == rw.project.name:
            continue
        setting = chain.namespaces.get(rw.project.name) or chain.namespaces.get(first.project.name)
        where = (setting.file, setting.line, setting.col) if setting else (rw.file, 1, 1)
        out.append(Problem(*where, "overlay.namespace-clash",
                           f'overlay "{chain.name}" puts workload "{rw.name}" of projects '
                           f'"{first.project.name}" and "{rw.project.name}" into one namespace "{rw.namespace}"'))
    return out


def exclusion_sources(chain: Chain | None, rw: ResolvedWorkload) -> list[tuple[Doc, Any, Path]]:
    """The spec patches that select ``rw``, as sources of ``exclude: true`` items for the
    policy's locked-instance rule: (overlay document, patch data, path of the data)."""
    if chain is None:
        return []
    return [(p.doc, p.body["patch"], p.path + ("patch",)) for p in chain.spec_patches if selects(p.select, rw)]


def excluded_by(chain: Chain | None, rw: ResolvedWorkload) -> str | None:
    """"<file>:<line>" of the first ``excludeWorkloads`` entry that selects ``rw``, or None."""
    for select, doc, path in (chain.excludes if chain is not None else []):
        if selects(select, rw):
            return f"{doc.file}:{doc.loc(path)[0]}"
    return None
