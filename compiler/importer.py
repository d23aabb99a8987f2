"""``wlc import runai FILE... [--out DIR]``: Run:ai CRs on disk become native YAML files.

Each Run:ai document goes through the normalize stage; the native result is written to
``OUT/workloads/<project>/<name>.yaml`` (templates to ``OUT/templates/<name>.yaml``, policies to
``OUT/policies/<name>.yaml``), or printed to stdout, documents separated by ``---``, when no
output folder is given. The output is deterministic: keys in the order apiVersion, kind,
metadata, spec, and the spec in the documented field order.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any, TextIO

import yaml

from .load import parse_documents
from .model import Doc
from .normalize import POLICY_NOTE, is_runai, normalize, project_of_namespace
from .problems import Problem, sort_problems

NO_PROJECT = "_unassigned"


@dataclass(frozen=True)
class Imported:
    """One converted document and where it goes (relative to the output folder)."""

    source: str
    relpath: str
    text: str
    doc: Doc


def import_files(paths: list[str], out_dir: str | None, stdout: TextIO | None = None) -> list[Problem]:
    """Convert every Run:ai document of ``paths``; write or print the results; return problems."""
    results: list[Imported] = []
    problems: list[Problem] = []
    for path in paths:
        found, found_problems = convert_file(path)
        results.extend(found)
        problems.extend(found_problems)
    problems.extend(_duplicates(results))
    problems.extend(_replaced_policies(results))
    if out_dir is None:
        _print(results, stdout or sys.stdout)
    else:
        problems.extend(_write(results, FsPath(out_dir)))
    return sort_problems(problems)


def convert_file(path: str) -> tuple[list[Imported], list[Problem]]:
    """The native documents made from one file, and the problems found."""
    try:
        text = FsPath(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        return [], [Problem(path, 1, 1, "file.encoding", f"not UTF-8 text: {err.reason}")]
    except OSError as err:
        return [], [Problem(path, 0, 0, "file.read", f"cannot read: {err.strerror}")]
    docs, problems = parse_documents(text, path)
    results: list[Imported] = []
    for doc in docs:
        if not is_runai(doc):
            line, col = doc.loc(("apiVersion",))
            problems.append(Problem(path, line, col, "runai.not-runai",
                                    "not a Run:ai document (apiVersion run.ai/v1alpha1 or run.ai/v2alpha1); skipped",
                                    "warning", "apiVersion"))
            continue
        native, found = normalize(doc)
        problems.extend(found)
        if native is not None:
            text = dump(native.data)
            if native.kind == "Policy":
                text = "".join(f"# {line}\n" for line in POLICY_NOTE.format(kind=doc.kind).splitlines()) + text
            results.append(Imported(path, output_path(native, doc), text, native))
    return results, problems


def output_path(native: Doc, source: Doc) -> str:
    """Where a converted document is written, relative to the output folder."""
    name = native.name or f"unnamed-{source.index}"
    kind = native.kind
    if kind == "Template":
        return f"templates/{name}.yaml"
    if kind == "Policy":
        scope = (native.data.get("spec") or {}).get("scope") or {}
        return f"policies/{scope.get('project') or 'cluster'}/{name}.yaml"
    spec = native.data.get("spec") or {}
    project = spec.get("project") or _namespace_folder(source)
    return f"workloads/{project}/{name}.yaml"


def _namespace_folder(source: Doc) -> str:
    meta = source.data.get("metadata") if isinstance(source.data, dict) else None
    namespace = meta.get("namespace") if isinstance(meta, dict) else None
    if not isinstance(namespace, str) or not namespace or namespace == "runai":
        return NO_PROJECT
    return project_of_namespace(namespace) or namespace


def dump(data: Any) -> str:
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


def _write(results: list[Imported], out_dir: FsPath) -> list[Problem]:
    written: set[str] = set()
    problems: list[Problem] = []
    for result in results:
        if result.relpath in written:
            continue
        written.add(result.relpath)
        target = out_dir / result.relpath
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(result.text, encoding="utf-8")
        except OSError as err:
            problems.append(Problem(result.source, 0, 0, "file.write", f"cannot write {target}: {err.strerror}"))
    return problems
