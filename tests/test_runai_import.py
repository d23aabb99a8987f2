"""The Run:ai import: Cluster API documents become native wlc documents.

Golden cases: every ``tests/data/runai/<case>.yaml`` has ``<case>.expected.yaml`` (the native
documents, as ``wlc import runai`` prints them) and ``<case>.problems.txt`` (one problem per
line). Regenerate with ``WLC_UPDATE_GOLDEN=1 python -m pytest tests/test_runai_import.py``
and read the diff before committing it.
"""
from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
import yaml

from compiler.importer import convert_file, import_files
from compiler.load import parse_documents
from compiler.model import Doc
from compiler.normalize import allowed_fields, is_runai, normalize
from compiler.problems import Problem, sort_problems

DATA = Path(__file__).parent / "data" / "runai"
CASES = sorted(p.stem for p in DATA.glob("*.yaml") if not p.name.endswith(".expected.yaml"))
UPDATE = os.environ.get("WLC_UPDATE_GOLDEN") == "1"


def _rel(path: Path) -> str:
    return path.relative_to(Path(__file__).parent.parent).as_posix()


def _golden(path: Path, actual: str) -> None:
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"missing golden file {path.name}; run with WLC_UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES)
def test_golden_case_converts_to_expected_native_yaml(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).parent.parent)
    src = _rel(DATA / f"{case}.yaml")
    results, problems = convert_file(src)
    _golden(DATA / f"{case}.expected.yaml", "---\n".join(r.text for r in results))
    lines = "".join(p.text() + "\n" for p in sort_problems(problems))
    _golden(DATA / f"{case}.problems.txt", lines)


def _one(text: str) -> tuple[Doc | None, list[Problem]]:
    docs, problems = parse_documents(text, "w.yaml")
    assert not problems and len(docs) == 1
    return normalize(docs[0])


def _spec(text: str) -> dict[str, object]:
    native, problems = _one(text)
    assert native is not None
    assert [p for p in problems if p.severity == "error"] == []
    return native.data["spec"]  # type: ignore[no-any-return]


HEAD = "apiVersion: run.ai/v2alpha1\nkind: TrainingWorkload\nmetadata: {name: w, namespace: runai-p}\nspec:\n"


def test_is_runai_recognises_both_api_versions_only() -> None:
    for version, expected in (("run.ai/v1alpha1", True), ("run.ai/v2alpha1", True),
                              ("run.ai/v1", False), ("wlc.dev/v1alpha1", False)):
        doc = Doc("f.yaml", 0, {"apiVersion": version, "kind": "TrainingWorkload"}, {})
        assert is_runai(doc) is expected


def test_fraction_gpu_becomes_a_portion_of_one_device() -> None:
    spec = _spec(HEAD + "  gpu: {value: '0.5'}\n")
    assert spec["compute"] == {"gpuDevicesRequest": 1, "gpuRequestType": "portion", "gpuPortionRequest": 0.5}


def test_whole_gpu_string_becomes_a_device_count() -> None:
    assert _spec(HEAD + "  gpu: {value: '2'}\n")["compute"] == {"gpuDevicesRequest": 2}


def test_gpu_above_one_that_is_not_whole_is_a_problem() -> None:
    _, problems = _one(HEAD + "  gpu: {value: '1.5'}\n")
    assert [(p.code, p.line, p.col) for p in problems] == [("runai.bad-value", 5, 16)]


def test_bare_values_without_wrapper_are_accepted() -> None:
    assert _spec(HEAD + "  image: ubuntu\n  cpu: 2\n")["image"] == "ubuntu"


def test_nested_v1alpha1_value_wrappers_are_unwrapped() -> None:
    assert _spec(HEAD + "  image: {value: {value: ubuntu}}\n")["image"] == "ubuntu"


def test_positions_point_into_the_runai_file() -> None:
    native, _ = _one(HEAD + "  image:\n    value: ubuntu\n  gpu: {value: '0.5'}\n")
    assert native is not None
    assert native.locs[("spec", "image")] == (6, 12)
    assert native.locs[("spec", "compute", "gpuPortionRequest")] == (7, 16)
    assert native.key_locs[("spec", "image")] == (5, 3)
    assert native.locs[("spec", "project")] == (3, 32)


def test_item_positions_point_at_label_and_values() -> None:
    native, _ = _one(HEAD + "  environment:\n    items:\n      A:\n        value: x\n")
    assert native is not None
    assert native.locs[("spec", "environmentVariables", 0, "name")] == (7, 7)
    assert native.locs[("spec", "environmentVariables", 0, "value")] == (8, 16)


def test_deleted_item_becomes_an_excluding_item_keyed_by_label() -> None:
    spec = _spec(HEAD + "  labels:\n    items:\n      team: {deleted: true}\n")
    assert spec["labels"] == [{"name": "team", "exclude": True}]


def test_deleted_item_takes_its_key_from_the_value_when_given() -> None:
    spec = _spec(HEAD + "  pvcs:\n    items:\n      pvc--0: {deleted: true, value: {claimName: data}}\n")
    assert spec["storage"] == {"pvc": [{"claimName": "data", "exclude": True}]}


def test_secret_environment_value_is_kept_for_the_lowering() -> None:
    spec = _spec(HEAD + "  environment:\n    items:\n      T: {value: 'SECRET:s,k'}\n")
    assert spec["environmentVariables"] == [{"name": "T", "value": "SECRET:s,k"}]


def test_unknown_field_names_the_field_and_suggests_the_closest() -> None:
    _, problems = _one(HEAD + "  imagePulPolicy: {value: always}\n")
    assert [(p.code, p.message, p.line, p.col) for p in problems] == [
        ("runai.unknown-field", ('unknown Run:ai TrainingWorkload field "imagePulPolicy" '
                                 '(did you mean "imagePullPolicy"?)'), 5, 3)]


def test_field_of_another_kind_is_unknown_here() -> None:
    _, problems = _one(HEAD + "  minScale: {value: 1}\n")
    assert [p.code for p in problems] == ["runai.unknown-field"]


def test_name_prefix_is_refused_because_names_must_be_stable() -> None:
    _, problems = _one(HEAD + "  namePrefix: {value: job}\n")
    assert [p.code for p in problems] == ["runai.name-prefix"]
    assert "stable" in problems[0].message


def test_template_usage_becomes_a_template_without_project() -> None:
    native, problems = _one(HEAD + "  usage: Template\n  image: {value: ubuntu}\n")
    assert native is not None and not problems
    assert native.kind == "Template" and native.data["spec"] == {"image": "ubuntu"}


def test_namespace_that_is_not_runai_prefixed_gives_no_project_and_a_warning() -> None:
    native, problems = _one(HEAD.replace("runai-p", "ml-team") + "  image: {value: x}\n")
    assert native is not None and "project" not in native.data["spec"]
    assert [(p.code, p.severity) for p in problems] == [("runai.namespace", "warning")]


@pytest.mark.parametrize("given,expected", [("5s", 5), ("2m", 120), ("3h", 10800), ("4d", 345600),
                                            ("1h30m", 5400), (600, 600), ("90", 90)])
def test_ttl_after_finish_becomes_seconds(given: object, expected: int) -> None:
    spec = _spec(HEAD + f"  ttlAfterFinish: {{value: {given!r}}}\n".replace("'", '"'))
    assert spec["autoDeletionTimeAfterCompletionSeconds"] == expected


@pytest.mark.parametrize("given,expected", [("always", "Always"), ("ifNotPresent", "IfNotPresent"),
                                            ("never", "Never"), ("Always", "Always")])
def test_image_pull_policy_is_capitalised(given: str, expected: str) -> None:
    assert _spec(HEAD + f"  imagePullPolicy: {{value: {given}}}\n")["imagePullPolicy"] == expected


def test_supplemental_groups_accept_semicolons_and_commas() -> None:
    spec = _spec(HEAD + "  supplementalGroups: {value: '1;2, 3'}\n")
    assert spec["security"] == {"supplementalGroups": [1, 2, 3]}


def test_run_as_user_without_uid_takes_the_identity_from_the_token() -> None:
    assert _spec(HEAD + "  runAsUser: {value: true}\n")["security"] == {"uidGidSource": "fromIdpToken"}


def test_every_allowed_field_has_a_converter() -> None:
    for kind in ("TrainingWorkload", "InteractiveWorkload", "DistributedWorkload", "InferenceWorkload"):
        for name in sorted(allowed_fields(kind)):
            text = (f"apiVersion: run.ai/v2alpha1\nkind: {kind}\nmetadata: {{name: w}}\n"
                    f"spec:\n  {name}: {{value: '1'}}\n")
            docs, _ = parse_documents(text, "w.yaml")
            native, _ = normalize(docs[0])  # must not raise
            assert native is not None


def test_garbage_shapes_never_raise() -> None:
    for spec in ("[]", "3", "{gpu: [1]}", "{pvcs: {items: [1, 2]}}", "{pvcs: {items: {a: 3}}}",
                 "{environment: 5}", "{pyTorchJob: 3}", "{volumes: {items: {a: {value: [1]}}}}"):
        text = f"apiVersion: run.ai/v2alpha1\nkind: DistributedWorkload\nmetadata: {{name: w}}\nspec: {spec}\n"
        docs, _ = parse_documents(text, "w.yaml")
        _, problems = normalize(docs[0])
        assert problems, spec


def test_import_writes_workloads_per_project_and_templates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).parent.parent)
    out = tmp_path / "out"
    problems = import_files([_rel(DATA / "template-global.yaml"), _rel(DATA / "training-v1alpha1.yaml")],
                            str(out))
    assert problems == []
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.yaml"))
    assert written == ["templates/gpu-training-defaults.yaml", "templates/team-ws.yaml",
                       "workloads/team-a/from-template.yaml", "workloads/team-a/job-1.yaml"]
    job = yaml.safe_load((out / "workloads/team-a/job-1.yaml").read_text())
    assert list(job) == ["apiVersion", "kind", "metadata", "spec"]


def test_import_without_out_prints_documents(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).parent.parent)
    stream = io.StringIO()
    assert import_files([_rel(DATA / "training-v1alpha1.yaml")], None, stream) == []
    assert stream.getvalue() == (DATA / "training-v1alpha1.expected.yaml").read_text()


def test_import_of_a_missing_file_is_a_problem(tmp_path: Path) -> None:
    problems = import_files([str(tmp_path / "nope.yaml")], None, io.StringIO())
    assert [p.code for p in problems] == ["file.read"]


def test_import_output_is_deterministic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).parent.parent)
    files = [_rel(DATA / f"{case}.yaml") for case in CASES]
    first, second = io.StringIO(), io.StringIO()
    import_files(files, None, first)
    import_files(list(files), None, second)
    assert first.getvalue() == second.getvalue()


@pytest.mark.parametrize("case", CASES)
def test_golden_output_is_valid_against_the_native_schemas(case: str) -> None:
    from jsonschema import Draft202012Validator

    from compiler import schemas

    for doc in yaml.safe_load_all((DATA / f"{case}.expected.yaml").read_text()):
        if doc is None:
            continue
        validator = Draft202012Validator(schemas.schema_for(doc["kind"]), registry=schemas.registry())
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]
        assert errors == [], doc["metadata"]["name"]


def test_v1_project_policy_that_replaced_a_cluster_policy_is_flagged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).parent.parent)
    problems = import_files([_rel(DATA / "policies-v1.yaml")], None, io.StringIO())
    replaced = [(p.line, p.severity) for p in problems if p.code == "runai.policy-replacement"]
    assert replaced == [(6, "warning"), (40, "warning")]


def test_policy_output_goes_to_a_folder_per_scope_with_the_semantics_note(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).parent.parent)
    results, _ = convert_file(_rel(DATA / "policies-v1.yaml"))  # it has an error: import writes nothing
    written = sorted(r.relpath for r in results)
    assert written == ["policies/cluster/interactive-policy.yaml", "policies/cluster/training-policy.yaml",
                       "policies/research/old-style.yaml", "policies/team-a/interactive-policy1.yaml",
                       "policies/team-a/train-policy1.yaml"]
    text = next(r.text for r in results if r.relpath == "policies/team-a/train-policy1.yaml")
    assert text.startswith("# Imported from a Run:ai v1 TrainingPolicy.") and "REPLACES" in text


def test_policy_in_a_namespace_that_names_no_scope_is_not_converted() -> None:
    docs, _ = parse_documents("apiVersion: run.ai/v2alpha1\nkind: TrainingPolicy\n"
                              "metadata: {name: p, namespace: ml}\nspec: {}\n", "p.yaml")
    native, problems = normalize(docs[0])
    assert native is None and [p.code for p in problems] == ["runai.policy-scope"]


def test_policy_rule_positions_point_into_the_runai_policy() -> None:
    text = ("apiVersion: run.ai/v2alpha1\nkind: TrainingPolicy\nmetadata: {name: p, namespace: runai}\n"
            "spec:\n  gpu:\n    rules:\n      max: '4'\n    value: '1'\n")
    docs, _ = parse_documents(text, "p.yaml")
    native, problems = normalize(docs[0])
    assert native is not None and problems == []
    assert native.locs[("spec", "rules", "compute", "gpuDevicesRequest", "max")] == (7, 12)
    assert native.locs[("spec", "defaults", "compute", "gpuDevicesRequest")] == (8, 12)


def test_template_based_on_another_template_is_a_problem() -> None:
    native, problems = _one(HEAD + "  usage: Template\n  baseWorkload: base\n  image: {value: x}\n")
    assert native is not None and "template" not in native.data["spec"]
    assert [(p.code, p.line) for p in problems] == [("runai.unmappable", 6)]
