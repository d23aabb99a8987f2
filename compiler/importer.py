"""``wlc import runai FILE... [--out DIR]``: Run:ai CRs on disk become native YAML files.

Each Run:ai document goes through the normalize stage; the native result is written to
``OUT/workloads/<project>/<name>.yaml`` (templates to ``OUT/templates/<name>.yaml``, policies to
``OUT/policies/<name>.yaml``), or printed to stdout, documents separated by ``---``, when no
output folder is given. The output is deterministic: keys in the order apiVersion, kind,
metadata, spec, and the spec in the documented field order.

Writing is all or nothing: every document is converted first, and files are written only when
no error was found; a file that exists with other content is replaced only with ``force``
(without it, a problem names the file and nothing is written).
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path as FsPath
from typing import TextIO

import yaml

from . import outdir
from .load import read_file
from .model import Doc, Path
from .normalize import POLICY_NOTE, LabelKeys, is_runai, item_labels, normalize, project_of_namespace
from .problems import Problem, sort_problems

NO_PROJECT = "_unassigned"
_FIXED: tuple[Doc, Path] = (Doc("", 0, {}, {}), ())  # a component wlc chose itself


@dataclass(frozen=True)
class Imported:
    """One converted document and where it goes (relative to the output folder)."""

    source: str
    relpath: str
    text: str
    doc: Doc


def import_files(paths: list[str], out_dir: str | None, stdout: TextIO | None = None,
                 force: bool = False) -> list[Problem]:
    """Convert every Run:ai document of ``paths``; print the results, or write them into
    ``out_dir`` when there is no error (``force``: replace files that differ); return problems."""
    results: list[Imported] = []
    problems: list[Problem] = []
    labels = item_labels(d for path in paths for d in _runai_docs(path))  # deletion by label
    for path in paths:
        found, found_problems = convert_file(path, labels)
        results.extend(found)
        problems.extend(found_problems)
    problems.extend(_duplicates(results))
    problems.extend(_replaced_policies(results))
    if out_dir is None:
        _print(results, stdout or sys.stdout)
    elif not any(p.severity == "error" for p in problems):  # an error: nothing is written
        problems.extend(_write(results, FsPath(out_dir), force))
    return sort_problems(problems)


def _read(path: str) -> tuple[list[Doc], list[Problem]]:
    """One file named on the command line, read within the build's bounds (a link is followed:
    the user named it; its target must still be a regular file within the size limit)."""
    real = os.path.realpath(path)
    docs, problems = read_file(FsPath(os.path.dirname(real)), os.path.basename(real))
    return [replace(d, file=path) for d in docs], [replace(p, file=path) for p in problems]


def _runai_docs(path: str) -> list[Doc]:
    """The Run:ai documents of a file (unreadable ones: none; convert_file reports them)."""
    return [d for d in _read(path)[0] if is_runai(d)]


def convert_file(path: str, labels: LabelKeys | None = None) -> tuple[list[Imported], list[Problem]]:
    """The native documents made from one file, and the problems found; ``labels``
    (``normalize.item_labels`` of every file imported with it) resolves deletions by label."""
    docs, problems = _read(path)
    results: list[Imported] = []
    for doc in docs:
        if not is_runai(doc):
            line, col = doc.loc(("apiVersion",))
            problems.append(Problem(path, line, col, "runai.not-runai",
                                    "not a Run:ai document (apiVersion run.ai/v1alpha1 or run.ai/v2alpha1); skipped",
                                    "warning", "apiVersion"))
            continue
        native, found = normalize(doc, labels)
        problems.extend(found)
        if native is not None:
            text = dump(native.data)
            if native.kind == "Policy":
                text = "".join(f"# {line}\n" for line in POLICY_NOTE.format(kind=doc.kind).splitlines()) + text
            result = Imported(path, output_path(native, doc), text, native)
            unsafe = _unsafe_names(result, doc)
            problems.extend(unsafe)
            if not unsafe:
                results.append(result)
    return results, problems


def output_path(native: Doc, source: Doc) -> str:
    """Where a converted document is written, relative to the output folder."""
    return "/".join(part for part, _ in output_parts(native, source)) + ".yaml"


def output_parts(native: Doc, source: Doc) -> list[tuple[str, tuple[Doc, Path]]]:
    """The path components of ``output_path``, each with the field it was made from."""
    name = (native.name or f"unnamed-{source.index}", (source, ("metadata", "name")))
    kind = native.kind
    if kind == "Template":
        return [("templates", _FIXED), name]
    spec = native.data.get("spec") or {}
    if kind == "Policy":
        scope = spec.get("scope") or {}
        return [("policies", _FIXED), (str(scope.get("project") or "cluster"),
                                       (native, ("spec", "scope", "project"))), name]
    if spec.get("project"):
        return [("workloads", _FIXED), (str(spec["project"]), (native, ("spec", "project"))), name]
    return [("workloads", _FIXED), (_namespace_folder(source), (source, ("metadata", "namespace"))), name]


def _unsafe_names(result: Imported, source: Doc) -> list[Problem]:
    """A converted name becomes a path component only when it is a DNS-1123 label."""
    problems = []
    for part, (doc, path) in output_parts(result.doc, source):
        if path and part != NO_PROJECT and not outdir.is_label(part):
            line, col = doc.loc(path)
            problems.append(Problem(
                result.source, line, col, "runai.unsafe-name",
                f"{part!r} cannot name a file or folder: it must be a DNS-1123 label (lowercase "
                "letters, digits and \"-\", starting and ending with a letter or digit, at most 63 "
                "characters); nothing was written", field=".".join(str(p) for p in path)))
    return problems


def _namespace_folder(source: Doc) -> str:
    meta = source.data.get("metadata") if isinstance(source.data, dict) else None
    namespace = meta.get("namespace") if isinstance(meta, dict) else None
    if not isinstance(namespace, str) or not namespace or namespace == "runai":
        return NO_PROJECT
    return project_of_namespace(namespace) or namespace


def dump(data: object) -> str:
    """Native YAML: block style, keys as built (already in the documented order)."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=100)


class _Dumper(yaml.SafeDumper):
    """Indents list items under their key, as people write Kubernetes YAML."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _duplicates(results: list[Imported]) -> list[Problem]:
    seen: dict[str, str] = {}
    problems: list[Problem] = []
    for result in results:
        if result.relpath in seen:
            problems.append(Problem(result.source, 0, 0, "runai.duplicate-output",
                                    f"{result.relpath} is also produced by {seen[result.relpath]}; "
                                    "only the first is written"))
        else:
            seen[result.relpath] = result.source
    return problems


def _replaced_policies(results: list[Imported]) -> list[Problem]:
    """Run:ai v1: a project policy of a kind replaces the cluster one; wlc merges them. Say so."""
    cluster: dict[str, Imported] = {}
    for result in results:
        spec = result.doc.data.get("spec") or {}
        if result.doc.kind == "Policy" and spec.get("scope", {}).get("cluster"):
            for wtype in spec.get("workloadTypes", []):
                cluster.setdefault(wtype, result)
    problems: list[Problem] = []
    for result in results:
        spec = result.doc.data.get("spec") or {}
        if result.doc.kind != "Policy" or not spec.get("scope", {}).get("project"):
            continue
        for wtype in spec.get("workloadTypes", []):
            if wtype in cluster:
                line, col = result.doc.loc(("spec", "scope", "project"))
                other = cluster[wtype]
                problems.append(Problem(
                    result.source, line, col, "runai.policy-replacement",
                    f"in Run:ai this project policy replaced the cluster policy {other.doc.name} "
                    f"({other.source}) for {wtype} workloads; wlc applies both (defaults: the project's "
                    "win; a field with rules in both is an error): review the two", "warning", "spec.scope"))
    return problems


def _print(results: list[Imported], stream: TextIO) -> None:
    stream.write("---\n".join(r.text for r in results))


def _write(results: list[Imported], out_dir: FsPath, force: bool) -> list[Problem]:
    """Write every result, or nothing when one would land outside ``out_dir`` (a symlink) or,
    without ``force``, replace a file with other content."""
    targets: list[tuple[Imported, FsPath]] = []
    problems: list[Problem] = []
    for result in {r.relpath: r for r in reversed(results)}.values():  # the first of duplicates
        target = outdir.resolve_inside(out_dir, result.relpath)
        if target is None:
            problems.append(Problem(result.source, 0, 0, "runai.unsafe-path",
                                    f"{out_dir / result.relpath} leads outside {out_dir} (a symbolic "
                                    "link?); nothing was written"))
        elif not force:
            problems.extend(_replaces(result, out_dir / result.relpath, target))
        targets.append((result, target or out_dir))
    if problems:
        return problems
    for result, target in targets:
        try:
            _write_file(target, result.text)
        except OSError as err:
            problems.append(Problem(result.source, 0, 0, "file.write", f"cannot write {target}: {err.strerror}"))
    return problems


def _replaces(result: Imported, shown: FsPath, target: FsPath) -> list[Problem]:
    """A problem when writing ``result`` would replace a file (or folder) with other content."""
    if not target.exists() and not target.is_symlink():
        return []
    try:
        if not target.is_symlink() and target.is_file() and target.read_text(encoding="utf-8") == result.text:
            return []
    except (OSError, UnicodeDecodeError):
        pass
    line, col = result.doc.loc(("metadata", "name"))
    return [Problem(result.source, line, col, "runai.exists",
                    f"{shown} exists and differs from what this document converts to; nothing was "
                    "written (--force replaces it)", field="metadata.name")]


def _write_file(target: FsPath, text: str) -> None:
    """Write beside, then rename over: a reader never sees half a file, a link is replaced."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
