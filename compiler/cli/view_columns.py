"""`wlc get`'s columns: the keys ``--columns`` accepts, the default or wide ones (with GPU
UTILIZATION when a Prometheus is given), NAMESPACE when a name repeats, and the utilization read."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # the cluster package is imported only when a command runs
    from ..cluster.fetch import Workload

COLUMN_KEYS = ("workload", "type", "status", "project", "pods", "gpu-request", "gpu-allocation", "created",
               "namespace", "node-pools", "image", "architecture", "message", "sync", "revision", "sync-message",
               "gpu-util")


def check_columns(ctx: click.Context, param: click.Parameter, value: str | None) -> list[str] | None:
    """``--columns a,b``: known column keys, else a usage error (exit 2)."""
    if not value:
        return None
    cols = [c.strip().lower() for c in value.split(",") if c.strip()]
    unknown = [c for c in cols if c not in COLUMN_KEYS]
    if unknown or not cols:
        raise click.BadParameter(f"unknown column {', '.join(unknown) or '(none given)'} "
                                 f"(columns: {', '.join(COLUMN_KEYS)})")
    return cols


def columns_of(chosen: list[str] | None, wide: bool, prometheus: str | None) -> list[str]:
    """The chosen columns, else the default (or wide) ones, with GPU UTILIZATION when a
    Prometheus is given."""
    from ..cluster.view import table
    if chosen:
        return chosen
    cols = list(table.WIDE if wide else table.DEFAULT)
    return [*cols[:cols.index("gpu-allocation") + 1], "gpu-util", *cols[cols.index("gpu-allocation") + 1:]] \
        if prometheus else cols


def with_namespace(cols: list[str], chosen: list[str] | None, workloads: Sequence[Workload]) -> list[str]:
    """A name in several namespaces: the table shows the NAMESPACE column after the name, like
    ``kubectl get -A`` (unless --columns chose the columns)."""
    names = [w.name for w in workloads]
    if chosen or "namespace" in cols or len(set(names)) == len(names):
        return cols
    at = cols.index("workload") + 1 if "workload" in cols else 0
    return [*cols[:at], "namespace", *cols[at:]]


def gpu_util_of(prometheus: str | None, cols: list[str], workloads: Sequence[Workload]) -> dict[tuple[str, str], str]:
    if "gpu-util" not in cols:
        return {}
    from ..cluster.view import gpumetrics  # only for its column: urllib.request and the Prometheus client
    if not prometheus:
        click.echo(f"wlc get: {gpumetrics.NO_URL}", err=True)
        return {}
    util, why = gpumetrics.utilization_of(prometheus, workloads)
    if why:
        click.echo(f"wlc get: {why}", err=True)
    return util
