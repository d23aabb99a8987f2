"""GPU utilization and memory from Prometheus's DCGM exporter series (compiler/cluster/view/
gpumetrics.py): the query names each label value as a literal whatever it contains, the answer is
kept to the workload's pods, with the exporter's labels or Prometheus's ``exported_*`` ones, and
what cannot be read says why. The real Prometheus is in tests/integration/test_view_metrics.py."""
from __future__ import annotations

import re
import socket
from typing import Any

from compiler.cluster.fetch import Workload
from compiler.cluster.view import gpumetrics, web


def pod(name: str, phase: str = "Running") -> dict[str, Any]:
    return {"metadata": {"name": name}, "status": {"phase": phase}}


def series(name: str, value: float, **labels: str) -> dict[str, Any]:
    return {"metric": {"__name__": name, "gpu": "0", "UUID": f"GPU-{labels.get('pod', '')}",
                       "Hostname": "node-a", "modelName": "NVIDIA A100", **labels},
            "value": [1796170000.0, f"{value:g}"]}


def answer(*items: dict[str, Any]) -> dict[str, Any]:
    return {"status": "success", "data": {"resultType": "vector", "result": list(items)}}


def test_the_query_selects_the_three_series_of_the_pods_in_both_label_spellings() -> None:
    assert gpumetrics.query("runai-nlp", ["w-1", "w-0"]) == (
        '{__name__=~"DCGM_FI_DEV_GPU_UTIL|DCGM_FI_DEV_FB_USED|DCGM_FI_DEV_FB_FREE",namespace="runai-nlp",'
        'pod=~"w\\\\-0|w\\\\-1"} or '
        '{__name__=~"DCGM_FI_DEV_GPU_UTIL|DCGM_FI_DEV_FB_USED|DCGM_FI_DEV_FB_FREE",exported_namespace="runai-nlp",'
        'exported_pod=~"w\\\\-0|w\\\\-1"}')


def test_string_literals_escape_quotes_backslashes_and_control_characters() -> None:
    assert gpumetrics.string_literal('a"} or vector(1) or {b="') == '"a\\"} or vector(1) or {b=\\""'
    assert gpumetrics.string_literal("back\\slash\nnew\x00") == '"back\\\\slash\\nnew\\x00"'
    assert gpumetrics.string_literal("é") == '"é"'


def _pattern(pods: list[str]) -> str:
    """The pod regex of the query, unquoted the way PromQL reads the literal."""
    literal = gpumetrics.query("ns", pods).split(" or {")[0].split("pod=~", 1)[1].rstrip("}")
    return re.sub(r"\\(.)", r"\1", literal[1:-1])


def test_pod_names_are_regex_literals() -> None:
    pattern = _pattern(["a.b", ".*", "x|y", "(z)"])
    for name in ("a.b", ".*", "x|y", "(z)"):
        assert re.fullmatch(pattern, name), name
    for other in ("axb", "anything", "x", "y", "z", ""):
        assert not re.fullmatch(pattern, other), other


def test_parse_keeps_the_workloads_pods_with_either_label_spelling() -> None:
    got = gpumetrics.parse(answer(
        series(gpumetrics.UTIL, 40, namespace="ns", pod="w-0", container="main"),
        series(gpumetrics.FB_USED, 1000, namespace="ns", pod="w-0", container="main"),
        series(gpumetrics.FB_FREE, 3000, namespace="ns", pod="w-0", container="main"),
        series(gpumetrics.UTIL, 80, exported_namespace="ns", exported_pod="w-1", exported_container="main"),
        series(gpumetrics.UTIL, 99, namespace="other", pod="w-0", container="main"),  # another namespace
        series(gpumetrics.UTIL, 99, namespace="ns", pod="w-9", container="main"),  # not the workload's pod
        series(gpumetrics.UTIL, 99, namespace="", pod="", container=""),  # a GPU no pod holds
    ), "ns", ["w-0", "w-1", "w-2"])
    assert [(g.pod, g.util, g.used_mib, g.free_mib) for g in got.gpus] == [("w-0", 40, 1000, 3000), ("w-1", 80, None, None)]
    assert got.util == 60 and got.used_mib == 1000 and got.total_mib == 4000 and got.missing_pods == ("w-2",)
    assert gpumetrics.summary(got) == ("GPU utilization 60% (average of 2 GPU(s)), GPU memory 1000Mi of 4000Mi "
                                       "(Prometheus, DCGM exporter)")
    text = "\n".join(gpumetrics.lines(got))
    assert text.startswith("GPU metrics:   GPU utilization 60%") and "w-1   main" in text


def test_what_cannot_be_read_says_why() -> None:
    assert gpumetrics.lines(None) == [gpumetrics.NO_URL]
    assert gpumetrics.NO_URL.startswith("GPU metrics: no --prometheus given")
    refused = gpumetrics.parse({"status": "error", "errorType": "bad_data", "error": "parse error"}, "ns", ["w-0"])
    assert refused.unavailable == "GPU metrics unavailable: Prometheus answered parse error"
    assert gpumetrics.summary(gpumetrics.parse(answer(), "ns", ["w-0"])) == (
        "GPU metrics: Prometheus has no DCGM exporter series for the running pods (w-0)")
    w = Workload("w", "ns", pods=[pod("w-0")])
    assert gpumetrics.read("http://127.0.0.1:1", Workload("w", "ns", pods=[pod("w-0", "Pending")])).unavailable == (
        "GPU metrics: no running pod")
    assert "is not an http(s) URL" in gpumetrics.read("localhost:9090", w).unavailable
    with socket.socket() as s:  # a port nothing listens on: bound, never listening
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
        down = gpumetrics.read(url, w, timeout=2)
    assert down.unavailable.startswith(f"GPU metrics unavailable: Prometheus at {url} did not answer ("), down


def test_the_page_shows_the_gpu_summary_and_a_row_per_gpu() -> None:
    w = Workload("w", "ns", pods=[pod("w-0")])
    usage = gpumetrics.parse(answer(series(gpumetrics.UTIL, 42, namespace="ns", pod="w-0", container="main")),
                             "ns", ["w-0"])
    q = web.Query.parse("w=ns/w")
    with_gpus = web.render_page([w], {}, q, gpus=lambda _w: usage)
    assert "GPU utilization 42% (average of 1 GPU(s))" in with_gpus and '<table id="gpus">' in with_gpus
    without = web.render_page([w], {}, q, gpus=lambda _w: None)
    assert gpumetrics.NO_URL in without and '<table id="gpus">' not in without
    assert gpumetrics.NO_URL in web.render_page([w], {}, q)


def test_the_table_query_reads_utilization_of_the_namespaces_only() -> None:
    assert gpumetrics.utilization_query(["b.x", "a"]) == (
        '{__name__="DCGM_FI_DEV_GPU_UTIL",namespace=~"a|b\\\\.x",pod!=""} or '
        '{__name__="DCGM_FI_DEV_GPU_UTIL",exported_namespace=~"a|b\\\\.x",exported_pod!=""}')
    stopped = Workload("w", "ns", pods=[pod("w-0", "Succeeded")])
    assert gpumetrics.utilization_of("http://127.0.0.1:1", [stopped]) == ({}, "")  # nothing running: no request


def test_get_adds_the_gpu_column_with_prometheus_and_the_namespace_when_names_repeat() -> None:
    from compiler.cli.view_columns import columns_of, with_namespace
    cols = columns_of(None, False, "http://prometheus:9090")
    assert cols[cols.index("gpu-allocation") + 1] == "gpu-util" and "gpu-util" not in columns_of(None, False, None)
    assert columns_of(["workload"], False, "http://p") == ["workload"]
    twice = [Workload("a", "ns1"), Workload("a", "ns2"), Workload("b", "ns1")]
    assert with_namespace(["workload", "status"], None, twice) == ["workload", "namespace", "status"]
    assert with_namespace(["workload", "status"], None, twice[1:]) == ["workload", "status"]
    assert with_namespace(["workload", "status"], ["workload", "status"], twice) == ["workload", "status"]
