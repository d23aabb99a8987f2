"""The pipeline: the one place that calls the stages, in DESIGN.md's order.

 1. load                    ``inputs.load_docs`` (wlc.yaml first: ``inputs.read_config``)
 2. normalize               ``inputs.normalize_docs``: Run:ai documents become native ones
 3. validate                ``inputs.check_schemas``; then ``inputs.classify_docs``
 4. resolve                 ``resolve.resolve_workload``: project, template, assets
 5. policy defaults         ``policy.fill_defaults``
 6. overlay spec patches    ``overlay.patch_specs`` (after the chain's target settings,
                            ``excludeWorkloads`` and namespaces; whether a patch fits a kind
                            is stage 3's check of ``overlay.patch_documents``)
 7. policy rules            ``policy.apply_rules``: the final specs are judged
 8. lower                   ``lower.lower_workload``
 9. bundle contract, then overlay object patches: ``bundle.finalize``, ``overlay.patch_objects``
10. verify                  ``verify.verify_objects`` (the objects a patch changed: reported at
                            the patch, ``overlay.verify_patched``)
11. emit                    ``emit.render`` (in memory; the CLI writes the folder)

Each stage takes values and returns ``(result, problems)``; nothing is kept on a shared object.
Entry points, each a prefix of the next: ``repository`` (1-3), ``specs`` (1-7: what ``wlc
explain`` shows), ``check`` (1-10: everything ``wlc validate`` does) and ``build`` (1-11). For a
large repository ``check`` runs stages 1-10 on partitions of the workload files through the
``compiler.parallel`` helper and merges what they return. Only load reads files; nothing here
writes any.
"""
from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path as FsPath

from . import bundle, config, gcpause, inputs, load, lower, organisation, parallel, policy, quota, validate, verify
from .buildcache import Shared
from .emit import WorkloadBundle, duplicate_objects, render
from .inputs import Loaded
from .model import ResolvedWorkload, Target
from .overlay import (
    Chain,
    Excluded,
    SchemaProblems,
    exclude_workloads,
    load_chain,
    patch_documents,
    patch_objects,
    patch_specs,
    verify_patched,
)
from .problems import ConfigError, Problem, sort_problems
from .repo import Repo, WorkloadId, duplicate_workloads
from .resolve import resolve_workload
from .results import Part, Result, Specs
from .shapes import K8sObject


def default_overlay(root: FsPath) -> str | None:
    """wlc.yaml's ``spec.defaultOverlay``; None without one (or when wlc.yaml cannot be read:
    the pipeline reports why)."""
    if not (root / config.CONFIG_FILE).is_file():
        return None
    docs, _ = load.read_file(root, config.CONFIG_FILE)
    for doc in docs:
        spec = doc.data.get("spec") if doc.kind == "Repository" else None
        name = spec.get("defaultOverlay") if isinstance(spec, dict) else None
        if isinstance(name, str) and name:
            return name
    return None


def repository(root: FsPath) -> Loaded:
    """Stages 1-3: the classified repo (``repo`` None when wlc.yaml is broken)."""
    with _run(root):
        return _load(root, None)


def specs(root: FsPath, overlay: str | None = None, only: str | None = None) -> Result:
    """Stages 1-7; ``only``: resolve only the workloads of that name (``wlc explain``)."""
    with _run(root):
        s = _specs(_load(root, None), overlay, only)
    return _result(root, s, [], s.problems)


def check(root: FsPath, overlay: str | None = None, jobs: int = 1,
          changes: Mapping[str, str | None] | None = None, shared: Shared | None = None) -> Result:
    """Stages 1-10: every problem a build finds, and the bundles; nothing is rendered.
    ``changes`` (path → text, None = deleted) are checked as if written (``inputs.load_docs``).
    ``shared``: stages 8-10 of a workload whose inputs it has seen are taken from it (one process)."""
    with _run(root):
        files = inputs.workload_files(root) if jobs > 1 and not changes and shared is None else None
        if files is not None and len(files) >= parallel.PARALLEL_MIN:
            return _check_parallel(root, overlay, files, jobs)
        s, bundles, problems = _check(root, overlay, None, changes, shared)
        return _organised(_result(root, s, bundles, problems + duplicate_objects(bundles)),
                          quota.demands(s.workloads))


def build(root: FsPath, overlay: str | None = None, jobs: int = 1) -> Result:
    """Stages 1-11: ``check``, then the overlay folder's files in memory (``Result.files``)."""
    res = check(root, overlay, jobs)
    files = render(res.overlay, config.target_settings(res.target), res.bundles, res.excluded,
                   res.organisation)
    return replace(res, files=files)


@contextmanager
def _run(root: FsPath) -> Iterator[None]:
    """A run: the repo folder must exist, and the cyclic garbage collector is off (the compiler
    builds large acyclic trees, and repeated full collections over them cost more than half of
    a big build; reference counting still frees everything)."""
    if not root.is_dir():
        raise ConfigError(f"repository folder not found: {root}")
    with gcpause.paused():
        yield


def _load(root: FsPath, part: Collection[str] | None, changes: Mapping[str, str | None] | None = None) -> Loaded:
    """Stages 1-3; ``part`` limits the workload files read (shared documents are always read)."""
    cfg, problems = inputs.read_config(root)
    if cfg is None:
        return Loaded(None, Target(), problems)
    docs, loaded = inputs.load_docs(root, cfg, part, changes)  # 1 load
    docs, normalized = inputs.normalize_docs(docs)         # 2 normalize
    good, invalid = inputs.check_schemas(docs)             # 3 validate
    repo, classified = inputs.classify_docs(cfg, docs, good)
    counted, strays = inputs.count_workloads(cfg, docs, loaded)
    return Loaded(repo, cfg.target, problems + loaded + normalized + invalid + classified, counted, strays)


def _specs(loaded: Loaded, overlay: str | None, only: str | None) -> Specs:
    """Stages 4-7 on a loaded repo."""
    repo, name = loaded.repo, overlay or "base"
    if repo is None:
        return Specs(None, name, loaded.target, None, [], [], [], loaded.problems, loaded.counted, loaded.strays)
    resolved, unresolved = _resolve(repo, only)                                         # 4
    chain, target, unchained = _chain(repo, overlay, loaded.target)
    kept, excluded = _excluded(chain, overlay, resolved)
    policies, unread = policy.read(repo)
    defaulted = policy.fill_defaults(policies, repo, kept)                              # 5
    schema = _patch_schema(chain, kept)
    patched, unpatched = patch_specs(chain, defaulted, repo, schema)                    # 6
    final, violations = policy.apply_rules(policies, patched)                           # 7
    ids = [_identity(rw) for rw in resolved]
    problems = (loaded.problems + unresolved + duplicate_workloads(ids) + unchained + unread
                + unpatched + violations)
    return Specs(repo, name, target, chain, ids, final, excluded, problems, loaded.counted, loaded.strays)


def _patch_schema(chain: Chain | None, workloads: list[ResolvedWorkload]) -> SchemaProblems:
    """Stage 3's schema check of each overlay spec patch, read as a spec of each workload kind
    there is: what decides in stage 6 whether a patch fits the workloads it selects."""
    docs = patch_documents(chain, {rw.kind for rw in workloads})
    return {key: validate.validate_doc(doc) for key, doc in docs.items()}


def _resolve(repo: Repo, only: str | None) -> tuple[list[ResolvedWorkload], list[Problem]]:
    """Stage 4 for every workload (in file order), or for those named ``only``."""
    out: list[ResolvedWorkload] = []
    problems: list[Problem] = []
    for doc, folder in sorted(repo.workloads, key=lambda w: (w[0].file, w[0].index)):
        if only is not None and doc.name != only:
            continue
        rw, found = resolve_workload(repo, doc, folder)
        problems.extend(found)
        if rw is not None and not any(p.severity == "error" for p in found):
            out.append(rw)
    return out, problems


def _identity(rw: ResolvedWorkload) -> WorkloadId:
    line, col = rw.doc.loc(("metadata", "name"))
    return (rw.namespace, rw.name, rw.file, line, col)


def _chain(repo: Repo, name: str | None, target: Target) -> tuple[Chain | None, Target, list[Problem]]:
    """The overlay chain and the target with its settings (the base build has no chain)."""
    if name is None:
        return None, target, []
    chain, problems = load_chain(repo, name)
    return chain, (config.apply_target(target, chain.target) if chain else target), problems


def _excluded(chain: Chain | None, overlay: str | None,
              resolved: list[ResolvedWorkload]) -> tuple[list[ResolvedWorkload], list[Excluded]]:
    """The workloads the overlay builds and those its ``excludeWorkloads`` leaves out; a broken
    chain builds nothing (its problems say why)."""
    if overlay is not None and chain is None:
        return [], []
    return exclude_workloads(chain, resolved)


def _check(root: FsPath, overlay: str | None, part: Collection[str] | None,
           changes: Mapping[str, str | None] | None = None,
           shared: Shared | None = None) -> tuple[Specs, list[WorkloadBundle], list[Problem]]:
    """Stages 1-10 (of ``part`` of the workload files, when given)."""
    s = _specs(_load(root, part, changes), overlay, None)
    bundles: list[WorkloadBundle] = []
    problems = list(s.problems)
    for rw in s.workloads:
        built, found = (_bundle(rw, s.target, s.chain) if shared is None
                        else shared.bundle(rw, s.target, s.chain, _bundle))
        problems.extend(found)
        if built is not None:
            bundles.append(built)
    return s, bundles, problems


def _bundle(rw: ResolvedWorkload, target: Target, chain: Chain | None) -> tuple[WorkloadBundle | None, list[Problem]]:
    """Stages 8-10 for one workload: lower, bundle contract and object patches, verify."""
    objects, problems = _lower(rw, target)                                              # 8
    if any(p.severity == "error" for p in problems):
        return None, problems
    shash = bundle.spec_hash(rw)
    final, touched, patched = patch_objects(chain, bundle.finalize(rw, objects, shash))  # 9
    version = target.kubernetes_version
    patched += verify_patched(final, touched, {i: verify.verify_object(final[i], version)[0] for i in touched})
    if any(p.severity == "error" for p in patched):
        return None, problems + patched
    bugs = verify.verify_objects([o for i, o in enumerate(final) if i not in touched], version)  # 10
    problems += patched + [Problem(rw.file, 1, 1, "bug.schema", f"compiler bug: emitted object fails "
                                   f"the Kubernetes {version} schema: {message}") for message in bugs]
    if bugs:
        return None, problems
    return WorkloadBundle(rw.name, rw.namespace, rw.project.name, rw.kind, rw.file, shash, rw.active,
                          bundle.workload_applyset_id(rw), final, rw.doc.loc(("metadata", "name"))[0]), problems


#: stages 8-10 of one workload, a function of its three arguments only (compiler/buildcache.py
#: relies on it: a result is shared by the digest of those arguments)
bundle_workload = _bundle


def _lower(rw: ResolvedWorkload, target: Target) -> tuple[list[K8sObject], list[Problem]]:
    try:
        return lower.lower_workload(rw, target)
    except Exception as err:  # noqa: BLE001 - a bug: report it against the workload, keep the others going
        return [], [Problem(rw.file, 1, 1, "bug.lowering",
                            f"compiler bug while lowering {rw.kind} {rw.name!r}: {type(err).__name__}: {err}")]


def _organised(res: Result, demands: list[quota.Demand]) -> Result:
    """Stages 8-10 for the organisation: its files, the problems of lowering and verifying them,
    and the quota check of the workloads' ``demands``."""
    if res.repo is None:
        return res
    files, problems = organisation.organise(res.repo, res.chain, res.target)
    problems += quota.check(res.repo, res.target, demands)
    return replace(res, organisation=files, problems=sort_problems(res.problems + problems))


def _result(root: FsPath, s: Specs, bundles: list[WorkloadBundle], problems: list[Problem]) -> Result:
    return Result(root, s.overlay, s.target, sort_problems(problems), s.repo, s.workloads, bundles,
                  s.counted + s.strays, s.excluded, chain=s.chain)


def _check_parallel(root: FsPath, overlay: str | None, files: list[str], jobs: int) -> Result:
    """``check`` on partitions of the workload files; the parent finds what spans partitions."""
    (s, first_bundles, first_problems), parts = parallel.partitioned(
        partial(_check, root, overlay), partial(_part, root, overlay), files, jobs)
    bundles = first_bundles + [b for p in parts for b in p.bundles]
    ids = s.ids + [i for p in parts for i in p.ids]
    problems = (first_problems + [q for p in parts for q in p.problems] + duplicate_workloads(ids)
                + duplicate_objects(bundles))
    merged = replace(s, ids=ids, workloads=[], excluded=s.excluded + [e for p in parts for e in p.excluded],
                     counted=s.counted + sum(p.counted for p in parts))
    demands = quota.demands(s.workloads) + [d for p in parts for d in p.demands]
    return _organised(_result(root, merged, bundles, problems), demands)


def _part(root: FsPath, overlay: str | None, files: list[str]) -> Part:
    """One worker's partition, its bundles sealed to text (objects do not travel back)."""
    s, bundles, problems = _check(root, overlay, frozenset(files))
    for b in bundles:
        b.seal(drop_objects=True)
    return Part(problems, bundles, s.ids, s.excluded, s.counted, quota.demands(s.workloads))


__all__ = ["Result", "Specs", "build", "bundle_workload", "check", "repository", "specs"]
