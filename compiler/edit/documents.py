"""A file's YAML documents, where each one starts and ends, and the workload named W in it."""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import yaml

from ..problems import WlcError

#: a document marker at column 0 (``---`` alone or followed by a space, or ``...``)
_MARKER = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r\n]|$)", re.MULTILINE)


class EditError(WlcError):
    """An edit that cannot be made as asked (the message says why); the CLI exits 2."""


@dataclass(frozen=True)
class Chunk:
    """One document's text: ``start``..``end`` of the file, its ``---`` line included."""

    start: int
    end: int
    node: yaml.MappingNode | None


def newline(text: str) -> str:
    """The file's line end (CRLF when its first line ends so)."""
    first = text.find("\n")
    return "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"


def chunks(text: str) -> list[Chunk]:
    """Every document of ``text`` with its span; a file whose markers the parser reads otherwise
    (a ``---`` inside a block scalar) is refused rather than cut in the wrong place."""
    starts = [m.start() for m in _MARKER.finditer(text) if text.startswith("---", m.start())]
    if starts and _directives_only(text[:starts[0]]):  # `%YAML 1.1` belongs to the document after it
        starts[0] = 0
    bounds = ([0] if not starts or starts[0] != 0 else []) + starts + [len(text)]
    out: list[Chunk] = []
    for start, end in itertools.pairwise(bounds):
        nodes = _compose(text[start:end])
        if len(nodes) > 1:
            raise EditError("cannot find the document boundaries of this file (a '---' inside a "
                            "block scalar?); edit it by hand")
        out.append(Chunk(start, end, nodes[0] if nodes else None))
    if sum(c.node is not None for c in out) != len(_compose(text)):
        raise EditError("cannot find the document boundaries of this file; edit it by hand")
    return out


def _directives_only(head: str) -> bool:
    """Whether the text before the first ``---`` holds a directive and nothing but comments."""
    lines = [line.strip() for line in head.splitlines()]
    return any(line.startswith("%") for line in lines) and all(
        not line or line.startswith(("%", "#")) for line in lines)


def _compose(text: str) -> list[yaml.MappingNode]:
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as err:
        raise EditError(f"not valid YAML: {err}") from err
    return [n for n in nodes if isinstance(n, yaml.MappingNode)]


def child(node: yaml.Node | None, key: str) -> tuple[yaml.ScalarNode, yaml.Node] | None:
    """The (key node, value node) of ``key`` in a mapping node, or None."""
    if not isinstance(node, yaml.MappingNode):
        return None
    for knode, vnode in node.value:
        if isinstance(knode, yaml.ScalarNode) and knode.value == key:
            return knode, vnode
    return None


def scalar(node: yaml.Node | None, *path: str) -> str | None:
    """The text of the scalar at ``path`` below ``node`` (None when absent or not a scalar)."""
    for key in path:
        found = child(node, key)
        node = found[1] if found else None
    return node.value if isinstance(node, yaml.ScalarNode) else None


@dataclass(frozen=True)
class Found:
    """The document of a workload: its chunk, and the chunk's text."""

    index: int
    chunk: Chunk
    text: str

    @property
    def node(self) -> yaml.MappingNode:
        assert self.chunk.node is not None
        return self.chunk.node


def find(text: str, name: str, kinds: tuple[str, ...]) -> Found | None:
    """The document of ``text`` whose kind is one of ``kinds`` and whose name is ``name``."""
    for i, chunk in enumerate(chunks(text)):
        if scalar(chunk.node, "kind") in kinds and scalar(chunk.node, "metadata", "name") == name:
            return Found(i, chunk, text[chunk.start:chunk.end])
    return None


def is_runai(node: yaml.Node | None) -> bool:
    return (scalar(node, "apiVersion") or "").startswith("run.ai/")


#: an anchor or a tag written before a value (``&a true``, ``!!bool true``) and the space after it
_PROPERTY = re.compile(r"[&!][^ \t\r\n]*[ \t]*")


def replace_span(text: str, node: yaml.Node, new: str) -> str:
    """``text`` with the characters of ``node`` (a scalar, as written) replaced by ``new``; an
    anchor or tag before the value stays, and an empty value (``active:``) gets its space."""
    start, end = node.start_mark.index, node.end_mark.index
    while start < end and text[start] in "&!":
        match = _PROPERTY.match(text, start)
        assert match is not None
        start = min(match.end(), end)
    if start == end and start > 0 and text[start - 1] not in " \t":
        new = " " + new
    return text[:start] + new + text[end:]
