"""``wlc diff``: what a change does to the cluster, from two builds of a repository.

``compare`` (compiler/diff/compare.py) takes the base and head ``pipeline.Result`` of one
overlay and returns an ``OverlayDiff``; ``cluster`` says what each change means there (jobs
recreated, PVCs deleted, GPUs per project and node pool); ``render`` prints a ``Diff`` as text,
markdown (a pull-request comment, bounded in size) or JSON. Nothing here reads git or files:
compiler/gitrev.py checks revisions out, compiler/cli/diff.py wires them together.
"""
from __future__ import annotations

from .compare import compare
from .model import Diff, Effect, GpuRow, ObjectChange, OverlayDiff, Reason, Side, WorkloadChange
from .render import FORMATS, render

__all__ = ["FORMATS", "Diff", "Effect", "GpuRow", "ObjectChange", "OverlayDiff", "Reason", "Side",
           "WorkloadChange", "compare", "render"]
