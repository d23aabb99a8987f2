"""The pipeline: the one place that calls the stages, in DESIGN.md's order.

load → normalize → validate → resolve → policy → overlay → lower → verify → emit.
Stages in the middle are pure; only load (reading) and the CLI's emit (writing) touch files.
"""
from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from . import bundle, config, load, lower, normalize, parallel, validate, verify
from .emit import WorkloadBundle, duplicate_objects, render
from .model import WORKLOAD_KINDS, Doc, ResolvedWorkload, Target
from .problems import ConfigError, Problem, sort_problems
from .repo import Repo, WorkloadId, classify, duplicate_workloads, workload_project
from .resolve import resolve_workload

STAGES = ("load", "normalize", "validate", "resolve", "policy", "overlay", "lower", "verify", "emit")


@dataclass
class Result:
    """What one run produced; ``problems`` sorted by file and position."""

    root: FsPath
    overlay: str = "base"
    target: Target = field(default_factory=Target)
    problems: list[Problem] = field(default_factory=list)
    repo: Repo | None = None
    workloads: list[ResolvedWorkload] = field(default_factory=list)
    bundles: list[WorkloadBundle] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    chain: Any = None  # the overlay chain (compiler.overlay.Chain) of an overlay build
    workload_files: set[str] | None = None
    #: how many workloads were resolved (parallel builds do not keep the workloads themselves)
    counted: int = 0
    #: workloads the overlay's excludeWorkloads left out (listed in index.json)
    excluded: list[dict[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)


def run(root: FsPath, overlay: str | None = None, until: str = "emit",
        only: str | None = None, workload_files: set[str] | None = None, jobs: int = 1) -> Result:
    """Run the stages up to and including ``until``.

    ``only`` limits resolution to one workload; ``workload_files`` limits the workload files
    read (shared documents are always read); ``jobs`` > 1 lets a large build use that many
    processes (compiler.parallel), with the same output.
    """
    if not root.is_dir():
        raise ConfigError(f"repository folder not found: {root}")
    with _gc_paused():
        return _run(root, overlay, until, only, workload_files, jobs)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off for the run: the compiler builds large acyclic trees, and
    repeated full collections over them cost more than half of a big build. Reference counting
    still frees everything; one collection runs at the end."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _run(root: FsPath, overlay: str | None, until: str, only: str | None,
         workload_files: set[str] | None, jobs: int) -> Result:
    res = Result(root=root)
    res.workload_files = workload_files
    if jobs > 1 and until in ("verify", "emit") and only is None and workload_files is None:
        files = _workload_file_list(res)
        if files is not None and len(files) >= parallel.PARALLEL_MIN:
            return parallel.run_parallel(root, overlay, files, jobs)
    docs, cfg = _load(res)
    if cfg is None:
        return _done(res)
    docs = _normalize(res, docs)
    good = _validate(res, docs)
    repo, problems = classify(cfg, good)
    valid = {id(d) for d in good}
    repo.broken = {(d.kind, d.name) for d in docs if id(d) not in valid}
    res.repo, res.target = repo, cfg.target
    res.problems.extend(problems)
    _resolve(res, repo, only)
    _overlay(res, repo, overlay)  # the chain and its target settings
    _policy(res, repo)            # defaults, then the overlay's spec patches, then the rules
    if until in ("validate", "resolve", "policy", "overlay"):
        return _done(res)
    _lower(res)
    if res.workload_files is None:  # a partition of a parallel build is checked by the parent
        res.problems.extend(duplicate_objects(res.bundles))
    return _done(res)


def _done(res: Result) -> Result:
    res.problems = sort_problems(res.problems)
    return res


def _load_config(res: Result) -> tuple[list[Doc], config.RepoConfig | None]:
    """wlc.yaml (optional); None when it is broken: nothing else can be read the way it means."""
    cfg_doc = None
    if os.path.lexists(res.root / config.CONFIG_FILE):  # not only a regular file: a FIFO is refused
        cdocs, cprobs = load.read_file(res.root, config.CONFIG_FILE)
        res.problems.extend(cprobs)
        cdocs = [d for d in cdocs if d.kind == "Repository"]
        for d in cdocs:
            res.problems.extend(validate.validate_doc(d))
        cfg_doc = cdocs[0] if cdocs else None
    if any(p.severity == "error" for p in res.problems):
        return [], None
    return ([cfg_doc] if cfg_doc else []), config.config_from_doc(res.root, cfg_doc)


def _load(res: Result) -> tuple[list[Doc], config.RepoConfig | None]:
    _, cfg = _load_config(res)
    if cfg is None:
        return [], None
    docs: list[Doc] = []
    files, found = load.discover(res.root, cfg.exclude)
    res.problems.extend(found)
    for rel in files:
        if rel == config.CONFIG_FILE or not _wanted(res, cfg, rel):
            continue
        fdocs, fprobs = load.read_file(res.root, rel, cfg.max_file_bytes)
        res.problems.extend(fprobs)
        docs.extend(d for d in fdocs if _ours(d, cfg, res))
    return docs, cfg


def _wanted(res: Result, cfg: config.RepoConfig, rel: str) -> bool:
    return res.workload_files is None or rel in res.workload_files or workload_project(cfg, rel) is None


def _workload_file_list(res: Result) -> list[str] | None:
    """The workload files of the repo (None when wlc.yaml is unreadable: the sequential run reports it)."""
    probe = Result(root=res.root)
    _, cfg = _load_config(probe)
    if cfg is None:
        return None
    return [rel for rel in load.find_yaml_files(res.root, cfg.exclude)
            if rel != config.CONFIG_FILE and workload_project(cfg, rel) is not None]


def _ours(doc: Doc, cfg: config.RepoConfig, res: Result) -> bool:
    """wlc and Run:ai documents are ours; other YAML is ignored outside the workload roots."""
    api = str(doc.data.get("apiVersion", "")) if isinstance(doc.data, dict) else ""
    if api.startswith(("wlc.dev/", "run.ai/")):
        return True
    if workload_project(cfg, doc.file) is not None:
        line, col = doc.loc(("apiVersion",))
        res.problems.append(Problem(doc.file, line, col, "repo.unknown-document",
                                    f'not a wlc document (apiVersion "{api}"); expected wlc.dev/v1alpha1 '
                                    "or a Run:ai run.ai/v2alpha1 document"))
    return False


def _normalize(res: Result, docs: list[Doc]) -> list[Doc]:
    out: list[Doc] = []
    for doc in docs:
        if normalize.is_runai(doc):
            native, problems = normalize.normalize(doc)
            res.problems.extend(problems)
            if native is not None:
                out.append(native)
        else:
            out.append(doc)
    return out


def _validate(res: Result, docs: list[Doc]) -> list[Doc]:
    good: list[Doc] = []
    for doc in docs:
        problems = validate.validate_doc(doc)
        res.problems.extend(problems)
        if not any(p.severity == "error" for p in problems):
            good.append(doc)
    return good


def _resolve(res: Result, repo: Repo, only: str | None) -> None:
    for doc, folder in sorted(repo.workloads, key=lambda w: (w[0].file, w[0].index)):
        if only is not None and doc.name != only:
            continue
        rw, problems = resolve_workload(repo, doc, folder)
        res.problems.extend(problems)
        if rw is not None and not any(p.severity == "error" for p in problems):
            res.workloads.append(rw)
    res.problems.extend(duplicate_workloads(workload_ids(res)))
    res.counted = len(res.workloads)


def workload_ids(res: Result) -> list[WorkloadId]:
    return [(rw.namespace, rw.name, rw.file) + rw.doc.loc(("metadata", "name")) for rw in res.workloads]


def _policy(res: Result, repo: Repo) -> None:
    """Stage 5 and the first half of stage 6, in the documented order (docs/overlays.md):
    policy defaults fill the specs, the overlay's spec patches apply to the defaulted specs,
    then the policy rules judge the final specs (compiler/policy, compiler/overlay)."""
    from . import overlay as ov
    from . import policy
    chain = res.chain

    def between(workloads: list[ResolvedWorkload]) -> list[Problem]:
        return ov.patch_specs(chain, workloads, repo, res.target) if chain is not None else []

    kept, problems = policy.apply(repo, res.workloads, between,
                                  (lambda rw: ov.exclusion_sources(chain, rw)) if chain is not None else None)
    res.problems.extend(problems)
    res.workloads = kept


def _overlay(res: Result, repo: Repo, name: str | None) -> None:
    """Stage 6 begins: the overlay chain and its target settings (its spec patches run inside
    the policy stage, between defaults and rules; its object patches after lowering)."""
    if name is None:
        return
    from . import overlay as ov
    chain, problems = ov.load_chain(repo, name)
    res.problems.extend(problems)
    res.overlay, res.chain = name, chain
    if chain is None:
        res.workloads = []  # a broken chain (problems say why): nothing is built for this overlay
    else:
        res.target = config.apply_target(res.target, chain.target)
        kept = []
        for rw in res.workloads:
            by = ov.excluded_by(chain, rw)
            if by is None:
                kept.append(rw)
            else:
                res.excluded.append({"name": rw.name, "namespace": rw.namespace, "type": rw.kind,
                                     "source": rw.file, "excludedBy": by})
        res.workloads = kept


def _object_patches(res: Result, final: list[dict[str, Any]]) -> tuple[list[dict[str, Any]] | None, set[int]]:
    """Stage 6, second half: common labels/annotations and object patches after lowering; a
    patched object that fails the schema is an error naming the patch. None: the workload failed."""
    if res.chain is None:
        return final, set()
    from . import overlay as ov
    final, touched, problems = ov.patch_objects(res.chain, final)
    version = res.target.kubernetes_version
    problems += ov.verify_patched(final, touched, lambda obj: verify.verify_object(obj, version)[0])
    res.problems.extend(problems)
    return (None if any(p.severity == "error" for p in problems) else final), set(touched)


def _lower(res: Result) -> None:
    for rw in res.workloads:
        objects, problems = _lower_one(rw, res.target)
        res.problems.extend(problems)
        if any(p.severity == "error" for p in problems):
            continue
        shash = bundle.spec_hash(rw)
        patched, touched = _object_patches(res, bundle.finalize(rw, objects, shash))
        if patched is None:
            continue
        final = patched
        bugs = verify.verify_objects([o for i, o in enumerate(final) if i not in touched],
                                     res.target.kubernetes_version)
        for message in bugs:
            res.problems.append(Problem(rw.file, 1, 1, "bug.schema",
                                        f"compiler bug: emitted object fails the Kubernetes "
                                        f"{res.target.kubernetes_version} schema: {message}"))
        if bugs:
            continue
        res.bundles.append(WorkloadBundle(
            rw.name, rw.namespace, rw.project.name, rw.kind, rw.file, shash, rw.active,
            bundle.workload_applyset_id(rw), final, rw.doc.loc(("metadata", "name"))[0]))


def _lower_one(rw: ResolvedWorkload, target: Target) -> tuple[list[dict[str, Any]], list[Problem]]:
    try:
        return lower.lower_workload(rw, target)
    except Exception as err:  # noqa: BLE001 - a bug: report it against the workload, keep the others going
        return [], [Problem(rw.file, 1, 1, "bug.lowering",
                            f"compiler bug while lowering {rw.kind} {rw.name!r}: {type(err).__name__}: {err}")]


def build_files(res: Result) -> dict[str, str]:
    """The overlay folder's files (relative path → text) for a successful run."""
    return render(res.overlay, config.target_settings(res.target), res.bundles, res.excluded)


__all__ = ["STAGES", "WORKLOAD_KINDS", "Result", "build_files", "run"]
