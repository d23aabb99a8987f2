"""The Python YAML readers every emitted text must satisfy: PyYAML (YAML 1.1) with libyaml and
in pure Python, ruamel.yaml (YAML 1.2) in pure Python and with its C parser. Each takes a text
and returns the list of its documents."""
from __future__ import annotations

import io
import math
import os
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from ruamel.yaml import YAML
from ruamel.yaml.main import CParser  # type: ignore[attr-defined]

Reader = Callable[[str], list[Any]]


def _pyyaml(loader: Any) -> Reader:
    return lambda text: list(yaml.load_all(text, Loader=loader))


def _ruamel(pure: bool) -> Reader:
    def load(text: str) -> list[Any]:
        if not pure and CParser is None:
            reason = "ruamel.yaml has no C parser (pip install -e '.[test]' installs ruamel.yaml.clib)"
            if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
                pytest.fail(f"CI=true and {reason}", pytrace=False)
            pytest.skip(reason)
        return list(YAML(typ="safe", pure=pure).load_all(io.StringIO(text)))
    return load


READERS: dict[str, Reader] = {
    "pyyaml-c": _pyyaml(yaml.CSafeLoader), "pyyaml": _pyyaml(yaml.SafeLoader),
    "ruamel-pure": _ruamel(True), "ruamel-c": _ruamel(False),
}


def same(a: Any, b: Any) -> bool:
    """Equal with the same types all the way down (1 is not 1.0 nor True); NaN equals NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)
