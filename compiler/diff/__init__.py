"""``wlc diff``: what a change does to the cluster, from two builds of a repository.

``compare`` (compiler/diff/compare.py) takes the base and head builds of one overlay (each a
``snapshot`` of a ``pipeline.Result``: bundles, final specs, GPU totals) and returns an
``OverlayDiff``; ``cluster`` says what each change means there (jobs recreated, PVCs deleted,
GPUs per project and node pool); ``render`` prints a ``Diff`` as text, markdown (a
pull-request comment, bounded in size) or JSON. ``builds`` runs both builds of an overlay
through the pipeline, computing each workload whose inputs did not change once
(compiler/buildcache.py). Nothing here reads git: compiler/gitrev.py checks revisions out,
compiler/cli/diff.py wires them together.
"""
from __future__ import annotations

from .compare import compare
from .model import Diff, Effect, GpuRow, ObjectChange, OverlayDiff, Reason, Side, WorkloadChange
from .render import FORMATS, render
from .snapshot import Build, SpecView, snapshot

__all__ = ["FORMATS", "Build", "Diff", "Effect", "GpuRow", "ObjectChange", "OverlayDiff", "Reason", "Side",
           "SpecView", "WorkloadChange", "compare", "render", "snapshot"]
