"""The workloads view (issue 14): rows of Run:ai's Workloads table and a workload's details,
built from fetched objects (compiler/cluster/fetch.py, status.py); no I/O of its own."""
from __future__ import annotations
