"""``spec.active`` set in place (``wlc stop``, ``wlc activate``): the value's characters are
replaced, or one line is inserted as the first field of ``spec``; nothing else changes.

Native documents hold ``active: false``; Run:ai documents wrap it, ``active: {value: false}``
(written in block style, like the rest of such a document)."""
from __future__ import annotations

from dataclasses import dataclass

import yaml

from .documents import EditError, Found, child, is_runai, newline, replace_span


@dataclass(frozen=True)
class Edit:
    """The new text of a file and the (1-based) line that changed in it."""

    text: str
    line: int


def set_active(text: str, found: Found, value: bool) -> Edit:
    """``text`` (the whole file) with the found document's ``spec.active`` set to ``value``."""
    spec = child(found.node, "spec")
    if spec is None or not isinstance(spec[1], yaml.MappingNode) or not (spec[1].value or spec[1].flow_style):
        raise EditError("the document has no spec mapping to set active in")
    word = "true" if value else "false"
    chunk = found.text
    current = child(spec[1], "active")
    if current is not None:
        target = _value_node(current[1], is_runai(found.node))
        if target.start_mark.index < current[0].end_mark.index:  # `active: *on`: the anchor's value
            raise EditError("spec.active is an alias of a value written elsewhere; edit it by hand")
        edited, index = replace_span(chunk, target, word), target.start_mark.index
    else:
        edited, index = _insert(chunk, spec, word, is_runai(found.node))
    start = found.chunk.start
    new = text[:start] + edited + text[found.chunk.end:]
    return Edit(new, text.count("\n", 0, start + index) + 1)


def _value_node(node: yaml.Node, runai: bool) -> yaml.ScalarNode:
    """The scalar that holds the value (inside ``{value: ...}`` for a Run:ai document)."""
    if runai and isinstance(node, yaml.MappingNode):
        inner = child(node, "value")
        if inner is not None and isinstance(inner[1], yaml.ScalarNode):
            return inner[1]
    if isinstance(node, yaml.ScalarNode):
        return node
    raise EditError("spec.active is not a plain true/false value here; edit it by hand")


def _insert(chunk: str, spec: tuple[yaml.ScalarNode, yaml.Node], word: str, runai: bool) -> tuple[str, int]:
    """``active`` inserted as the first field of the spec mapping, on the line after ``spec:``
    at the indentation of its fields; (new chunk, where)."""
    key, body = spec
    assert isinstance(body, yaml.MappingNode)
    if body.flow_style:  # spec: {image: x, ...}
        at = body.start_mark.index + 1
        sep = ", " if body.value else ""
        field = f"active: {{value: {word}}}" if runai else f"active: {word}"
        return chunk[:at] + field + sep + chunk[at:], at
    first = body.value[0][0]
    col = first.start_mark.column
    at = chunk.find("\n", key.end_mark.index) + 1  # the line after "spec:"
    if at == 0 or at > first.start_mark.index or col <= key.start_mark.column:
        raise EditError("cannot place a new line in this spec (unusual layout); add active by hand")
    nl, pad = newline(chunk), " " * col
    if runai:
        step = " " * (col - key.start_mark.column)
        line = f"{pad}active:{nl}{pad}{step}value: {word}{nl}"
    else:
        line = f"{pad}active: {word}{nl}"
    return chunk[:at] + line + chunk[at:], at
