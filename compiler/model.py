"""The data every stage passes on: documents with positions, resolved workloads, targets."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .shapes import SpecTree

#: A path inside a document: keys and list indexes, e.g. ("spec", "compute", "gpuDevicesRequest").
Path = tuple[str | int, ...]

WORKLOAD_KINDS = ("TrainingWorkload", "InteractiveWorkload", "DistributedWorkload", "InferenceWorkload")
ASSET_KINDS = ("Environment", "ComputeResource", "DataSource", "Credential", "Template")
OTHER_KINDS = ("Project", "Department", "Policy", "Overlay", "Repository")
NATIVE_KINDS = WORKLOAD_KINDS + ASSET_KINDS + OTHER_KINDS
API_VERSION = "wlc.dev/v1alpha1"

#: A scalar as YAML gives it.
Scalar = str | int | float | bool | None
#: Plain YAML data: scalars, lists and string-keyed maps of them. Code that reads into it
#: narrows with isinstance. (``Doc.data`` is the YAML edge itself and stays untyped.)
Data = Scalar | list["Data"] | dict[str, "Data"]
#: Where each leaf of a spec came from: leaf path (inside ``spec``) → Source.
Provenance = dict[Path, "Source"]


@dataclass
class Doc:
    """One YAML document as loaded: plain data plus the position of every value.

    ``locs`` maps a path to (line, col), both from 1; the key position for mapping entries'
    values is the value's own position. ``file`` is repo-relative with forward slashes.
    """

    file: str
    index: int
    data: Any
    locs: dict[Path, tuple[int, int]]
    #: positions of mapping keys (for "unknown field" problems pointing at the key)
    key_locs: dict[Path, tuple[int, int]] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return str(self.data.get("kind", "")) if isinstance(self.data, dict) else ""

    @property
    def name(self) -> str:
        if not isinstance(self.data, dict):
            return ""
        meta = self.data.get("metadata")
        return str(meta.get("name", "")) if isinstance(meta, dict) else ""

    def loc(self, path: Path, key: bool = False) -> tuple[int, int]:
        """The position of ``path``, or of its nearest located ancestor."""
        table = self.key_locs if key else self.locs
        p = tuple(path)
        while p:
            if p in table:
                return table[p]
            p = p[:-1]
        return self.locs.get((), (1, 1))


@dataclass(frozen=True)
class Source:
    """Where a resolved value came from: ``kind`` is submission, template, environment,
    compute, dataSource, policy, overlay, default; ``name`` the asset/policy name."""

    kind: str
    name: str = ""
    file: str = ""
    line: int = 0

    def label(self) -> str:
        where = f" ({self.file}:{self.line})" if self.file else ""
        return f"{self.kind}{':' + self.name if self.name else ''}{where}"


@dataclass(frozen=True)
class Leaf:
    """One value of a tagged tree (compiler.merge) with the place it came from."""

    value: object
    source: Source


#: A tagged tree: the spec with every leaf (scalars, and lists other than itemized ones) a Leaf;
#: maps and itemized lists stay maps and lists of trees.
Tree = Leaf | dict[str, "Tree"] | list["Tree"]
#: A tagged spec (the root of a tree is always a map).
TaggedSpec = dict[str, Tree]


@dataclass(frozen=True)
class PoolQuota:
    """A project's or department's quota in one node pool (Run:ai's deserved share): GPU
    devices, CPU cores (None: no CPU quota), memory (a quantity; None: no memory quota), and the
    most GPUs it may use over quota included (None: no limit)."""

    node_pool: str
    gpu_devices: int = 0
    gpu_limit: int | None = None
    cpu_cores: float | None = None
    memory: str | None = None
    #: the path of this entry in its document (for problems)
    path: Path = ()


@dataclass(frozen=True)
class OverQuota:
    """Run:ai's over-quota: may the unit use idle quota of others, and with what priority."""

    allowed: bool = True
    priority: str = "medium"  # lowest | low | medium | high


@dataclass(frozen=True)
class Member:
    """A user or group (``kind`` User or Group, RBAC's subject kinds) with its role."""

    kind: str
    name: str
    role: str


@dataclass
class Department:
    name: str
    quota: list[PoolQuota] = field(default_factory=list)
    over_quota: OverQuota = field(default_factory=OverQuota)
    file: str = ""
    #: members of every project of the department (RoleBindings in each project namespace)
    members: list[Member] = field(default_factory=list)


@dataclass
class Project:
    name: str
    namespace: str
    department: str
    node_pools: list[str] = field(default_factory=list)
    node_types: list[str] = field(default_factory=list)
    file: str = ""
    quota: list[PoolQuota] = field(default_factory=list)
    over_quota: OverQuota = field(default_factory=OverQuota)
    members: list[Member] = field(default_factory=list)
    pod_security: str = "baseline"


@dataclass(frozen=True)
class S3Target:
    """``target.s3``: the CSI driver that mounts S3 buckets (docs/targets.md, "S3 data sources").

    ``keys`` renames wlc's volumeAttributes (bucket, url, ...) to the driver's; a name renamed to
    ``""`` is left out. ``attributes`` are added to every volume as they are.
    """

    csi_driver: str
    keys: tuple[tuple[str, str], ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()


@dataclass
class Target:
    """Cluster target settings (from wlc.yaml, overridable per overlay)."""

    kubernetes_version: str = "1.37"
    scheduler: str = "default"  # default | runai | kueue
    namespace_template: str = "runai-{project}"
    distributed: str = "kubeflow"  # kubeflow | native
    inference: str = "deployment"  # deployment | knative | kserve
    ingress_class: str = "nginx"
    host_pattern: str = "{workload}.{project}.example.com"
    gpu_resource: str = "nvidia.com/gpu"
    node_pool_label: str = "run.ai/node-pool"
    git_sync_image: str = "registry.k8s.io/git-sync/git-sync:v4.4.0"
    kueue_queue: str = "{project}"
    knative_features: tuple[str, ...] = ()
    s3: S3Target | None = None  # None: S3 data sources are refused

    @property
    def shares_gpus(self) -> bool:
        """Only the Run:ai scheduler can give a pod part of a GPU."""
        return self.scheduler == "runai"


#: Itemized field (no list indexes, e.g. ("storage", "pvc") or ("master", "ports")) → the item
#: key a layer removed with ``exclude: true`` → (the document and the path of that ``exclude``).
Exclusions = dict[tuple[str, ...], dict[object, tuple[Doc, Path]]]


@dataclass
class ResolvedWorkload:
    """A workload after resolution (and, later, policy and overlay): the final spec.

    ``spec`` is plain data on the docs/spec.md field tree with asset references removed;
    ``prov`` maps each leaf path inside ``spec`` to its Source; ``excluded`` records which
    inherited items the submission, its template and the overlay's spec patches removed (the
    policy's locked-instance and imposed-asset rules judge them; the first remover is kept).
    """

    kind: str
    name: str
    project: Project
    spec: SpecTree
    prov: Provenance
    doc: Doc
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    excluded: Exclusions = field(default_factory=dict)

    @property
    def namespace(self) -> str:
        return self.project.namespace

    @property
    def file(self) -> str:
        return self.doc.file

    @property
    def active(self) -> bool:
        return bool(self.spec.get("active", True))

    def loc(self, spath: Path) -> tuple[int, int]:
        """Position in the submission of a spec path (nearest located ancestor)."""
        return self.doc.loc(("spec",) + tuple(spath))
