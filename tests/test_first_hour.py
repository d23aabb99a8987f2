"""Issue 15: what a newcomer meets in the first hour: honest messages, counts and output."""
from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from compiler import parallel, pipeline
from compiler.cli import commands, main

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "tests" / "invalid" / "_base"
GOOD = """apiVersion: wlc.dev/v1alpha1
kind: TrainingWorkload
metadata:
  name: {name}
spec:
  image: busybox:1.36
  command: "true"
"""
BROKEN = """apiVersion: wlc.dev/v1alpha1
kind: TrainingWorkload
metadata:
  name: {name}
spec:
  image: busybox:1.36
  backoffLimit: many
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def make_repo(tmp_path: Path, good: int, broken: int) -> Path:
    """A repository (no wlc.yaml) with ``good`` valid and ``broken`` invalid training workloads."""
    repo = tmp_path / "repo"
    shutil.copytree(BASE, repo)
    folder = repo / "workloads" / "vision"
    folder.mkdir(parents=True)
    for i in range(good):
        (folder / f"good-{i}.yaml").write_text(GOOD.format(name=f"good-{i}"))
    for i in range(broken):
        (folder / f"bad-{i}.yaml").write_text(BROKEN.format(name=f"bad-{i}"))
    return repo


# item 3 ------------------------------------------------------------------------------------------

def test_explain_of_a_workload_the_overlay_excludes_says_so_and_where() -> None:
    code, _, err = run("explain", "llm-pretrain", "--repo", str(ROOT), "--overlay", "native")
    assert code == 2
    assert 'did you mean "llm-pretrain"' not in err
    assert "overlay native excludes" in err and "overlays/native/overlay.yaml:19" in err


def test_explain_never_suggests_the_name_asked_for(tmp_path: Path) -> None:
    code, _, err = run("explain", "bad-0", "--repo", str(make_repo(tmp_path, 0, 1)))
    assert code == 2 and "did you mean" not in err and 'workload "bad-0" has problems' in err


# item 4 ------------------------------------------------------------------------------------------

def test_explain_help_example_names_a_real_repository_root() -> None:
    _, out, _ = run("explain", "--help")
    assert "--repo examples" not in out


def test_repo_below_a_folder_with_wlc_yaml_warns_and_names_the_parent() -> None:
    _, _, err = run("validate", "--repo", str(ROOT / "examples"))
    assert f"did you mean --repo {ROOT}?" in err


def test_build_of_a_folder_without_wlc_documents_is_a_problem_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    code, out, err = run("build", "--repo", str(tmp_path / "empty"), "--out", str(tmp_path / "out"))
    assert code == 1 and "error[repo.empty]: no wlc documents in" in out and "built" not in err
    assert not (tmp_path / "out").exists()


# item 7 ------------------------------------------------------------------------------------------

def test_summary_counts_every_workload_and_the_failed_ones(tmp_path: Path) -> None:
    code, _, err = run("validate", "--repo", str(make_repo(tmp_path, 16, 4)))
    assert code == 1 and err.splitlines()[-1] == "4 errors in 20 workload(s) (4 failed)"


def test_summary_of_a_clean_repo_counts_every_workload(tmp_path: Path) -> None:
    code, _, err = run("validate", "--repo", str(make_repo(tmp_path, 3, 0)))
    assert code == 0 and err.splitlines()[-1] == "no problems in 3 workload(s)"


def test_parallel_check_counts_like_a_sequential_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path, 30, 3)
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 10)
    monkeypatch.setattr(parallel, "WARMUP", 4)
    sequential = pipeline.check(repo, None, 1)
    split = pipeline.check(repo, None, 2)
    assert sequential.counted == split.counted == 33
    assert len(split.bundles) == len(sequential.bundles) == 30


# item 8 ------------------------------------------------------------------------------------------

def _overlay_repo(tmp_path: Path) -> Path:
    """The base builds; overlay ``strict`` breaks one workload; every build has the same warning."""
    repo = make_repo(tmp_path, 2, 0)
    (repo / "overlays").mkdir()
    (repo / "overlays" / "strict.yaml").write_text(
        "apiVersion: wlc.dev/v1alpha1\nkind: Overlay\nmetadata:\n  name: strict\nspec:\n"
        "  specPatches:\n    - select: {names: [good-0]}\n      patch:\n        compute:\n"
        "          gpuPortionRequest: 0.5\n          gpuRequestType: portion\n"
        "          gpuDevicesRequest: 1\n")
    return repo


def test_all_overlays_problems_name_their_overlay_in_text(tmp_path: Path) -> None:
    code, out, _ = run("build", "--all-overlays", "--repo", str(_overlay_repo(tmp_path)), "--out",
                       str(tmp_path / "out"))
    assert code == 1
    lines = out.splitlines()
    assert lines and all(line.endswith("[overlay strict]") for line in lines), lines


def test_all_overlays_problems_name_their_overlay_in_json(tmp_path: Path) -> None:
    code, out, _ = run("build", "--all-overlays", "--repo", str(_overlay_repo(tmp_path)), "--out",
                       str(tmp_path / "out"), "--format", "json")
    problems = json.loads(out)["problems"]
    assert code == 1 and problems and {p["overlay"] for p in problems} == {"strict"}


def test_single_builds_do_not_tag_problems(tmp_path: Path) -> None:
    code, out, _ = run("validate", "--overlay", "strict", "--repo", str(_overlay_repo(tmp_path)),
                       "--format", "json")
    problems = json.loads(out)["problems"]
    assert code == 1 and problems and all("overlay" not in p for p in problems)


# item 6 ------------------------------------------------------------------------------------------

RUNAI_GOOD = """apiVersion: run.ai/v2alpha1
kind: TrainingWorkload
metadata:
  name: {name}
  namespace: runai-team-a
spec:
  image:
    value: busybox:1.36
"""
RUNAI_BAD = RUNAI_GOOD + "  emptyDirVolumes:\n    items:\n      scratch:\n        value: {{path: /tmp}}\n"


def _runai(tmp_path: Path, **docs: str) -> list[str]:
    paths = []
    for name, text in docs.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(text.format(name=name))
        paths.append(str(path))
    return paths


def test_import_with_an_error_writes_nothing(tmp_path: Path) -> None:
    files = _runai(tmp_path, good=RUNAI_GOOD, bad=RUNAI_BAD)
    code, _, err = run("import", "runai", *files, "--out", str(tmp_path / "repo"))
    assert code == 1 and "nothing was written" in err
    assert not (tmp_path / "repo").exists()


def test_import_never_replaces_a_hand_written_file_without_force(tmp_path: Path) -> None:
    files = _runai(tmp_path, job=RUNAI_GOOD)
    mine = tmp_path / "repo" / "workloads" / "team-a" / "job.yaml"
    mine.parent.mkdir(parents=True)
    mine.write_text("# mine\n")
    code, _, err = run("import", "runai", *files, "--out", str(tmp_path / "repo"))
    assert code == 1 and mine.read_text() == "# mine\n"
    assert f"job.yaml:4:9: error[runai.exists]: {mine} exists and differs" in err
    code, _, _ = run("import", "runai", *files, "--out", str(tmp_path / "repo"), "--force")
    assert code == 0 and "kind: TrainingWorkload" in mine.read_text()


def test_import_again_with_the_same_result_is_not_a_conflict(tmp_path: Path) -> None:
    files = _runai(tmp_path, job=RUNAI_GOOD)
    assert run("import", "runai", *files, "--out", str(tmp_path / "repo"))[0] == 0
    assert run("import", "runai", *files, "--out", str(tmp_path / "repo"))[0] == 0


# item 5 ------------------------------------------------------------------------------------------

#: `wlc VERB [SUB]` in backquotes, "use wlc VERB", or an example line of a help text
SUGGESTED = re.compile(r"`wlc ([a-z][a-z-]*)((?: [a-z][a-z-]*)?)|\b(?:use|run|try|see) wlc ([a-z][a-z-]*)"
                       r"|^\s+wlc ([a-z][a-z-]*)((?: [a-z][a-z-]*)?)", re.MULTILINE)


def _message_strings() -> list[tuple[str, str]]:
    """Every string constant in compiler/ that is not a docstring (in compiler/cli, where
    docstrings are the help texts, every one), with its file."""
    found = []
    for path in sorted((ROOT / "compiler").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = {id(node.body[0].value) for node in ast.walk(tree)
                if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                and node.body and isinstance(node.body[0], ast.Expr) and "cli" not in path.parts}
        found += [(str(path.relative_to(ROOT)), node.value) for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs]
    return found


def _suggested_commands() -> list[tuple[str, list[str]]]:
    out = []
    for file, text in _message_strings():
        for m in SUGGESTED.finditer(text):
            verb, sub = m.group(1) or m.group(3) or m.group(4), m.group(2) or m.group(5) or ""
            out.append((file, [verb] + sub.split()))
    return out


def _exists(words: list[str]) -> bool:
    """Whether ``wlc WORDS...`` names a command: each word a subcommand until a non-group."""
    found: dict[str, click.Command] = commands()
    for word in words:
        if word not in found:
            return False
        command = found[word]
        if not isinstance(command, click.Group):
            return True
        found = dict(command.commands)
    return True


def test_every_command_a_message_suggests_exists() -> None:
    suggested = _suggested_commands()
    assert any(words[0] == "import" for _, words in suggested)  # the scan finds real suggestions
    missing = [(file, " ".join(words)) for file, words in suggested if not _exists(words)]
    assert missing == []


def test_the_command_scan_catches_a_verb_that_does_not_exist() -> None:
    assert not _exists(["frobnicate"]) and not _exists(["policy", "nope"]) and _exists(["policy", "effective"])


def test_repo_that_the_parent_repository_excludes_gets_no_warning() -> None:
    _, _, err = run("validate", "--repo", str(ROOT / "tests" / "invalid" / "several-problems-one-file"))
    assert "did you mean --repo" not in err


def test_a_workload_file_that_does_not_parse_counts_as_one_failed_workload(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, 2, 0)
    (repo / "workloads" / "vision" / "torn.yaml").write_text("apiVersion: wlc.dev/v1alpha1\nkind: [\n")
    code, _, err = run("validate", "--repo", str(repo))
    assert code == 1 and err.splitlines()[-1] == "1 error in 3 workload(s) (1 failed)"
