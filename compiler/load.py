"""Stage 1, load: read every input file into documents that remember positions.

libyaml's C parser composes node trees (which carry line and column); we build plain
Python data from them and a side table path → position. A syntax error or duplicate key is
a problem, never an exception, and one bad file never hides the others.
"""
from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

import yaml

from .model import Doc, Path
from .problems import Problem

try:  # the C loader is much faster and keeps marks just the same
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader

_SCALARS = yaml.constructor.SafeConstructor()
_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAP = "tag:yaml.org,2002:map"
ALWAYS_IGNORED = ("build", ".github")


@dataclass
class _Builder:
    """Turns one composed node tree into data plus positions."""

    file: str
    locs: dict[Path, tuple[int, int]] = field(default_factory=dict)
    key_locs: dict[Path, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def build(self, node: yaml.Node, path: Path) -> Any:
        mark = node.start_mark
        self.locs[path] = (mark.line + 1, mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        return _scalar(node)

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for knode, vnode in node.value:
            if knode.tag == "tag:yaml.org,2002:merge":
                self._problem(knode, "yaml.merge-key", "YAML merge keys (<<) are not supported; write the fields out")
                continue
            key = _scalar(knode) if isinstance(knode, yaml.ScalarNode) else None
            if not isinstance(key, (str, int, float, bool)):
                self._problem(knode, "yaml.key", "mapping keys must be plain strings")
                continue
            skey = str(key) if not isinstance(key, str) else key
            if skey in out:
                first = self.key_locs.get(path + (skey,), (0, 0))
                self._problem(knode, "yaml.duplicate-key",
                              f'duplicate key "{skey}" (first defined at line {first[0]})')
                continue
            self.key_locs[path + (skey,)] = (knode.start_mark.line + 1, knode.start_mark.column + 1)
            out[skey] = self.build(vnode, path + (skey,))
        return out

    def _problem(self, node: yaml.Node, code: str, message: str) -> None:
        m = node.start_mark
        self.problems.append(Problem(self.file, m.line + 1, m.column + 1, code, message))


def _scalar(node: yaml.Node) -> Any:
    if node.tag in (_STR, _TIMESTAMP):
        return node.value  # dates stay strings: nothing in a spec is a date
    return _SCALARS.construct_object(node, deep=True)


def parse_documents(text: str, file: str) -> tuple[list[Doc], list[Problem]]:
    """Every document of one YAML text; a syntax error ends the file but keeps earlier docs."""
    docs: list[Doc] = []
    problems: list[Problem] = []
    try:
        for index, node in enumerate(yaml.compose_all(text, Loader=_Loader)):
            if node is None:
                continue
            b = _Builder(file)
            data = b.build(node, ())
            problems.extend(b.problems)
            if data is None:
                continue
            docs.append(Doc(file, index, data, b.locs, b.key_locs))
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        msg = f"YAML syntax error: {err.problem or err}"
        if err.context:
            msg += f" ({err.context})"
        problems.append(Problem(file, line, col, "yaml.syntax", msg))
    except yaml.YAMLError as err:  # reader errors: bad bytes, control characters
        problems.append(Problem(file, 1, 1, "yaml.syntax", f"YAML error: {err}"))
    return docs, problems


def read_file(root: FsPath, rel: str) -> tuple[list[Doc], list[Problem]]:
    """Parse one repo file; unreadable or non-UTF-8 files are problems."""
    try:
        text = (root / rel).read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        return [], [Problem(rel, 1, 1, "file.encoding", f"not UTF-8 text: {err.reason}")]
    except OSError as err:
        return [], [Problem(rel, 1, 1, "file.read", f"cannot read: {err.strerror}")]
    return parse_documents(text, rel)


def find_yaml_files(root: FsPath, exclude: list[str]) -> list[str]:
    """Repo-relative YAML paths under root, sorted; hidden folders, build/ and .github/ skipped."""
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        reldir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        reldir = "" if reldir == "." else reldir
        dirnames[:] = sorted(d for d in dirnames if _keep_dir(reldir, d, exclude))
        for name in filenames:
            if name.endswith((".yaml", ".yml")) and not name.startswith("."):
                rel = f"{reldir}/{name}" if reldir else name
                if not _excluded(rel, exclude):
                    found.append(rel)
    return sorted(found)


def _keep_dir(reldir: str, name: str, exclude: list[str]) -> bool:
    if name.startswith(".") or (not reldir and name in ALWAYS_IGNORED):
        return False
    rel = f"{reldir}/{name}" if reldir else name
    return not _excluded(rel, exclude) and not _excluded(rel + "/", exclude)


def _excluded(rel: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(rel, p.rstrip("/")) for p in patterns)
