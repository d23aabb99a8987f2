"""Where the files wlc ships with live: one lookup that works from a checkout and a wheel.

The wheel puts the repository's ``schemas/`` folder (the input JSON Schemas and, under
``crds/``, the custom-resource schemas) at ``compiler/schemas/`` (pyproject.toml, hatch
``force-include``); a checkout, or an editable install of one, has it beside the package.
"""
from __future__ import annotations

from pathlib import Path

from compiler.problems import WlcError

PACKAGE = Path(__file__).resolve().parent
#: where packaged resources are looked for, in order: the installed wheel's layout, the checkout's
ROOTS = (PACKAGE, PACKAGE.parent)


def resource(*parts: str) -> Path:
    """The packaged file or folder ``parts`` (``resource("schemas", "crds")``), wherever wlc runs from."""
    for root in ROOTS:
        candidate = root.joinpath(*parts)
        if candidate.exists():
            return candidate
    looked = " and ".join(str(root.joinpath(*parts)) for root in ROOTS)
    raise WlcError(f"wlc's packaged resource {'/'.join(parts)} is missing (looked in {looked})")
