"""The workloads table and details (compiler/cluster/view/) on the recorded objects."""
from __future__ import annotations

import csv
import io
import json

from compiler.cluster.fetch import Workload
from compiler.cluster.view import details, table
from tests.test_status_recorded import recorded

CASES = ("job-pending-gpus", "deployment-running", "statefulset-stopped", "job-completed")
POOLS = {"gpu-a100-0": "a100", "gpu-a100-1": "a100", "gpu-h100-0": "h100"}


def workloads() -> list[Workload]:
    return [recorded(c) for c in CASES]


def rows() -> list[table.Row]:
    return [table.row(w, POOLS) for w in workloads()]


def test_csv_has_the_chosen_columns_of_the_selected_rows() -> None:
    text = table.render(table.select(rows(), status="pending"), ["workload", "gpu-request", "message"], "csv")
    got = list(csv.reader(io.StringIO(text)))
    assert got[0] == ["WORKLOAD", "GPU REQUEST", "MESSAGE"]
    assert got[1][:2] == ["big-train", "16"] and "Insufficient nvidia.com/gpu" in got[1][2]
    assert len(got) == 2


def test_search_type_and_sort() -> None:
    assert [r.values["workload"] for r in table.select(rows(), search="chat")] == ["chat-grpc"]
    assert {r.values["type"] for r in table.select(rows(), type_="traininGworkload")} == {"TrainingWorkload"}
    ordered = [r.values["gpu-request"] for r in table.sort(rows(), "gpu-request")]
    assert ordered == sorted(ordered, key=float)


def test_node_pools_come_from_the_nodes_the_pods_run_on() -> None:
    row = table.row(recorded("deployment-running"), POOLS)
    assert row.values["node-pools"] and set(row.values["node-pools"].split(", ")) <= {"a100", "h100"}
    assert table.row(recorded("job-pending-gpus"), POOLS).values["node-pools"] == ""


def test_json_and_table() -> None:
    data = json.loads(table.render(rows(), list(table.DEFAULT), "json"))
    assert [d["status"] for d in data] == ["Pending", "Running", "Stopped", "Completed"]
    lines = table.render(rows(), list(table.DEFAULT), "table").splitlines()
    assert lines[0].startswith("WORKLOAD") and len(lines) == 5


def test_describe_lists_pods_and_filters_events() -> None:
    w = recorded("job-pending-gpus")
    events = [{"type": "Warning", "reason": "FailedScheduling", "message": "Insufficient nvidia.com/gpu",
               "involvedObject": {"kind": "Pod", "name": "x"}, "lastTimestamp": "2026-12-01T20:45:23Z"},
              {"type": "Normal", "reason": "SuccessfulCreate", "message": "Created pod: x",
               "involvedObject": {"kind": "Job", "name": "big-train"}, "lastTimestamp": "2026-12-01T20:45:22Z"}]
    text = details.describe(w, POOLS, events, "failed")
    assert "Pending (Unschedulable)" in text and "16 requested / 0 allocated" in text
    assert "FailedScheduling" in text and "SuccessfulCreate" not in text
