"""Stage 1, load: read every input file into documents that remember positions.

Only regular files are read, each up to a size limit (compiler.discover); libyaml's C parser
composes node trees (which carry line and column) and compiler.yamltree builds plain Python
data from them, within bounds on aliases, depth and integers, plus a side table path →
position. A syntax error or a crossed bound is a problem, never an exception, and one bad file
never hides the others. docs/trust.md states what is read and the limits.
"""
from __future__ import annotations

from pathlib import Path as FsPath
from typing import Any

import yaml

from .discover import DEFAULT_MAX_FILE_BYTES, discover, find_yaml_files, read_bytes
from .model import Doc
from .problems import Problem
from .yamltree import ALIAS_MIN, MAX_DEPTH, MAX_PROBLEMS, Builder, Refused

__all__ = ["ALIAS_MIN", "DEFAULT_MAX_FILE_BYTES", "MAX_DEPTH", "MAX_PROBLEMS", "MEMORY_PER_BYTE", "discover",
           "find_yaml_files", "parse_bytes", "parse_documents", "read_file"]

try:  # the C loader is much faster and keeps marks just the same
    _Loader: Any = yaml.CSafeLoader
    _BYTE_OFFSETS = True  # libyaml reports reader errors at a UTF-8 byte offset
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader
    _BYTE_OFFSETS = False

#: parsing a file needs at most this many bytes of memory per byte of it (docs/trust.md; tested)
MEMORY_PER_BYTE = 400


def parse_documents(text: str, file: str) -> tuple[list[Doc], list[Problem]]:
    """Every document of one YAML text; a syntax error ends the file but keeps earlier docs."""
    docs: list[Doc] = []
    builder = Builder(file)
    try:
        for index, node in enumerate(yaml.compose_all(text, Loader=_Loader)):
            if node is None:
                continue
            try:
                data = builder.document(node)
            except Refused as refused:
                builder.report(refused.problem)
                continue
            if data is not None:
                docs.append(Doc(file, index, data, builder.locs, builder.key_locs))
    except yaml.MarkedYAMLError as err:
        builder.report(_syntax_problem(err, file))
    except yaml.reader.ReaderError as err:  # a character YAML does not allow
        line, col = _position(text, err.position)
        builder.report(Problem(file, line, col, "yaml.syntax",
                                        f"YAML error: character {_char(err.character)} is not allowed"
                                        f" ({_one_line(str(err.reason))})"))
    except yaml.YAMLError as err:  # pragma: no cover - other errors carry no position
        builder.report(Problem(file, 1, 1, "yaml.syntax", f"YAML error: {_one_line(str(err))}"))
    except RecursionError:  # pragma: no cover - the pure-Python composer without libyaml's limit
        builder.report(Problem(file, 1, 1, "yaml.depth", f"nested deeper than {MAX_DEPTH} levels"))
    return docs, builder.finish()


def _syntax_problem(err: yaml.MarkedYAMLError, file: str) -> Problem:
    mark = err.problem_mark or err.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    msg = f"YAML syntax error: {err.problem or err}"
    if err.context:
        msg += f" ({err.context})"
    return Problem(file, line, col, "yaml.syntax", _one_line(msg))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _char(character: object) -> str:
    code = character if isinstance(character, int) else ord(str(character)[:1] or "?")
    return f"U+{code:04X}"


def _position(text: str, offset: int) -> tuple[int, int]:
    """Line and column (from 1) of a reader error's offset into ``text``."""
    prefix = text.encode("utf-8")[:offset].decode("utf-8", "replace") if _BYTE_OFFSETS else text[:offset]
    start = prefix.rfind("\n") + 1
    return prefix.count("\n") + 1, len(prefix) - start + 1


def read_file(root: FsPath, rel: str, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> tuple[list[Doc], list[Problem]]:
    """Parse one repo file; what is not a regular UTF-8 file within the size limit is a problem."""
    data = read_bytes(root, rel, max_bytes)
    if isinstance(data, Problem):
        return [], [data]
    return parse_bytes(data, rel)


def parse_bytes(data: bytes, rel: str) -> tuple[list[Doc], list[Problem]]:
    """Every document of one file's bytes (``read_file`` after the read): UTF-8 text, else a problem."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        start = data.rfind(b"\n", 0, err.start) + 1
        col = len(data[start:err.start].decode("utf-8", "replace")) + 1
        return [], [Problem(rel, data.count(b"\n", 0, err.start) + 1, col, "file.encoding",
                            f"not UTF-8 text: {err.reason}")]
    return parse_documents(text, rel)
