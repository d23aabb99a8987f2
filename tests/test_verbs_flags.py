"""The flag table of ``wlc new`` (compiler/edit/flags.py): every row, for every workload type it
applies to, puts its example value at its field, and the result passes that type's schema; the
help of each type shows every flag a Run:ai user knows."""
from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from compiler.cli import main
from compiler.edit import flags as table
from compiler.edit.documents import EditError
from compiler.edit.new import document
from compiler.load import parse_documents
from compiler.validate import validate_doc

ROWS = [(wtype, flag) for wtype in table.TYPES for flag in table.flags_for(wtype)]
IDS = [f"{wtype}{flag.long}" for wtype, flag in ROWS]

#: the flags issue 13 names (Run:ai CLI v2), each of which must be in the table
ISSUE_FLAGS = ("--image", "--gpu-devices-request", "--gpu-portion-request", "--gpu-memory-request", "--mig-profile",
               "--cpu-core-request", "--cpu-memory-request", "--environment", "--existing-pvc", "--new-pvc",
               "--git-sync", "--host-path", "--nfs", "--port", "--external-url", "--node-pools", "--node-type",
               "--toleration", "--preemptible", "--large-shm", "--working-dir", "--template", "--environment-asset",
               "--compute", "--data-source", "--workers", "--framework", "--backoff-limit",
               "--auto-deletion-time-after-completion")


def _given(flag: table.Flag) -> dict[str, Any]:
    if flag.mode == "switch":
        return {flag.dest: True}
    return {flag.dest: (flag.example,) if flag.mode == "append" else flag.example}


def _required(wtype: str) -> dict[str, Any]:
    """The values of the type's required flags (distributed: --framework)."""
    return {k: v for f in table.flags_for(wtype) if f.required for k, v in _given(f).items()}


def _at(spec: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        spec = spec[key]
    return spec


def _expected(flag: table.Flag) -> Any:
    if flag.mode == "switch":
        return flag.const
    assert flag.parse is not None
    value = flag.parse(flag.example)
    return [value] if flag.mode == "append" else value


@pytest.mark.parametrize(("wtype", "flag"), ROWS, ids=IDS)
def test_every_flag_sets_its_field(wtype: str, flag: table.Flag) -> None:
    spec, sources = table.spec_from(wtype, _given(flag))
    assert _at(spec, flag.path) == _expected(flag) or _named(_at(spec, flag.path)) == _expected(flag)
    assert sources == {field: flag.long for field in [flag.field] + [f"spec.{path}" for path, _ in flag.sets]}
    for path, value in flag.sets:
        assert _at(spec, tuple(path.split("."))) == value


def _named(items: Any) -> Any:
    """A list of items without the names ``spec_from`` gave them."""
    return [{k: v for k, v in item.items() if k != "name"} for item in items]


@pytest.mark.parametrize(("wtype", "flag"), ROWS, ids=IDS)
def test_every_flag_makes_a_document_its_type_schema_accepts(wtype: str, flag: table.Flag) -> None:
    spec, _ = table.spec_from(wtype, _required(wtype) | _given(flag))
    docs, problems = parse_documents(document(wtype, "w", spec), "new.yaml")
    assert problems == [] and len(docs) == 1
    assert validate_doc(docs[0]) == []


@pytest.mark.parametrize("wtype", table.TYPES)
def test_help_of_each_type_lists_every_flag_and_its_field(wtype: str) -> None:
    result = CliRunner().invoke(main, ["new", wtype, "--help"], terminal_width=200)
    assert result.exit_code == 0
    flat = " ".join(result.stdout.split())
    for flag in table.flags_for(wtype):
        assert ", ".join(flag.names) in flat and f"[{flag.field}]" in flat


@pytest.mark.parametrize("name", ISSUE_FLAGS)
def test_every_flag_the_issue_names_is_in_the_table(name: str) -> None:
    assert any(name in flag.names for flag in table.FLAGS)


def test_a_flag_belongs_only_to_the_types_that_have_its_field() -> None:
    assert all("preemptible" != f.path[0] for f in table.flags_for("training"))
    assert [f.field for f in table.FLAGS if f.long == "--min-replicas" and "inference" in f.types] == \
        ["spec.autoscaling.minReplicas"]


def test_compute_asset_and_compute_flags_together_are_refused() -> None:
    with pytest.raises(EditError, match="--compute names a ComputeResource asset"):
        table.spec_from("training", {"compute": "one-gpu", "gpu_devices_request": "2"})


@pytest.mark.parametrize(("dest", "raw", "message"), [
    ("gpu_devices_request", "two", "--gpu-devices-request: 'two' is not a whole number"),
    ("existing_pvc", ("claimname=a,size=1Gi",), "--existing-pvc: unknown key 'size'"),
    ("environment", ("NOVALUE",), "--environment: 'NOVALUE' is not KEY=VALUE"),
    ("auto_deletion_time_after_completion", "soon", "is not a duration"),
])
def test_a_bad_value_names_its_flag(dest: str, raw: Any, message: str) -> None:
    with pytest.raises(EditError, match=message):
        table.spec_from("training", {dest: raw})


def test_repeated_flags_append_items_in_order() -> None:
    spec, _ = table.spec_from("training", {"environment": ("A=1", "B=x=y"), "port": ("8080", "container=9090")})
    assert spec["environmentVariables"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "x=y"}]
    assert spec["ports"] == [{"container": 8080}, {"container": 9090}]


def test_items_without_a_name_get_one_that_is_free() -> None:
    spec, _ = table.spec_from("training", {"host_path": ("path=/a,mount=/b", "name=host-path-1,path=/c,mount=/d"),
                                           "toleration": ("operator=Exists,key=k",)})
    assert [i["name"] for i in spec["storage"]["hostPath"]] == ["host-path-2", "host-path-1"]
    assert spec["tolerations"] == [{"name": "toleration-1", "operator": "Exists", "key": "k"}]


def test_durations_and_numbers_are_converted() -> None:
    spec, _ = table.spec_from("training", {"auto_deletion_time_after_completion": "3h", "cpu_core_request": "2",
                                           "gpu_portion_request": "0.5"})
    assert spec["autoDeletionTimeAfterCompletionSeconds"] == 10800
    assert spec["compute"] == {"cpuCoreRequest": 2, "gpuPortionRequest": 0.5}


def test_docs_verbs_md_flag_table_is_the_table() -> None:
    from pathlib import Path
    page = (Path(__file__).resolve().parent.parent / "docs" / "verbs.md").read_text()
    block = page.split("<!-- flags:begin -->\n", 1)[1].split("<!-- flags:end -->", 1)[0]
    assert block == table.markdown(), "regenerate it: python -c 'from compiler.edit.flags import markdown; ...'"


def test_s3_keys_become_the_items_fields() -> None:
    raw = "name=c,bucket=b,path=/c,url=https://s3,accesskey=keys,accesskeyid-key=id,secretkey-key=secret"
    spec, _ = table.spec_from("training", {"s3": (raw,)})
    assert spec["storage"]["s3"] == [{"name": "c", "bucket": "b", "path": "/c", "url": "https://s3",
                                      "accessKeySecret": "keys", "secretKeyOfAccessKeyId": "id",
                                      "secretKeyOfSecretKey": "secret"}]
    docs, problems = parse_documents(document("training", "w", spec), "new.yaml")
    assert problems == [] and validate_doc(docs[0]) == []
