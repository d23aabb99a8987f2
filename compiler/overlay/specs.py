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
from collections.abc import Callable, Collection, Mapping
from dataclasses import replace

from ..merge import dotted, find_exclusions, merge, retag, tag, untag
from ..model import API_VERSION, Data, Doc, Path, Project, ResolvedWorkload, Source
from ..problems import Problem
from ..repo import Repo
from ..templates import fill, namespace_error
from .chain import Chain, OverlayValue, Patch

#: the schema problems of each spec patch read as a spec of each kind: (patch index, kind) →
#: what compiler.validate finds in ``patch_documents``' document of that pair
SchemaProblems = Mapping[tuple[int, str], list[Problem]]
#: an index.json entry of a workload that ``excludeWorkloads`` left out
Excluded = dict[str, str]


def selector_labels(rw: ResolvedWorkload) -> dict[str, str]:
    """The labels a selector sees: metadata labels, then the spec's ``labels`` items."""
    out = {str(k): str(v) for k, v in rw.labels.items()}
    items = rw.spec.get("labels")
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and "name" in item:
            value = item.get("value", "")
            out[str(item["name"])] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


def _globs(patterns: Data, value: str) -> bool:
    return patterns is None or (isinstance(patterns, list) and any(fnmatch.fnmatchcase(value, str(p))
                                                                   for p in patterns))


def selects_workload(select: dict[str, Data], rw: ResolvedWorkload) -> bool:
    """Whether a spec patch's ``select`` matches ``rw`` (no conditions = every workload)."""
    types = select.get("workloadTypes")
    labels = select.get("labels")
    labels = labels if isinstance(labels, dict) else {}
    have = selector_labels(rw) if labels else {}
    return (_globs(select.get("projects"), rw.project.name)
            and _globs(select.get("departments"), rw.project.department)
            and _globs(select.get("names"), rw.name)
            and (types is None or (isinstance(types, list) and rw.kind in types))
            and all(have.get(str(k)) == str(v) for k, v in labels.items()))


def patch_specs(chain: Chain | None, workloads: list[ResolvedWorkload], repo: Repo,
                schema: SchemaProblems) -> tuple[list[ResolvedWorkload], list[Problem]]:
    """Stage 6: namespaces mapped, then the chain's spec patches applied, in chain order. A
    workload that a patch which does not fit its kind selects is left out (not lowered
    half-patched); ``schema`` (the validation of ``patch_documents``) decides what fits, and
    what does not is reported once for each patch and kind a workload meets."""
    if chain is None:
        return workloads, []
    mapped, problems = map_namespaces(chain, workloads, repo)
    reported: set[tuple[int, str]] = set()

    def fit(i: int, kind: str) -> bool:
        found = fit_problems(chain.spec_patches[i], kind, schema.get((i, kind), []))
        if (i, kind) not in reported:
            reported.add((i, kind))
            problems.extend(found)
        return not found

    patched = [_patched(chain, rw, fit) for rw in mapped]
    return [rw for rw in patched if rw is not None], problems


def patch_documents(chain: Chain | None, kinds: Collection[str]) -> dict[tuple[int, str], Doc]:
    """Each spec patch of the chain as a document of each workload kind in ``kinds``, located in
    the overlay file: what the pipeline validates before stage 6 (``SchemaProblems``)."""
    patches = chain.spec_patches if chain is not None else []
    return {(i, kind): patch_document(patch, kind) for i, patch in enumerate(patches) for kind in sorted(kinds)}


def _patched(chain: Chain, rw: ResolvedWorkload, fit: Callable[[int, str], bool]) -> ResolvedWorkload | None:
    """``rw`` with every spec patch that selects it applied in order; None when one does not fit."""
    for i, patch in enumerate(chain.spec_patches):
        if selects_workload(patch.select, rw):
            if not fit(i, rw.kind):
                return None
            rw = apply_patch(patch, rw)
    return rw


def apply_patch(patch: Patch, rw: ResolvedWorkload) -> ResolvedWorkload:
    """``rw`` with ``patch`` merged over its spec (every other value keeps its provenance) and
    the items the patch excludes recorded."""
    base: Path = patch.path + ("patch",)
    data = patch.body["patch"]
    high = tag(data if isinstance(data, dict) else {}, Source("overlay", patch.overlay, patch.doc.file), doc=patch.doc, base=base)
    spec, prov = untag(merge(retag(rw.spec, rw.prov), high))
    return replace(rw, spec=spec, prov=prov, excluded=find_exclusions([(patch.doc, data, base)], rw.excluded))


def patch_document(patch: Patch, kind: str) -> Doc:
    """The patch read as a ``kind`` workload's spec, with the positions of the overlay file."""
    base = patch.path + ("patch",)
    n = len(base)
    locs = {("spec",) + p[n:]: v for p, v in patch.doc.locs.items() if p[:n] == base}
    key_locs = {("spec",) + p[n:]: v for p, v in patch.doc.key_locs.items() if p[:n] == base}
    locs[()] = patch.loc()
    data = {"apiVersion": API_VERSION, "kind": kind, "metadata": {"name": "overlay-patch"},
            "spec": patch.body["patch"]}
    return Doc(patch.doc.file, patch.doc.index, data, locs, key_locs)


def fit_problems(patch: Patch, kind: str, found: list[Problem]) -> list[Problem]:
    """The schema problems ``found`` in ``patch_document(patch, kind)`` as problems of the patch."""
    out = []
    for p in found:
        if p.code == "schema.required" and p.field.count(".") <= 1 and p.message.endswith(" in spec"):
            continue  # a patch is partial: what the spec itself requires comes from the workload
        field = _field_in_overlay(patch, p.field)
        out.append(Problem(p.file, p.line, p.col, "overlay.spec-patch",
                           f"{patch.label()} does not fit a {kind}: {p.message}", p.severity, field))
    return out


def _field_in_overlay(patch: Patch, field: str) -> str:
    head = dotted(patch.path + ("patch",))
    return head + field[len("spec"):] if field.startswith("spec") else head


def map_namespaces(chain: Chain, workloads: list[ResolvedWorkload],
                   repo: Repo) -> tuple[list[ResolvedWorkload], list[Problem]]:
    """The overlay's namespace template and per-project ``namespaces`` decide each namespace."""
    template = chain.target.get("namespaceTemplate")
    out: list[ResolvedWorkload] = []
    problems: list[Problem] = []
    for rw in workloads:
        mapped, found = _mapped(chain, rw, template, repo)
        out.append(mapped)
        problems.extend(found)
    return out, problems + _duplicates(chain, out)


def _mapped(chain: Chain, rw: ResolvedWorkload, template: object,
            repo: Repo) -> tuple[ResolvedWorkload, list[Problem]]:
    ns = project_namespace(chain, rw.project, repo)
    setting = chain.namespaces.get(rw.project.name)
    if ns == rw.project.namespace:
        return rw, []
    return (replace(rw, project=replace(rw.project, namespace=ns)),
            _namespace_problem(chain, rw, ns, setting, repo))


def _namespace_problem(chain: Chain, rw: ResolvedWorkload, ns: str, setting: OverlayValue | None,
                       repo: Repo) -> list[Problem]:
    """An overlay namespace that is no DNS-1123 label or an unallowed system namespace, at the
    overlay's ``namespaces`` entry or its ``namespaceTemplate``."""
    error = namespace_error(ns, repo.config.allow_system_namespaces)
    if error is None:
        return []
    if setting is not None:
        file, line, col = setting.file, setting.line, setting.col
    else:
        doc = [d for d in chain.docs if "namespaceTemplate" in ((d.data.get("spec") or {}).get("target") or {})][-1]
        file, (line, col) = doc.file, doc.loc(("spec", "target", "namespaceTemplate"))
    return [Problem(file, line, col, "overlay.namespace",
                    f'overlay "{chain.name}", project "{rw.project.name}": namespace {error}')]


def project_namespace(chain: Chain | None, project: Project, repo: Repo) -> str:
    """The project's namespace in this overlay: its ``namespaces`` entry, else its
    ``namespaceTemplate`` (unless the Project sets its namespace), else the project's own."""
    if chain is None:
        return project.namespace
    setting = chain.namespaces.get(project.name)
    template = chain.target.get("namespaceTemplate")
    if setting is not None:
        return str(setting.value)
    if template is not None and not _explicit_namespace(repo, project.name):
        return fill(str(template), {"project": project.name, "department": project.department})
    return project.namespace


def _explicit_namespace(repo: Repo, project: str) -> bool:
    doc = repo.get("Project", project)
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


def exclude_workloads(chain: Chain | None,
                      workloads: list[ResolvedWorkload]) -> tuple[list[ResolvedWorkload], list[Excluded]]:
    """The workloads no ``excludeWorkloads`` entry selects, and an index entry for each other."""
    kept: list[ResolvedWorkload] = []
    excluded: list[Excluded] = []
    for rw in workloads:
        by = excluded_by(chain, rw)
        if by is None:
            kept.append(rw)
        else:
            excluded.append({"name": rw.name, "namespace": rw.namespace, "type": rw.kind,
                             "source": rw.file, "excludedBy": by})
    return kept, excluded


def excluded_by(chain: Chain | None, rw: ResolvedWorkload) -> str | None:
    """"<file>:<line>" of the first ``excludeWorkloads`` entry that selects ``rw``, or None."""
    for select, doc, path in (chain.excludes if chain is not None else []):
        if selects_workload(select, rw):
            return f"{doc.file}:{doc.loc(path)[0]}"
    return None
