"""The values of a diff: what changed between two builds of one overlay, and why."""
from __future__ import annotations

from dataclasses import dataclass

from ..problems import Problem


@dataclass(frozen=True)
class Reason:
    """An input file that changed a workload's resolved spec, and the fields it changed."""

    file: str
    source: str  # submission, template, environment, compute, dataSource, policy, overlay, ...
    fields: tuple[str, ...]


@dataclass(frozen=True)
class ObjectChange:
    change: str  # added | removed | changed
    group: str
    kind: str
    namespace: str
    name: str

    def label(self) -> str:
        kind = f"{self.kind}.{self.group}" if self.group else self.kind
        return f"{kind} {self.namespace}/{self.name}" if self.namespace else f"{kind} {self.name}"


@dataclass(frozen=True)
class Effect:
    """What a change does in the cluster: ``kind`` is recreate, restart, stopped, activated,
    pvc-deleted, deleted or created."""

    kind: str
    message: str


@dataclass(frozen=True)
class WorkloadChange:
    namespace: str
    name: str
    type: str
    change: str  # added | removed | changed
    source: str
    objects: tuple[ObjectChange, ...]
    reasons: tuple[Reason, ...]
    effects: tuple[Effect, ...]
    #: unified diff of the workload's bundle file (base → head)
    diff: str

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class GpuRow:
    """GPUs requested by the running (active) workloads of a project in its first-choice node
    pool (``(any)`` when no pool is chosen); fractions count as parts of a GPU."""

    project: str
    pool: str
    before: float
    after: float


@dataclass(frozen=True)
class Side:
    """One revision's build of the overlay: ``present`` false when the overlay does not exist
    there; ``ok`` false when the build failed (``errors`` say why)."""

    ref: str
    present: bool = True
    ok: bool = True
    errors: tuple[Problem, ...] = ()
    failure: str = ""


@dataclass(frozen=True)
class OverlayDiff:
    overlay: str
    base: Side
    head: Side
    changes: tuple[WorkloadChange, ...]
    unchanged: int
    gpus: tuple[GpuRow, ...]

    @property
    def differs(self) -> bool:
        return bool(self.changes) or self.base.ok != self.head.ok or self.base.present != self.head.present

    def count(self, change: str) -> int:
        return sum(1 for c in self.changes if c.change == change)


@dataclass(frozen=True)
class Diff:
    base: str
    head: str
    overlays: tuple[OverlayDiff, ...]

    @property
    def differs(self) -> bool:
        return any(o.differs for o in self.overlays)

    @property
    def head_ok(self) -> bool:
        return all(o.head.ok for o in self.overlays)
