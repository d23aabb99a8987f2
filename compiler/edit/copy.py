"""One document removed from a file (``wlc delete``) or copied under a new name (``wlc copy``)."""
from __future__ import annotations

import yaml

from .documents import EditError, Found, child, chunks, is_runai, replace_span


def remove(text: str, found: Found) -> str | None:
    """``text`` without the found document (its ``---`` line and the comments above its fields
    go with it); None when it was the file's only document (the file is deleted)."""
    if sum(c.node is not None for c in chunks(text)) <= 1:
        return None
    return text[:found.chunk.start] + text[found.chunk.end:]


def copied(found: Found, name: str, project: str | None) -> str:
    """The found document's own text renamed to ``name`` (and, given ``project``, its
    ``spec.project`` and a Run:ai document's namespace and ``spec.name`` follow), comments kept;
    the leading ``---`` line is dropped: the copy is the only document of a new file."""
    text = found.text
    for node, new in sorted(_renames(found, name, project), key=lambda e: -e[0].start_mark.index):
        text = replace_span(text, node, new)
    if text.startswith("---"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
    return text


def _renames(found: Found, name: str, project: str | None) -> list[tuple[yaml.ScalarNode, str]]:
    """The scalars to rewrite, each with its new text."""
    meta = child(found.node, "metadata")
    old = child(meta[1], "name") if meta else None
    if old is None or not isinstance(old[1], yaml.ScalarNode):
        raise EditError("the document has no metadata.name to rename")
    if old[1].start_mark.index < old[0].end_mark.index:
        raise EditError("metadata.name is an alias of a value written elsewhere; copy the file by hand")
    out: list[tuple[yaml.ScalarNode, str]] = [(old[1], name)]
    spec = child(found.node, "spec")
    runai = is_runai(found.node)
    if runai:
        out += _wrapped(spec[1] if spec else None, "name", name)
    if project is not None:
        out += _wrapped(spec[1] if spec else None, "project", project) if runai else \
            _plain(spec[1] if spec else None, "project", project)
        namespace = child(meta[1], "namespace") if meta else None
        if namespace is not None and isinstance(namespace[1], yaml.ScalarNode):
            out.append((namespace[1], f"runai-{project}"))
    return out


def _plain(node: yaml.Node | None, key: str, new: str) -> list[tuple[yaml.ScalarNode, str]]:
    found = child(node, key)
    if found and found[1].start_mark.index < found[0].end_mark.index:  # `project: *p`: an alias
        raise EditError(f"{key} is an alias of a value written elsewhere; copy the file by hand")
    return [(found[1], new)] if found and isinstance(found[1], yaml.ScalarNode) else []


def _wrapped(node: yaml.Node | None, key: str, new: str) -> list[tuple[yaml.ScalarNode, str]]:
    found = child(node, key)
    if found and isinstance(found[1], yaml.MappingNode):
        return _plain(found[1], "value", new)
    return _plain(node, key, new)
