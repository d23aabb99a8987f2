"""What the comparison needs of one build, small enough to send between processes: the sealed
bundles (their YAML text), the resolved spec and provenance of each workload, and the GPUs
requested per project and node pool."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..emit import WorkloadBundle
from ..model import Provenance
from ..pipeline import Result
from ..shapes import SpecTree
from . import cluster

Key = tuple[str, str]


@dataclass(frozen=True)
class SpecView:
    """A workload's final spec and where each field came from (of a ``ResolvedWorkload``)."""

    file: str
    spec: SpecTree
    prov: Provenance
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Build:
    bundles: dict[Key, WorkloadBundle]
    specs: dict[Key, SpecView]
    gpus: dict[tuple[str, str], float]


def snapshot(res: Result, drop_objects: bool = False) -> Build:
    """The comparable part of ``res``; ``drop_objects``: keep the bundles' text only."""
    for b in res.bundles:
        b.seal()
    gpus = cluster.gpu_totals(res.bundles, res.target.node_pool_label)
    bundles = {(b.namespace, b.name): replace(b, objects=[]) if drop_objects else b for b in res.bundles}
    specs = {(rw.namespace, rw.name): SpecView(rw.file, rw.spec, rw.prov, rw.labels, rw.annotations)
             for rw in res.workloads}
    return Build(bundles, specs, gpus)
