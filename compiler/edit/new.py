"""A new workload document (``wlc new``): native YAML in the documented key order."""
from __future__ import annotations

import shlex
from collections.abc import Mapping

from ..importer import dump
from ..model import API_VERSION
from ..normalize.order import order_spec
from .flags import TYPES


def document(wtype: str, name: str, spec: Mapping[str, object], words: tuple[str, ...] = (),
             command: bool = False) -> str:
    """The text of a new ``wtype`` workload; ``words`` (after ``--``) are its arguments, or with
    ``command`` its command (Run:ai's ``--command``: they replace the image's entrypoint)."""
    spec = dict(spec)
    if words:
        spec["command" if command else "args"] = shlex.join(words)
    data = {"apiVersion": API_VERSION, "kind": TYPES[wtype], "metadata": {"name": name},
            "spec": order_spec(spec)}
    return dump(data)
