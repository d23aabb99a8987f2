"""The pipeline's first three stages, one function each: load, normalize, validate (and the
classification of what passed). compiler.pipeline calls them in that order.

Inside ``sharing(documents)`` (``wlc diff`` builds two revisions, compiler/diff/builds.py), a
file whose bytes were read before at the same path is not parsed again, and a document that was
validated before (the very object, as such a file returns it) is not validated again: a parse
is a function of the bytes and the path (each position and problem names it), a schema check a
function of the document (the packaged schemas are the same for every build of one process).
Nothing else is shared, and the size limit and file checks run on every read.
"""
from __future__ import annotations

import contextvars
import hashlib
import os
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path as FsPath

from . import config, discover, load, normalize, validate
from .model import WORKLOAD_KINDS, Doc, Target
from .problems import Problem
from .repo import Repo, classify, workload_project


@dataclass(frozen=True)
class Loaded:
    """Stages 1-3: the classified repo (None when wlc.yaml is broken) and what they found."""

    repo: Repo | None
    target: Target
    problems: list[Problem]
    #: workload documents in workload files (a workload file that did not parse counts as one)
    counted: int = 0
    #: workload documents in other files (every partition of a parallel run reads those)
    strays: int = 0


@dataclass
class Documents:
    """Parses by (path, digest of the bytes) and schema problems by document; ``hits`` and
    ``misses`` count the parses."""

    parsed: dict[tuple[str, bytes], tuple[list[Doc], list[Problem]]] = field(default_factory=dict)
    #: id(doc) → (the document, kept alive so that the id stays its own, and its problems)
    checked: dict[int, tuple[Doc, list[Problem]]] = field(default_factory=dict)
    hits: int = 0
    misses: int = 0

    def parse(self, data: bytes, rel: str) -> tuple[list[Doc], list[Problem]]:
        key = (rel, hashlib.blake2b(data, digest_size=32).digest())
        found = self.parsed.get(key)
        if found is None:
            self.misses += 1
            found = self.parsed[key] = load.parse_bytes(data, rel)
        else:
            self.hits += 1
        return list(found[0]), list(found[1])

    def validate(self, doc: Doc) -> list[Problem]:
        found = self.checked.get(id(doc))
        if found is None or found[0] is not doc:
            found = self.checked[id(doc)] = (doc, validate.validate_doc(doc))
        return list(found[1])


_SHARED: contextvars.ContextVar[Documents | None] = contextvars.ContextVar("wlc_shared_documents", default=None)


@contextmanager
def sharing(documents: Documents | None) -> Iterator[None]:
    """Stages 1 and 3 take what ``documents`` holds, and add to it (None: nothing is shared)."""
    token = _SHARED.set(documents)
    try:
        yield
    finally:
        _SHARED.reset(token)


def _read(root: FsPath, rel: str, max_bytes: int) -> tuple[list[Doc], list[Problem]]:
    """``load.read_file``, or the parse of the same bytes at the same path made before."""
    documents = _SHARED.get()
    if documents is None:
        return load.read_file(root, rel, max_bytes)
    data = discover.read_bytes(root, rel, max_bytes)
    if isinstance(data, Problem):
        return [], [data]
    return documents.parse(data, rel)


def _validate(doc: Doc) -> list[Problem]:
    documents = _SHARED.get()
    return validate.validate_doc(doc) if documents is None else documents.validate(doc)


def _errors(problems: list[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)


def read_config(root: FsPath) -> tuple[config.RepoConfig | None, list[Problem]]:
    """wlc.yaml (optional); None when it is broken: nothing else can be read the way it means."""
    cfg_doc = None
    problems: list[Problem] = []
    if os.path.lexists(root / config.CONFIG_FILE):  # not only a regular file: a FIFO is refused, not skipped
        docs, problems = load.read_file(root, config.CONFIG_FILE)
        docs = [d for d in docs if d.kind == "Repository"]
        for d in docs:
            problems.extend(validate.validate_doc(d))
        cfg_doc = docs[0] if docs else None
    if _errors(problems):
        return None, problems
    return config.config_from_doc(root, cfg_doc), problems


def workload_files(root: FsPath) -> list[str] | None:
    """The workload files of the repo (None when wlc.yaml is unreadable: the full run reports it)."""
    cfg, _ = read_config(root)
    if cfg is None:
        return None
    return [rel for rel in load.find_yaml_files(root, cfg.exclude)
            if rel != config.CONFIG_FILE and workload_project(cfg, rel) is not None]


def load_docs(root: FsPath, cfg: config.RepoConfig, part: Collection[str] | None,
              changes: Mapping[str, str | None] | None = None) -> tuple[list[Doc], list[Problem]]:
    """Stage 1: every wlc or Run:ai document; ``part`` limits the workload files read (shared
    documents are always read); ``changes`` (repo-relative path → text, None = deleted) stands
    in for files on disk: the repository as an edit would leave it (``wlc new``, ``wlc stop``)."""
    docs: list[Doc] = []
    changes = changes or {}
    found, problems = load.discover(root, cfg.exclude)
    deleted = {r for r, t in changes.items() if t is None}
    added = sorted(r for r, t in changes.items() if t is not None and r not in set(found))
    for rel in [r for r in found if r not in deleted] + added:
        if rel == config.CONFIG_FILE or (part is not None and rel not in part
                                         and workload_project(cfg, rel) is not None):
            continue
        text = changes.get(rel)
        fdocs, fprobs = (load.parse_documents(text, rel) if text is not None
                         else _read(root, rel, cfg.max_file_bytes))
        problems.extend(fprobs)
        for doc in fdocs:
            ours, why = _ours(doc, cfg)
            problems.extend(why)
            if ours:
                docs.append(doc)
    return docs, problems


def _ours(doc: Doc, cfg: config.RepoConfig) -> tuple[bool, list[Problem]]:
    """wlc and Run:ai documents are ours; other YAML is ignored outside the workload roots."""
    api = str(doc.data.get("apiVersion", "")) if isinstance(doc.data, dict) else ""
    if api.startswith(("wlc.dev/", "run.ai/")):
        return True, []
    body = normalize.policy_body_problem(doc)
    if body is not None:
        return False, [body]
    if workload_project(cfg, doc.file) is None:
        return False, []
    line, col = doc.loc(("apiVersion",))
    return False, [Problem(doc.file, line, col, "repo.unknown-document",
                           f'not a wlc document (apiVersion "{api}"); expected wlc.dev/v1alpha1 '
                           "or a Run:ai run.ai/v2alpha1 document")]


def count_workloads(cfg: config.RepoConfig, docs: list[Doc], loaded: list[Problem]) -> tuple[int, int]:
    """The workload documents the user has, valid or not (``docs`` after normalize, ``loaded``
    the load stage's problems): (in workload files, elsewhere); a workload file that yields no
    workload document because it does not parse counts as one."""
    workloads = [d for d in docs if d.kind in WORKLOAD_KINDS]
    files = {d.file for d in workloads}
    in_roots = sum(1 for d in workloads if workload_project(cfg, d.file) is not None)
    unread = {p.file for p in loaded if p.severity == "error" and p.file not in files
              and workload_project(cfg, p.file) is not None}
    return in_roots + len(unread), len(workloads) - in_roots


def normalize_docs(docs: list[Doc]) -> tuple[list[Doc], list[Problem]]:
    """Stage 2: Run:ai documents as native ones."""
    out: list[Doc] = []
    problems: list[Problem] = []
    labels = normalize.item_labels(docs)  # Run:ai deletes an inherited item by its label
    for doc in docs:
        if not normalize.is_runai(doc):
            out.append(doc)
            continue
        native, found = normalize.normalize(doc, labels)
        problems.extend(found)
        if native is not None:
            out.append(native)
    return out, problems


def check_schemas(docs: list[Doc]) -> tuple[list[Doc], list[Problem]]:
    """Stage 3: the documents that pass their schema."""
    good: list[Doc] = []
    problems: list[Problem] = []
    for doc in docs:
        found = _validate(doc)
        problems.extend(found)
        if not _errors(found):
            good.append(doc)
    return good, problems


def classify_docs(cfg: config.RepoConfig, docs: list[Doc], good: list[Doc]) -> tuple[Repo, list[Problem]]:
    """The repo of the valid documents; the invalid ones are remembered as broken (references
    to them are not reported again)."""
    repo, problems = classify(cfg, good)
    valid = {id(d) for d in good}
    repo.broken = {(d.kind, d.name) for d in docs if id(d) not in valid}
    return repo, problems
