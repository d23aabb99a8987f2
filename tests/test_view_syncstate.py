"""The sync state of a workload (compiler/cluster/view/syncstate.py) from the status annotations
the agent writes (compiler/cluster/syncstatus.py) and against a bundle: each state and why."""
from __future__ import annotations

from typing import Any

from compiler.cluster import syncstatus
from compiler.cluster.fetch import Workload
from compiler.cluster.source import Bundle, DesiredObject, DesiredWorkload
from compiler.cluster.view import syncstate, table

REV = "0123456789abcdef0123456789abcdef01234567"


def parent(**notes: str) -> dict[str, Any]:
    return {"kind": "ConfigMap", "apiVersion": "v1",
            "metadata": {"name": "w-applyset", "namespace": "ns", "labels": {"applyset.kubernetes.io/id": "x"},
                         "annotations": {"wlc.dev/spec-hash": "aaaa", **notes}}}


def job() -> dict[str, Any]:
    return {"kind": "Job", "apiVersion": "batch/v1", "metadata": {"name": "w", "namespace": "ns"},
            "spec": {"template": {"spec": {"containers": []}}}}


def workload(*objects: dict[str, Any]) -> Workload:
    return Workload("w", "ns", "p", "TrainingWorkload", list(objects))


def synced(**extra: str) -> dict[str, Any]:
    return parent(**{syncstatus.RESULT: "synced", syncstatus.REVISION: REV, syncstatus.SPEC_HASH: "aaaa",
                     syncstatus.MESSAGE: "2 object(s) in sync", **extra})


def desired(name: str = "w", spec_hash: str = "aaaa", members: tuple[str, ...] = ("Job",)) -> DesiredWorkload:
    def obj(kind: str, oname: str) -> DesiredObject:
        return DesiredObject("", "v1", kind, "ns", oname, {})
    return DesiredWorkload(name, "ns", "p", "TrainingWorkload", "src.yaml", spec_hash, True, "x",
                           obj("ConfigMap", f"{name}-applyset"), tuple(obj(k, name) for k in members))


def test_a_recorded_successful_sync_is_synced_at_its_revision() -> None:
    state = syncstate.from_records(workload(synced(), job()))
    assert (state.state, state.revision) == ("Synced", REV)


def test_refused_build_failed_and_conflict_are_refused_and_keep_the_revision() -> None:
    for result in ("refused", "build-failed", "conflict"):
        state = syncstate.from_records(workload(synced(**{syncstatus.RESULT: result}), job()))
        assert (state.state, state.revision) == ("Refused", REV) and state.message.startswith(result)


def test_a_failed_sync_or_a_parent_applied_by_hand_is_out_of_sync() -> None:
    assert syncstate.from_records(workload(synced(**{syncstatus.RESULT: "failed"}))).state == "OutOfSync"
    by_hand = syncstate.from_records(workload(synced(**{"wlc.dev/spec-hash": "bbbb"})))
    assert by_hand.state == "OutOfSync" and "bbbb" in by_hand.message


def test_no_record_or_no_parent_is_unknown() -> None:
    assert syncstate.from_records(workload(parent(), job())).state == "Unknown"
    assert syncstate.from_records(workload(job())).state == "Unknown"


def test_against_a_bundle_missing_changed_extra_and_equal() -> None:
    w = workload(synced(), job())
    bundle = Bundle("base", (desired(), desired("new")), revision="")
    every, states = syncstate.compare([w], bundle)
    assert [x.name for x in every] == ["new", "w"]
    assert states[("ns", "new")].state == "Missing" and states[("ns", "w")].state == "Synced"
    assert syncstate.against(w, desired(spec_hash="cccc")).state == "OutOfSync"
    assert "missing in the cluster: Service/w" in syncstate.against(w, desired(members=("Job", "Service"))).message
    assert "not in the bundle" in syncstate.against(w, None).message
    refused = workload(synced(**{syncstatus.RESULT: "refused"}), job())
    assert syncstate.against(refused, desired()).state == "Refused"
    assert syncstate.against(workload(parent(), job()), desired()).state == "Synced"  # equal, no record


def test_compare_narrows_the_bundle_like_the_lists() -> None:
    bundle = Bundle("base", (desired("new"),))
    assert syncstate.compare([], bundle, namespaces=("other",))[0] == []
    assert syncstate.compare([], bundle, project="q")[0] == []


def test_the_table_shows_sync_and_a_short_revision_and_filters_on_it() -> None:
    rows = [table.row(workload(synced(), job()), {}),
            table.row(Workload("new", "ns", "p", "TrainingWorkload"), {}, syncstate.SyncState("Missing"))]
    assert (rows[0].values["sync"], rows[0].values["revision"]) == ("Synced", REV[:12])
    assert rows[1].values["status"] == "" and rows[1].values["sync"] == "Missing"
    assert [r.values["workload"] for r in table.select(rows, sync="missing")] == ["new"]
    assert "sync" in table.DEFAULT and "revision" in table.WIDE
