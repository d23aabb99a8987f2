"""The organisation of one build, stages 8-10: lower the projects and departments (for the
overlay's namespaces and target), stamp the bundle contract, verify every object against the
official Kubernetes schemas and wlc's Kueue CRD schemas."""
from __future__ import annotations

from . import orgbundle, verify
from .lower.organisation import lower_organisation
from .model import Target
from .orgbundle import OrgFile
from .overlay import Chain, project_namespace
from .problems import Problem
from .repo import Repo


def organise(repo: Repo, chain: Chain | None, target: Target) -> tuple[list[OrgFile], list[Problem]]:
    """The organisation folder's files in apply order, and the problems found making them."""
    namespaces = {name: project_namespace(chain, p, repo) for name, p in sorted(repo.projects.items())}
    objects, problems = lower_organisation(repo, namespaces, target)
    if any(p.severity == "error" for p in problems):
        return [], problems
    sources = {name: p.file for name, p in repo.projects.items()}
    cluster_source = _cluster_source(repo)
    files = orgbundle.finalize(objects, sources, cluster_source)
    for f in files:
        bugs = verify.verify_objects(f.objects, target.kubernetes_version)
        problems += [Problem(f.source, 1, 1, "bug.schema", "compiler bug: emitted organisation object fails "
                             f"the Kubernetes {target.kubernetes_version} schema: {message}") for message in bugs]
    return ([] if any(p.code == "bug.schema" for p in problems) else files), problems


def _cluster_source(repo: Repo) -> str:
    """The file of the first Department (else Project) document: where the shared objects come from."""
    for kind in ("Department", "Project"):
        names = repo.names(kind)
        if names:
            doc = repo.get(kind, names[0])
            if doc is not None:
                return doc.file
    return "wlc.yaml"
