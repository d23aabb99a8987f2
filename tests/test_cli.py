"""The command line: exit codes, formats, explain, import, and no tracebacks."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from compiler.cli import main

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "tests" / "invalid" / "_base"
BAD = ROOT / "tests" / "invalid" / "several-problems-one-file"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def bad_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(BASE, repo)
    shutil.copytree(BAD, repo, dirs_exist_ok=True, ignore=shutil.ignore_patterns("expected.txt"))
    return repo


def test_validate_clean_repo_exits_0(tmp_path: Path) -> None:
    shutil.copytree(BASE, tmp_path / "repo")
    code, out, err = run("validate", "--repo", str(tmp_path / "repo"))
    assert code == 0 and out == "" and "no problems" in err


def test_validate_problems_exit_1_with_every_line(tmp_path: Path) -> None:
    code, out, _ = run("validate", "--repo", str(bad_repo(tmp_path)))
    assert code == 1
    assert out.splitlines() == (BAD / "expected.txt").read_text().splitlines()


def test_github_format_is_workflow_annotations(tmp_path: Path) -> None:
    code, out, _ = run("validate", "--repo", str(bad_repo(tmp_path)), "--format", "github")
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith("::error file=workloads/vision/a.yaml,line=7,col=20,title=schema.enum::")


def test_json_format_lists_problems(tmp_path: Path) -> None:
    code, out, _ = run("validate", "--repo", str(bad_repo(tmp_path)), "--format", "json")
    body = json.loads(out)
    assert code == 1 and body["errors"] == 4
    assert body["problems"][1]["field"] == "spec.compute.gpuDevicesRequest"


def test_missing_repo_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run("validate", "--repo", str(tmp_path / "nope"))
    assert code == 2 and "Traceback" not in err


def test_build_writes_nothing_when_there_are_errors(tmp_path: Path) -> None:
    code, _, _ = run("build", "--repo", str(bad_repo(tmp_path)), "--out", str(tmp_path / "out"))
    assert code == 1 and not (tmp_path / "out").exists()


def test_build_writes_bundle_and_index(tmp_path: Path) -> None:
    code, _, err = run("build", "--repo", str(ROOT), "--out", str(tmp_path / "out"))
    assert code == 0, err
    index = json.loads((tmp_path / "out" / "base" / "index.json").read_text())
    names = {w["name"] for w in index["workloads"]}
    assert {"resnet-train", "jupyter-explore"} <= names
    assert (tmp_path / "out" / "base" / "team-vision" / "resnet-train.yaml").is_file()


def test_unknown_overlay_is_a_usage_error() -> None:
    code, _, err = run("build", "--repo", str(ROOT), "--overlay", "nope", "--out", "/dev/null/x")
    assert code == 2 and 'no Overlay named "nope"' in err


def test_explain_shows_each_source() -> None:
    code, out, _ = run("explain", "resnet-train", "--repo", str(ROOT))
    assert code == 0
    lines = out.splitlines()
    assert any(line.startswith("spec.image") and "environment pytorch" in line for line in lines)
    assert any(line.startswith("spec.compute.gpuDevicesRequest") and "compute two-gpu-large" in line for line in lines)
    assert any(line.startswith("spec.backoffLimit") and "template pytorch-train" in line for line in lines)
    assert any(line.startswith("spec.command") and "submission (examples/workloads/vision/resnet-train.yaml:12)" in line
               for line in lines)


def test_explain_json_names_file_and_line() -> None:
    code, out, _ = run("explain", "resnet-train", "--repo", str(ROOT), "--format", "json")
    rows = {r["field"]: r for r in json.loads(out)["fields"]}
    assert code == 0
    assert rows["spec.storage.nfs[0].server"]["source"] == "dataSource"
    assert rows["spec.storage.nfs[0].server"]["name"] == "shared-datasets"


def test_explain_unknown_workload_suggests() -> None:
    code, _, err = run("explain", "resnet-trian", "--repo", str(ROOT))
    assert code == 2 and 'did you mean "resnet-train"' in err


def test_every_verb_has_help_with_an_example() -> None:
    for verb in (["validate"], ["build"], ["explain"], ["import", "runai"]):
        code, out, _ = run(*verb, "--help")
        assert code == 0 and "Example" in out, verb


def test_validate_reports_problems_found_by_lowering(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(BASE, repo)
    case = ROOT / "tests" / "invalid" / "fraction-default-scheduler"
    shutil.copytree(case, repo, dirs_exist_ok=True, ignore=shutil.ignore_patterns("expected.txt"))
    code, out, _ = run("validate", "--repo", str(repo))
    assert code == 1 and out.splitlines() == (case / "expected.txt").read_text().splitlines()
