"""A workload's CPU and memory from ``metrics.k8s.io`` (metrics-server's PodMetrics), when the
cluster serves it (docs/view.md). One LIST of the namespace's PodMetrics, kept to the workload's
pods. When the API is not served the answer says so; nothing is guessed."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from ... import quantity
from .. import errors
from ..fetch import Obj, Workload
from ..kube import Kube
from .table import text_table

GROUP, VERSION, KIND = "metrics.k8s.io", "v1beta1", "PodMetrics"
NOT_SERVED = "metrics unavailable: metrics.k8s.io not served (install metrics-server)"


@dataclass(frozen=True)
class ContainerUsage:
    pod: str
    container: str
    cpu_cores: float
    memory_bytes: float


@dataclass(frozen=True)
class Usage:
    """What metrics.k8s.io says about a workload's pods; ``unavailable`` says why there is nothing."""

    containers: tuple[ContainerUsage, ...] = ()
    window: str = ""
    unavailable: str = ""
    missing_pods: tuple[str, ...] = field(default=())

    @property
    def cpu_cores(self) -> float:
        return sum((c.cpu_cores for c in self.containers), 0.0)

    @property
    def memory_bytes(self) -> float:
        return sum((c.memory_bytes for c in self.containers), 0.0)


def _number(value: object) -> float:
    parsed = quantity.parse(value)
    return float(parsed) if isinstance(parsed, Decimal) else 0.0


def usage_of(w: Workload, items: list[Obj]) -> Usage:
    """The workload's containers among a namespace's PodMetrics items (pure)."""
    pods = {str(p["metadata"]["name"]) for p in w.pods if (p.get("status") or {}).get("phase") == "Running"}
    found, window, seen = [], "", set()
    for item in sorted(items, key=lambda i: str(i["metadata"]["name"])):
        name = str(item["metadata"]["name"])
        if name not in pods:
            continue
        seen.add(name)
        window = window or str(item.get("window") or "")
        for c in item.get("containers") or []:
            use = c.get("usage") or {}
            found.append(ContainerUsage(name, str(c.get("name")), _number(use.get("cpu")), _number(use.get("memory"))))
    return Usage(tuple(found), window, "", tuple(sorted(pods - seen)))


def read(kube: Kube, w: Workload) -> Usage:
    """PodMetrics of the workload's namespace (one LIST), or why there are none."""
    try:
        res = kube.resource(GROUP, VERSION, KIND)
    except errors.MissingKind:
        return Usage(unavailable=NOT_SERVED)
    try:
        items = kube.list(res, w.namespace, "")
    except errors.ClusterError as err:
        return Usage(unavailable=f"metrics unavailable: {err}")
    return usage_of(w, items)


def cores(value: float) -> str:
    return f"{value * 1000:.0f}m" if value < 1 else f"{value:.2f}"


def mebibytes(value: float) -> str:
    return f"{value / 2**20:.0f}Mi"


_GO_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s)?")


def seconds_text(window: str) -> str:
    """A Go duration as metrics-server writes its window (``14.989s``, ``1m0.5s``) in whole
    seconds (``15 s``); anything else as it came."""
    m = _GO_DURATION.fullmatch(window)
    if not window or m is None:
        return window
    h, mins, secs = m.groups()
    return f"{round(int(h or 0) * 3600 + int(mins or 0) * 60 + float(secs or 0))} s"


def summary(u: Usage) -> str:
    if u.unavailable:
        return u.unavailable
    if not u.containers:
        return "no running pod has metrics yet" + (f" ({', '.join(u.missing_pods)})" if u.missing_pods else "")
    window = f" over {seconds_text(u.window)}" if u.window else ""
    return f"CPU {cores(u.cpu_cores)} cores, memory {mebibytes(u.memory_bytes)}{window} (metrics.k8s.io)"


def lines(u: Usage) -> list[str]:
    """``wlc describe``'s Metrics section."""
    out = [f"Metrics:       {summary(u)}"]
    if u.containers:
        table = text_table(["POD", "CONTAINER", "CPU", "MEMORY"],
                           [[c.pod, c.container, cores(c.cpu_cores), mebibytes(c.memory_bytes)] for c in u.containers])
        out += ["  " + line for line in table.rstrip("\n").split("\n")]
    return out
