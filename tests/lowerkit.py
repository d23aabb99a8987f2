"""Build ResolvedWorkload objects directly for lowering tests, and lower + verify them."""
from __future__ import annotations

from typing import Any

from compiler.lower import lower_workload
from compiler.model import Doc, Project, ResolvedWorkload, Target
from compiler.problems import Problem
from compiler.verify import verify_objects

KINDS = {"training": "TrainingWorkload", "interactive": "InteractiveWorkload",
         "distributed": "DistributedWorkload", "inference": "InferenceWorkload"}


def _locs(node: Any, path: tuple[Any, ...], line: list[int], out: dict[Any, tuple[int, int]]) -> None:
    """Fake positions: every value gets the next line, column = 3 + 2 * depth."""
    out[path] = (line[0], 1 + 2 * len(path))
    line[0] += 1
    if isinstance(node, dict):
        for key, val in node.items():
            _locs(val, path + (key,), line, out)
    elif isinstance(node, list):
        for i, val in enumerate(node):
            _locs(val, path + (i,), line, out)


def workload(kind: str = "training", name: str = "w1", project: str = "team-a",
             meta_labels: dict[str, str] | None = None, meta_annotations: dict[str, str] | None = None,
             **spec: Any) -> ResolvedWorkload:
    """A resolved workload; ``spec`` keywords are the spec fields (image defaults to busybox)."""
    spec.setdefault("image", "busybox:1.36")
    full_kind = KINDS.get(kind, kind)
    data = {"apiVersion": "wlc.dev/v1alpha1", "kind": full_kind,
            "metadata": {"name": name}, "spec": spec}
    locs: dict[Any, tuple[int, int]] = {}
    _locs(data, (), [1], locs)
    doc = Doc(file=f"workloads/{project}/{name}.yaml", index=0, data=data, locs=locs)
    proj = Project(name=project, namespace=f"runai-{project}", department="default")
    return ResolvedWorkload(kind=full_kind, name=name, project=proj, spec=spec, prov={}, doc=doc,
                            labels=dict(meta_labels or {}), annotations=dict(meta_annotations or {}))


def target(**settings: Any) -> Target:
    return Target(**settings)


def lower(rw: ResolvedWorkload, tgt: Target | None = None,
          check: bool = True) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Lower ``rw``; with ``check`` every object must pass the Kubernetes schema of the target."""
    tgt = tgt or Target()
    objs, problems = lower_workload(rw, tgt)
    if check:
        errors = verify_objects(objs, tgt.kubernetes_version)
        assert errors == [], errors
    return objs, problems


def find(objs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    matches = [o for o in objs if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    assert len(matches) == 1, f"expected one {kind} {name or ''}, got {[o['metadata']['name'] for o in matches]}"
    return matches[0]


def kinds(objs: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted((o["kind"], o["metadata"]["name"]) for o in objs)


def pod_spec(objs: list[dict[str, Any]]) -> dict[str, Any]:
    ctrl = next(o for o in objs if o["kind"] in ("Job", "StatefulSet", "Deployment"))
    spec: dict[str, Any] = ctrl["spec"]["template"]["spec"]
    return spec


def container(objs: list[dict[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = pod_spec(objs)["containers"][0]
    return found


def codes(problems: list[Problem], severity: str | None = None) -> list[str]:
    return [p.code for p in problems if severity is None or p.severity == severity]


def only(problems: list[Problem], code: str) -> Problem:
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, f"expected one {code}, got {[p.text() for p in problems]}"
    return found[0]
