"""Composed YAML node trees → plain data plus positions, within bounds (part of stage 1, load).

libyaml composes a document into nodes at C speed; an alias there is one shared node, so the
tree is never larger than the text. Data is built here, and this is where an alias would be
expanded again and again: expansion is counted, nesting depth is limited, integers must fit
in 64 bits, and a key must be a string. A bound that is crossed ends the document with one
located problem (:class:`Refused`); the other checks are problems and building goes on.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import yaml

from .model import Path
from .problems import Problem

#: collections nested inside each other, the document itself being the first
MAX_DEPTH = 64
#: values that aliases may add to one file (or as many as the file writes out, if more)
ALIAS_MIN = 10_000
#: problems kept per file (then one line says how many more)
MAX_PROBLEMS = 100
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
#: longest integer text read ("0b" and 64 binary digits, a sign): longer is out of range
_INT_TEXT_MAX = 70

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"
_FLOAT = "tag:yaml.org,2002:float"
#: most ":" parts of a YAML 1.1 base-60 number (1:30:00.5), beyond which its value overflows
_SEXAGESIMAL_MAX = 20
#: what YAML 1.1 makes of a plain key that is not a string
_KEY_KINDS = {"tag:yaml.org,2002:bool": "a boolean", _INT: "an integer",
              _FLOAT: "a number", "tag:yaml.org,2002:null": "null",
              _TIMESTAMP: "a date"}
_CTOR = yaml.constructor.SafeConstructor()
_PLAIN = {"tag:yaml.org,2002:bool": _CTOR.construct_yaml_bool,
          "tag:yaml.org,2002:null": _CTOR.construct_yaml_null}
_OPEN, _DONE = 1, 2


class Refused(Exception):
    """A bound was crossed: the document is dropped with this problem."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def shown(text: str, limit: int = 40) -> str:
    """``text`` for a one-line message: shortened, control characters escaped."""
    if len(text) > limit:
        text = f"{text[:limit]}… ({len(text):,} characters)"
    return text if text.isprintable() else json.dumps(text, ensure_ascii=False)[1:-1]


@dataclass
class Builder:
    """Builds the documents of one file; the alias budget is the file's."""

    file: str
    locs: dict[Path, tuple[int, int]] = field(default_factory=dict)
    key_locs: dict[Path, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    written: int = 0   # values built where they are written
    expanded: int = 0  # values built again through an alias
    dropped: int = 0   # problems past MAX_PROBLEMS
    _state: dict[int, int] = field(default_factory=dict)  # id(collection node) → _OPEN / _DONE
    _in_alias: int = 0
    _alias_at: yaml.Mark | None = None  # where the outermost alias being expanded is used
    _ctor: yaml.constructor.SafeConstructor = field(default_factory=yaml.constructor.SafeConstructor)

    def document(self, node: yaml.Node) -> Any:
        """The data of one document (fresh position tables); raises Refused. Raw YAML data, the
        edge: its readers (load, normalize) narrow it."""
        self.locs, self.key_locs = {}, {}
        self._state = {}  # node ids are only unique while one document's tree is alive
        return self.build(node, (), node.start_mark)

    def build(self, node: yaml.Node, path: Path, at: yaml.Mark) -> object:
        mark = node.start_mark
        self.locs[path] = (mark.line + 1, mark.column + 1)
        if self._in_alias:
            self._count_expanded()
        else:
            self.written += 1
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        return self._collection(node, path, at)

    def _collection(self, node: yaml.Node, path: Path, at: yaml.Mark) -> object:
        if len(path) >= MAX_DEPTH:
            raise Refused(self._at(node.start_mark, "yaml.depth", f"nested deeper than {MAX_DEPTH} levels"))
        key = id(node)
        state = self._state.get(key)
        if state == _OPEN:
            raise Refused(self._at(at, "yaml.aliases", "an alias to a value that contains itself"))
        self._state[key] = _OPEN
        if state == _DONE and not self._in_alias:
            self._alias_at = at
        self._in_alias += state == _DONE
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            return [self.build(item, path + (i,), node.start_mark) for i, item in enumerate(node.value)]
        finally:
            self._in_alias -= state == _DONE
            self._state[key] = _DONE

    def _count_expanded(self) -> None:
        self.expanded += 1
        budget = max(ALIAS_MIN, self.written)
        if self.expanded > budget:
            at = self._alias_at
            assert at is not None
            raise Refused(self._at(at, "yaml.aliases", f"aliases (*name) expand this file past {budget:,}"
                                   " values; write the values out, or alias less"))

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, object]:
        out: dict[str, object] = {}
        for knode, vnode in node.value:
            key = self._key(knode)
            if key is None:
                continue
            kmark = knode.start_mark
            if key in out:
                first = self.key_locs.get(path + (key,), (0, 0))
                self.report(self._at(kmark, "yaml.duplicate-key",
                                              f'duplicate key "{key}" (first defined at line {first[0]})'))
                continue
            self.key_locs[path + (key,)] = (kmark.line + 1, kmark.column + 1)
            out[key] = self.build(vnode, path + (key,), kmark)
        return out

    def _key(self, knode: yaml.Node) -> str | None:
        """The key as a string; None (with a problem) when it cannot be one."""
        if knode.tag == _STR and isinstance(knode, yaml.ScalarNode):
            return str(knode.value)
        if knode.tag == _MERGE:
            self.report(self._at(knode.start_mark, "yaml.merge-key",
                                          "YAML merge keys (<<) are not supported; write the fields out"))
            return None
        kind = _KEY_KINDS.get(knode.tag)
        if kind is None or not isinstance(knode, yaml.ScalarNode):
            self.report(self._at(knode.start_mark, "yaml.key", "mapping keys must be plain strings"))
            return None
        written = shown(str(knode.value))
        self.report(self._at(knode.start_mark, "yaml.key-type",
                                      f'key {written} is not a string: YAML 1.1 reads it as {kind};'
                                      f' quote it ("{written}") to use it as a key'))
        return str(knode.value)

    def _scalar(self, node: yaml.ScalarNode) -> object:
        tag = node.tag
        if tag == _STR or tag == _TIMESTAMP:
            return node.value  # dates stay strings: nothing in a spec is a date
        if tag == _INT:
            return self._int(node)
        if tag == _FLOAT:
            return self._float(node)
        plain = _PLAIN.get(tag)
        if plain is not None:
            return plain(node)
        return self._ctor.construct_object(node, deep=True)  # binary, custom tags: errors

    def _int(self, node: yaml.ScalarNode) -> int | str:
        text = str(node.value)
        value = None
        if len(text.replace("_", "")) <= _INT_TEXT_MAX:
            value = _CTOR.construct_yaml_int(node)
        if value is None or not INT_MIN <= value <= INT_MAX:
            self.report(self._at(node.start_mark, "yaml.int-range",
                                          f"integer {shown(text)} is out of range: wlc reads 64-bit integers"
                                          " (-2^63 to 2^63-1); quote it if it is text"))
            return text
        return value

    def _float(self, node: yaml.ScalarNode) -> float | str:
        text = str(node.value)
        if text.count(":") <= _SEXAGESIMAL_MAX:
            try:
                return _CTOR.construct_yaml_float(node)
            except OverflowError:
                pass
        self.report(self._at(node.start_mark, "yaml.number-range",
                             f"number {shown(text)} is out of range; quote it if it is text"))
        return text

    def report(self, problem: Problem) -> None:
        """Keep at most MAX_PROBLEMS of a file: a flood of them would cost more memory than the file."""
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
        else:
            self.dropped += 1

    def finish(self) -> list[Problem]:
        """The file's problems, the last one counting those left out."""
        if self.dropped:
            last = self.problems[-1]
            self.problems.append(Problem(self.file, last.line, last.col, "yaml.more-problems",
                                         f"{self.dropped:,} more problems in this file are not shown"))
            self.dropped = 0
        return self.problems

    def _at(self, mark: yaml.Mark, code: str, message: str) -> Problem:
        return Problem(self.file, mark.line + 1, mark.column + 1, code, message)
