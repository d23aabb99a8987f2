"""A workload's GPU utilization and GPU memory from Prometheus: the series NVIDIA's DCGM exporter
serves per GPU (``DCGM_FI_DEV_GPU_UTIL`` in percent, ``DCGM_FI_DEV_FB_USED`` / ``_FB_FREE`` in
MiB), labelled with the ``namespace``, ``pod`` and ``container`` holding the GPU (``exported_*``
when Prometheus scraped without ``honor_labels``). One instant query (``/api/v1/query``) per
workload, over its Running pods (docs/view.md).

The label values go into the query as PromQL string literals (every quote, backslash and control
character escaped) and the pod names as an RE2 alternation of escaped literals, so no pod or
namespace name can change the query; the answer is filtered by the same names again."""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..fetch import Workload
from .table import text_table

ENV_VAR = "WLC_PROMETHEUS"
UTIL, FB_USED, FB_FREE = "DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_FREE"
NO_URL = f"GPU metrics: no --prometheus given (nor ${ENV_VAR}): GPU utilization and memory not read"
SOURCE = "Prometheus, DCGM exporter"
TIMEOUT = 10.0
#: (namespace label, pod label): the exporter's own, and Prometheus's names for them when it kept its own
LABELS = (("namespace", "pod", "container"), ("exported_namespace", "exported_pod", "exported_container"))


def string_literal(value: str) -> str:
    """``value`` as a double-quoted PromQL string that means exactly ``value``."""
    out = []
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _re2_literal(value: str) -> str:
    """``value`` as an RE2 pattern matching only itself."""
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch == "_") else
                   "\\" + ch if ch.isascii() and ch.isprintable() and ch != " " else
                   f"\\x{{{ord(ch):x}}}" for ch in value)


def query(namespace: str, pods: Iterable[str]) -> str:
    """The instant query of the three series for those pods of the namespace (pods not empty)."""
    names = "|".join(sorted(_re2_literal(p) for p in pods))
    metric = string_literal(f"{UTIL}|{FB_USED}|{FB_FREE}")
    return " or ".join(f"{{__name__=~{metric},{ns}={string_literal(namespace)},{pod}=~{string_literal(names)}}}"
                       for ns, pod, _c in LABELS)


@dataclass(frozen=True)
class Gpu:
    pod: str
    container: str
    gpu: str  # the exporter's gpu index on its node
    node: str
    model: str
    uuid: str = ""
    util: float | None = None
    used_mib: float | None = None
    free_mib: float | None = None


@dataclass(frozen=True)
class GpuUsage:
    gpus: tuple[Gpu, ...] = ()
    unavailable: str = ""
    missing_pods: tuple[str, ...] = ()

    @property
    def util(self) -> float | None:
        values = [g.util for g in self.gpus if g.util is not None]
        return sum(values) / len(values) if values else None

    @property
    def used_mib(self) -> float:
        return sum(g.used_mib or 0.0 for g in self.gpus)

    @property
    def total_mib(self) -> float:
        return sum((g.used_mib or 0.0) + (g.free_mib or 0.0) for g in self.gpus)


def _labels_of(metric: dict[str, str]) -> tuple[str, str, str]:
    for ns, pod, container in LABELS:
        if metric.get(pod):
            return metric.get(ns, ""), metric[pod], metric.get(container, "")
    return "", "", ""


def parse(answer: object, namespace: str, pods: Sequence[str]) -> GpuUsage:
    """The GPUs of those pods in a ``/api/v1/query`` answer (pure; other series are ignored)."""
    if not isinstance(answer, dict) or answer.get("status") != "success":
        error = answer.get("error") if isinstance(answer, dict) else None
        return GpuUsage(unavailable=f"GPU metrics unavailable: Prometheus answered {error or repr(answer)[:200]}")
    found: dict[tuple[str, str, str, str, str], dict[str, object]] = {}
    for item in (answer.get("data") or {}).get("result") or []:
        metric = {str(k): str(v) for k, v in (item.get("metric") or {}).items()}
        ns, pod, container = _labels_of(metric)
        if ns != namespace or pod not in pods:
            continue
        key = (pod, container, metric.get("gpu", ""), metric.get("Hostname", ""), metric.get("UUID", ""))
        entry = found.setdefault(key, {"model": metric.get("modelName", "")})
        try:
            entry[metric.get("__name__", "")] = float(item["value"][1])
        except (KeyError, IndexError, TypeError, ValueError):
            continue
    gpus = tuple(Gpu(pod, container, gpu, node, str(e["model"]), uuid, _num(e, UTIL), _num(e, FB_USED),
                     _num(e, FB_FREE)) for (pod, container, gpu, node, uuid), e in sorted(found.items()))
    return GpuUsage(gpus, "", tuple(sorted(set(pods) - {g.pod for g in gpus})))


def _num(entry: dict[str, object], name: str) -> float | None:
    value = entry.get(name)
    return value if isinstance(value, float) else None


def running_pods(w: Workload) -> list[str]:
    return sorted(str(p["metadata"]["name"]) for p in w.pods if (p.get("status") or {}).get("phase") == "Running")


def is_http_url(url: str) -> bool:
    """Whether ``url`` can be a Prometheus to query (http or https)."""
    return urllib.parse.urlparse(url).scheme in ("http", "https")


def _post(url: str, promql: str, timeout: float) -> tuple[object, str]:
    """(the answer, "") or (None, why): one POST to ``url``/api/v1/query."""
    endpoint = url.rstrip("/") + "/api/v1/query"
    if not is_http_url(url):
        return None, f"GPU metrics unavailable: --prometheus {url!r} is not an http(s) URL"
    body = urllib.parse.urlencode({"query": promql}).encode()
    request = urllib.request.Request(endpoint, data=body, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.load(response), ""
    except urllib.error.HTTPError as err:
        return None, f"GPU metrics unavailable: Prometheus at {url} answered {err.code}: {_error(err)}"
    except (urllib.error.URLError, OSError, ValueError) as err:
        return None, f"GPU metrics unavailable: Prometheus at {url} did not answer ({getattr(err, 'reason', err)})"


def read(url: str, w: Workload, timeout: float = TIMEOUT) -> GpuUsage:
    """One query for the workload's running pods; a Prometheus that is down or refuses says so."""
    pods = running_pods(w)
    if not pods:
        return GpuUsage(unavailable="GPU metrics: no running pod")
    answer, why = _post(url, query(w.namespace, pods), timeout)
    return GpuUsage(unavailable=why) if why else parse(answer, w.namespace, pods)


def utilization_query(namespaces: Iterable[str]) -> str:
    """Every GPU's utilization series held by a pod of those namespaces (``wlc get``'s column)."""
    names = string_literal("|".join(sorted(_re2_literal(n) for n in namespaces)))
    return " or ".join(f'{{__name__="{UTIL}",{ns}=~{names},{pod}!=""}}' for ns, pod, _c in LABELS)


def utilization_of(url: str, workloads: Sequence[Workload],
                   timeout: float = TIMEOUT) -> tuple[dict[tuple[str, str], str], str]:
    """(namespace, name) -> the average GPU utilization of its running pods ("71%"), in one query;
    workloads without series are left out. The second value says why nothing was read."""
    running = {(w.namespace, w.name): running_pods(w) for w in workloads}
    namespaces = {ns for (ns, _n), pods in running.items() if pods}
    if not namespaces:
        return {}, ""
    answer, why = _post(url, utilization_query(namespaces), timeout)
    if why:
        return {}, why
    out = {}
    for key, pods in running.items():
        usage = parse(answer, key[0], pods) if pods else GpuUsage()
        if usage.unavailable:
            return {}, usage.unavailable
        if usage.util is not None:
            out[key] = percent(usage.util)
    return out, ""


def _error(err: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(err.read()).get("error") or err.reason)
    except (ValueError, AttributeError, OSError):
        return str(err.reason)


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}%"


def mib(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}Mi"


def _bare(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def summary(u: GpuUsage) -> str:
    if u.unavailable:
        return u.unavailable
    if not u.gpus:
        return ("GPU metrics: Prometheus has no DCGM exporter series for the running pods"
                + (f" ({', '.join(u.missing_pods)})" if u.missing_pods else ""))
    used = f"GPU memory {mib(u.used_mib)} of {mib(u.total_mib)}" if u.total_mib else f"GPU memory {mib(u.used_mib)}"
    return f"GPU utilization {percent(u.util)} (average of {len(u.gpus)} GPU(s)), {used} ({SOURCE})"


def rows(u: GpuUsage) -> list[list[str]]:
    return [[g.pod, g.container, g.gpu, g.node, g.model, percent(g.util),
             f"{_bare(g.used_mib)} / {mib(None if g.used_mib is None or g.free_mib is None else g.used_mib + g.free_mib)}"]
            for g in u.gpus]


HEADERS = ["POD", "CONTAINER", "GPU", "HOST", "MODEL", "UTIL", "MEMORY USED / TOTAL"]


def lines(u: GpuUsage | None) -> list[str]:
    """``wlc describe``'s GPU metrics lines (``None``: no Prometheus URL given)."""
    if u is None:
        return [NO_URL]
    out = [f"GPU metrics:   {summary(u).removeprefix('GPU metrics: ')}"]
    if u.gpus:
        out += ["  " + line for line in text_table(HEADERS, rows(u)).rstrip("\n").split("\n")]
    return out
