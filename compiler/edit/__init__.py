"""Edits of workload files that keep everything else byte for byte (``wlc new``, ``stop``,
``activate``, ``copy``, ``delete``).

Pure functions: document text in, text out; the CLI reads and writes the files. An edit finds
the positions of the values it changes with YAML's own parser and splices only those characters,
so comments, key order, quoting, indentation, flow style, CRLF line ends and document separators
stay exactly as they were everywhere else.

- ``documents``: a file's documents, their spans, and the workload of a given name in it.
- ``active``: ``spec.active`` set or inserted (``stop``, ``activate``).
- ``copy``: one document removed (``delete``) or copied under a new name (``copy``).
- ``flags``: the table of Run:ai CLI v2 flags → wlc fields (``wlc new``); ``parse`` and ``items``
  read their values.
- ``new``: a new workload document from the table's values or a Run:ai document.
"""
from __future__ import annotations

from .documents import EditError

__all__ = ["EditError"]
