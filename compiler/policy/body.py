"""What a Policy document says, flattened: defaults and rules by field path, with origins.

Field paths have no list indexes. The members of an itemized field are addressed through the
``attributes`` marker, as in the policy document itself: ``storage.hostPath.attributes.path``
is the ``path`` member of every host-path instance.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..model import Data, Doc, Source, TaggedSpec
from .fields import FieldInfo, FPath, field_tree

LEVELS = ("cluster", "department", "project")
ATTR = "attributes"


@dataclass(frozen=True)
class Origin:
    """Where a default or rule was written: policy name, file, line, and scope level."""

    policy: str
    file: str
    line: int
    col: int
    level: int

    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def source(self) -> Source:
        return Source("policy", self.policy, self.file, self.line)


@dataclass(frozen=True)
class Setting:
    value: Data
    origin: Origin


@dataclass
class PolicyBody:
    """One checked Policy document."""

    name: str
    doc: Doc
    level: int
    scope: str  # "" for the cluster, else the department or project name
    types: frozenset[str]
    defaults: dict[FPath, Setting] = field(default_factory=dict)
    #: itemized field → its default instances as tagged items (merge.tag), in document order
    instances: dict[FPath, list[TaggedSpec]] = field(default_factory=dict)
    rules: dict[FPath, dict[str, Setting]] = field(default_factory=dict)
    imposed: list[Setting] = field(default_factory=list)

    @property
    def order(self) -> tuple[int, str, int]:
        return (self.level, self.doc.file, self.doc.index)

    def origin(self, docpath: tuple[str | int, ...]) -> Origin:
        line, col = self.doc.loc(docpath)
        return Origin(self.name, self.doc.file, line, col, self.level)


def split_attr(path: FPath) -> tuple[FPath, FPath | None]:
    """``storage.hostPath.attributes.path`` → (``storage.hostPath``, ``path``); else (path, None)."""
    tree = field_tree()
    for i, part in enumerate(path):
        if part == ATTR and i > 0 and _kind(tree, path[:i]) == "itemized":
            return path[:i], path[i + 1:]
    return path, None


def info_of(path: FPath) -> FieldInfo | None:
    """The field info of a policy path (attribute paths name the member's field)."""
    base, member = split_attr(path)
    return field_tree().get(base + member if member is not None else base)


def _kind(tree: dict[FPath, FieldInfo], path: FPath) -> str:
    info = tree.get(path)
    return info.kind if info else ""

