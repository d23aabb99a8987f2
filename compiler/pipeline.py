"""The pipeline: the one place that calls the stages, in DESIGN.md's order.

load → normalize → validate → resolve → policy → overlay → lower → verify → emit.
Stages in the middle are pure; only load (reading) and the CLI's emit (writing) touch files.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from . import bundle, config, load, lower, normalize, validate, verify
from .emit import WorkloadBundle, render
from .model import WORKLOAD_KINDS, Doc, ResolvedWorkload, Target
from .problems import ConfigError, Problem, sort_problems
from .repo import Repo, classify
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

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)


def run(root: FsPath, overlay: str | None = None, until: str = "emit",
        only: str | None = None) -> Result:
    """Run the stages up to and including ``until``; ``only`` limits lowering to one workload."""
    if not root.is_dir():
        raise ConfigError(f"repository folder not found: {root}")
    res = Result(root=root)
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
    _policy(res, repo)
    _overlay(res, repo, overlay)
    if until in ("validate", "resolve", "policy", "overlay"):
        return _done(res)
    _lower(res)
    return _done(res)


def _done(res: Result) -> Result:
    res.problems = sort_problems(res.problems)
    return res


def _load(res: Result) -> tuple[list[Doc], config.RepoConfig | None]:
    cfg_doc = None
    if (res.root / config.CONFIG_FILE).is_file():
        cdocs, cprobs = load.read_file(res.root, config.CONFIG_FILE)
        res.problems.extend(cprobs)
        cdocs = [d for d in cdocs if d.kind == "Repository"]
        for d in cdocs:
            res.problems.extend(validate.validate_doc(d))
        cfg_doc = cdocs[0] if cdocs else None
    if any(p.severity == "error" for p in res.problems):
        return [], None  # a broken wlc.yaml: nothing else can be read the way it means
    cfg = config.config_from_doc(res.root, cfg_doc)
    docs: list[Doc] = []
    for rel in load.find_yaml_files(res.root, cfg.exclude):
        if rel == config.CONFIG_FILE:
            continue
        fdocs, fprobs = load.read_file(res.root, rel)
        res.problems.extend(fprobs)
        docs.extend(d for d in fdocs if _ours(d, cfg, res))
    return docs, cfg


def _ours(doc: Doc, cfg: config.RepoConfig, res: Result) -> bool:
    """wlc and Run:ai documents are ours; other YAML is ignored outside the workload roots."""
    api = str(doc.data.get("apiVersion", "")) if isinstance(doc.data, dict) else ""
    if api.startswith(("wlc.dev/", "run.ai/")):
        return True
    from .repo import workload_project
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
    _duplicates(res)


def _duplicates(res: Result) -> None:
    seen: dict[tuple[str, str], ResolvedWorkload] = {}
    for rw in res.workloads:
        key = (rw.namespace, rw.name)
        if key in seen:
            first = seen[key]
            line, col = rw.doc.loc(("metadata", "name"))
            res.problems.append(Problem(rw.file, line, col, "repo.duplicate-name",
                                        f'workload "{rw.name}" in namespace {rw.namespace} is defined twice '
                                        f"(also in {first.file}:{first.doc.loc(('metadata', 'name'))[0]})",
                                        field="metadata.name"))
        else:
            seen[key] = rw


def _policy(res: Result, repo: Repo) -> None:
    """Stage 5: policy defaults fill the specs, then the rules judge them (compiler/policy)."""
    try:
        from . import policy
    except ImportError:  # the policy stage lands with its own issue
        return
    apply = getattr(policy, "apply", None)
    if apply is None:
        return
    kept, problems = apply(repo, res.workloads)
    res.problems.extend(problems)
    res.workloads = kept


def _overlay(res: Result, repo: Repo, name: str | None) -> None:
    """Stage 6: the overlay's target settings (and, with compiler/overlay, its patches)."""
    if name is None:
        return
    doc = repo.get("Overlay", name)
    if doc is None:
        from .repo import suggest
        raise ConfigError(f'no Overlay named "{name}"' + suggest(name, repo.names("Overlay"))
                          + (f" (overlays: {', '.join(repo.names('Overlay'))})" if repo.names("Overlay") else ""))
    res.overlay = name
    res.target = config.apply_target(res.target, (doc.data.get("spec") or {}).get("target") or {})


def _lower(res: Result) -> None:
    for rw in res.workloads:
        objects, problems = _lower_one(rw, res.target)
        res.problems.extend(problems)
        if any(p.severity == "error" for p in problems):
            continue
        final = bundle.finalize(rw, objects)
        bugs = verify.verify_objects(final, res.target.kubernetes_version)
        for message in bugs:
            res.problems.append(Problem(rw.file, 1, 1, "bug.schema",
                                        f"compiler bug: emitted object fails the Kubernetes "
                                        f"{res.target.kubernetes_version} schema: {message}"))
        if bugs:
            continue
        res.bundles.append(WorkloadBundle(
            rw.name, rw.namespace, rw.project.name, rw.kind, rw.file, bundle.spec_hash(rw), rw.active,
            bundle.applyset_id(bundle.parent_name(rw.name), rw.namespace, bundle.PARENT_KIND,
                               bundle.PARENT_GROUP), final))


def _lower_one(rw: ResolvedWorkload, target: Target) -> tuple[list[dict[str, Any]], list[Problem]]:
    try:
        return lower.lower_workload(rw, target)
    except Exception as err:  # a bug: report it against the workload, keep the others going
        return [], [Problem(rw.file, 1, 1, "bug.lowering",
                            f"compiler bug while lowering {rw.kind} {rw.name!r}: {type(err).__name__}: {err}")]


def build_files(res: Result) -> dict[str, str]:
    """The overlay folder's files (relative path → text) for a successful run."""
    return render(res.overlay, config.target_settings(res.target), res.bundles)


__all__ = ["run", "build_files", "Result", "STAGES", "WORKLOAD_KINDS"]
