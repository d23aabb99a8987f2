"""The page's rendering (compiler/cluster/view/web.py) without a browser: query parsing, the
displayed rows and columns, the CSV of exactly those, the details pane, no network asset."""
from __future__ import annotations

import csv
import io

from compiler.cluster.fetch import Workload
from compiler.cluster.view import web
from tests.test_status_recorded import recorded

CASES = ("job-pending-gpus", "deployment-running", "statefulset-stopped")


def data() -> list[Workload]:
    return [recorded(c) for c in CASES]


def test_query_keeps_known_columns_only() -> None:
    q = web.Query.parse("q=big&status=Pending&col=workload&col=nope&col=gpu-request&sort=bogus")
    assert (q.search, q.status, q.columns, q.sort) == ("big", "Pending", ("workload", "gpu-request"), "workload")


def test_csv_is_the_displayed_rows_and_columns() -> None:
    q = web.Query.parse("status=Running&col=workload&col=pods")
    assert list(csv.reader(io.StringIO(web.csv_text(data(), {}, q)))) == [["WORKLOAD", "RUNNING/REQUESTED PODS"],
                                                                          ["chat-grpc", "2/2"]]
    page = web.render_page(data(), {}, q)
    assert "chat-grpc" in page and "big-train</a>" not in page and "GPU REQUEST</th>" not in page


def test_details_pane_and_no_network_asset() -> None:
    page = web.render_page(data(), {}, web.Query.parse("w=view14-rec/big-train"))
    assert 'id="details"' in page and "Insufficient nvidia.com/gpu" in page
    assert "wlc stop big-train --project recsys --commit" in page
    assert "http://" not in page and "https://" not in page
