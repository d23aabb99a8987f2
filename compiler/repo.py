"""The repository as loaded: documents classified by kind, projects by folder."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from . import orgmodel
from .config import RepoConfig, namespace_problems
from .model import WORKLOAD_KINDS, Department, Doc, Project, TaggedSpec
from .problems import Problem
from .templates import fill


@dataclass
class Repo:
    """Every native document of a repo, indexed by kind and name."""

    config: RepoConfig
    workloads: list[tuple[Doc, str]] = field(default_factory=list)  # (doc, project folder)
    by_kind: dict[str, dict[str, Doc]] = field(default_factory=dict)
    projects: dict[str, Project] = field(default_factory=dict)
    departments: dict[str, Department] = field(default_factory=dict)
    #: (kind, name) of documents that failed validation: references to them are not reported again
    broken: set[tuple[str, str]] = field(default_factory=set)
    #: tagged merge layers of assets and templates, built once (compiler.resolve)
    layers: dict[tuple[str, str], TaggedSpec] = field(default_factory=dict)

    def get(self, kind: str, name: str) -> Doc | None:
        return self.by_kind.get(kind, {}).get(name)

    def names(self, kind: str) -> list[str]:
        return sorted(self.by_kind.get(kind, {}))


def suggest(name: str, choices: list[str]) -> str:
    """' (did you mean "x"?)' or ''."""
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


def workload_project(cfg: RepoConfig, file: str) -> str | None:
    """The project folder of a workload file: the first folder below its workload root."""
    for root in cfg.workload_roots:
        prefix = root + "/" if root else ""
        if file.startswith(prefix):
            rest = file[len(prefix):].split("/")
            return rest[0] if len(rest) > 1 else ""
    return None


def classify(cfg: RepoConfig, docs: list[Doc]) -> tuple[Repo, list[Problem]]:
    """Sort documents into workloads and named objects; duplicates and misplaced files are problems."""
    repo = Repo(cfg)
    problems: list[Problem] = []
    for doc in docs:
        kind = doc.kind
        if kind in WORKLOAD_KINDS:
            problems.extend(_add_workload(repo, doc))
        elif kind != "Repository":
            problems.extend(_add_named(repo, doc))
    problems.extend(_projects(repo))
    return repo, problems


def _add_workload(repo: Repo, doc: Doc) -> list[Problem]:
    folder = workload_project(repo.config, doc.file)
    line, col = doc.loc(("kind",))
    if folder is None:
        roots = ", ".join(f"{r}/<project>/" for r in repo.config.workload_roots)
        return [Problem(doc.file, line, col, "repo.workload-location",
                        f'{doc.kind} "{doc.name}" is outside'
                        f" the workload roots; move it under {roots}")]
    if folder == "":
        return [Problem(doc.file, line, col, "repo.workload-location",
                        f'{doc.kind} "{doc.name}" must live'
                        f" in a project folder: "
                        f"{repo.config.workload_roots[0]}/<project>/{doc.file.rsplit('/', 1)[-1]}")]
    repo.workloads.append((doc, folder))
    return []


def _add_named(repo: Repo, doc: Doc) -> list[Problem]:
    table = repo.by_kind.setdefault(doc.kind, {})
    key = _table_key(doc)
    other = table.get(key)
    if other is not None:
        line, col = doc.loc(("metadata", "name"))
        oline, _ = other.loc(("metadata", "name"))
        return [Problem(doc.file, line, col, "repo.duplicate-name",
                        f'{doc.kind} "{doc.name}" is defined twice (also in {other.file}:{oline})',
                        field="metadata.name")]
    table[key] = doc
    return []


def _table_key(doc: Doc) -> str:
    """A document's name, made unique per scope for policies: Run:ai's cluster and project
    policies may share a name (they live in different namespaces). Sorts by name first."""
    data = doc.data if isinstance(doc.data, dict) else {}
    spec = data.get("spec") if doc.kind == "Policy" else None
    scope = spec.get("scope") if isinstance(spec, dict) else None
    if not isinstance(scope, dict) or scope.get("cluster") or len(scope) != 1:
        return doc.name
    (level, where), = scope.items()
    return f"{doc.name} ({level} {where})"


def _projects(repo: Repo) -> list[Problem]:
    problems: list[Problem] = []
    departments = repo.names("Department")
    tmpl = repo.config.target.namespace_template
    for name, doc in sorted(repo.by_kind.get("Project", {}).items()):
        spec = doc.data.get("spec") or {}
        dept = str(spec.get("department", ""))
        if dept and dept not in departments:
            line, col = doc.loc(("spec", "department"))
            problems.append(Problem(doc.file, line, col, "resolve.unknown-department",
                                    f'project "{name}" names unknown department "{dept}"'
                                    + suggest(dept, departments), field="spec.department"))
        namespace = str(spec.get("namespace") or fill(tmpl, {"project": name, "department": dept}))
        problems.extend(namespace_problems(repo.config, doc, namespace))
        repo.projects[name] = Project(name, namespace, dept, list(spec.get("nodePools", [])),
                                      list(spec.get("nodeTypes", [])), doc.file,
                                      orgmodel.pool_quotas(spec), orgmodel.over_quota(spec),
                                      orgmodel.members(spec), str(spec.get("podSecurity", "baseline")))
    for name, doc in sorted(repo.by_kind.get("Department", {}).items()):
        repo.departments[name] = orgmodel.department(name, doc.file, doc.data.get("spec") or {})
    return problems




#: (namespace, name, file, line, col) of a resolved workload
WorkloadId = tuple[str, str, str, int, int]


def duplicate_workloads(ids: list[WorkloadId]) -> list[Problem]:
    """A workload name defined twice in one namespace: the later file (by path) is reported."""
    seen: dict[tuple[str, str], WorkloadId] = {}
    out: list[Problem] = []
    for ident in sorted(ids, key=lambda x: (x[2], x[3], x[4])):
        ns, name, file, line, col = ident
        first = seen.setdefault((ns, name), ident)
        if first is not ident:
            out.append(Problem(file, line, col, "repo.duplicate-name",
                               f'workload "{name}" in namespace {ns} is defined twice '
                               f"(also in {first[2]}:{first[3]})", field="metadata.name"))
    return out
