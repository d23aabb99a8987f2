"""``wlc stop``, ``activate``/``run``, ``copy`` and ``delete`` on a copy of the example repository:
only the expected line changes, a second stop changes nothing, a policy that locks ``active``
refuses the edit, and copy/delete leave a repository that validates."""
from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from compiler import pipeline
from tests.verbskit import example_repo, tree, wlc

LLAMA = "examples/workloads/nlp/llama-finetune.yaml"
STOPPED = "examples/workloads/vision/stopped-notebook.yaml"
LOCK = """\
apiVersion: wlc.dev/v1alpha1
kind: Policy
metadata:
  name: nlp-always-on
spec:
  scope:
    project: nlp
  rules:
    active:
      canEdit: false
"""
SEVERAL = """\
# two jobs in one file
apiVersion: wlc.dev/v1alpha1
kind: TrainingWorkload
metadata:
  name: job-a   # first
spec:
  image: nvcr.io/nvidia/pytorch:24.10-py3
---
apiVersion: wlc.dev/v1alpha1
kind: TrainingWorkload
metadata:
  name: job-b
spec:
  image: nvcr.io/nvidia/pytorch:24.10-py3
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return example_repo(tmp_path)


def _diff(before: bytes, after: bytes) -> list[str]:
    lines = difflib.unified_diff(before.decode().splitlines(True), after.decode().splitlines(True), n=0)
    return [line for line in lines if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def _clean(repo: Path) -> bool:
    return pipeline.check(repo).ok


def test_stop_adds_one_line_and_keeps_every_other_byte(repo: Path) -> None:
    before = (repo / LLAMA).read_bytes()
    code, _, err = wlc(repo, "stop", "nlp/llama-finetune")
    assert code == 0, err
    assert _diff(before, (repo / LLAMA).read_bytes()) == ["+  active: false\n"]
    assert f"stopped nlp/llama-finetune: {LLAMA}:11: active: false" in err
    assert f"git add -A -- {LLAMA} && git commit -m 'wlc stop nlp/llama-finetune'" in err
    job = next(b for b in pipeline.build(repo).bundles if b.name == "llama-finetune")
    assert not job.active


def test_stopping_a_stopped_workload_says_so_and_changes_nothing(repo: Path) -> None:
    before = tree(repo)
    code, _, err = wlc(repo, "stop", "stopped-notebook")
    assert code == 0 and tree(repo) == before
    assert "vision/stopped-notebook is already stopped; nothing changed" in err


def test_activate_and_its_alias_run_change_only_the_value(repo: Path) -> None:
    before = (repo / STOPPED).read_bytes()
    code, _, err = wlc(repo, "run", "vision/stopped-notebook")
    assert code == 0, err
    assert _diff(before, (repo / STOPPED).read_bytes()) == ["-  active: false\n", "+  active: true\n"]
    code, _, err = wlc(repo, "activate", "stopped-notebook")
    assert code == 0 and "already active" in err


def test_stop_then_activate_round_trips_to_a_clean_repository(repo: Path) -> None:
    assert wlc(repo, "stop", "llama-finetune")[0] == 0
    assert wlc(repo, "activate", "llama-finetune")[0] == 0
    assert _clean(repo)


def test_a_policy_that_locks_active_refuses_the_stop_and_names_itself(repo: Path) -> None:
    (repo / "policies" / "nlp-always-on.yaml").write_text(LOCK)
    before = tree(repo)
    code, out, err = wlc(repo, "stop", "llama-finetune")
    assert code == 1 and tree(repo) == before
    assert "policies/nlp-always-on.yaml" in out and "nothing was written" in err


def test_stop_all_of_a_project_edits_each_file(repo: Path) -> None:
    code, _, err = wlc(repo, "stop", "--all", "-p", "recsys")
    assert code == 0, err
    stopped = [b.name for b in pipeline.build(repo).bundles if b.project == "recsys" and not b.active]
    assert sorted(stopped) == ["feature-workspace", "mpi-allreduce", "ranker-serving", "ranker-train",
                              "xgboost-ranker"]


def test_stop_in_a_file_with_several_documents(repo: Path) -> None:
    path = repo / "examples/workloads/nlp/jobs.yaml"
    path.write_text(SEVERAL)
    code, _, err = wlc(repo, "stop", "job-b")
    assert code == 0, err
    assert _diff(SEVERAL.encode(), path.read_bytes()) == ["+  active: false\n"]
    assert path.read_text().index("active: false") > path.read_text().index("name: job-b")


def test_unknown_and_hostile_workload_names_exit_2(repo: Path) -> None:
    before = tree(repo)
    assert wlc(repo, "stop", "no-such")[0] == 2
    code, _, err = wlc(repo, "stop", "../../etc/passwd")
    assert code == 2 and "DNS-1123" in err and tree(repo) == before


def test_dry_run_of_stop_writes_nothing(repo: Path) -> None:
    before = tree(repo)
    code, _, err = wlc(repo, "stop", "llama-finetune", "--dry-run")
    assert code == 0 and tree(repo) == before and "would have stopped nlp/llama-finetune" in err


def test_copy_writes_a_renamed_file_with_the_comments(repo: Path) -> None:
    code, _, err = wlc(repo, "copy", "nlp/llama-finetune", "llama-finetune-2")
    assert code == 0, err
    original = (repo / LLAMA).read_text()
    copy = (repo / "examples/workloads/nlp/llama-finetune-2.yaml").read_text()
    assert copy == original.replace("name: llama-finetune\n", "name: llama-finetune-2\n")
    assert _clean(repo)


def test_copy_to_another_project_is_checked_there(repo: Path) -> None:
    before = tree(repo)
    code, out, _ = wlc(repo, "copy", "llama-finetune", "llama-v", "-p", "vision")
    assert code == 1 and tree(repo) == before and "lower.node-pool" in out


def test_copy_never_overwrites(repo: Path) -> None:
    before = tree(repo)
    code, _, err = wlc(repo, "copy", "llama-finetune", "eval-sweep")
    assert code == 2 and tree(repo) == before and "exists already" in err


def test_delete_removes_the_file(repo: Path) -> None:
    code, _, err = wlc(repo, "delete", "nlp/llama-finetune")
    assert code == 0, err
    assert not (repo / LLAMA).exists() and f"{LLAMA} removed" in err and _clean(repo)


def test_delete_removes_only_that_document_of_a_file_with_several(repo: Path) -> None:
    path = repo / "examples/workloads/nlp/jobs.yaml"
    path.write_text(SEVERAL)
    code, _, err = wlc(repo, "delete", "job-a")
    assert code == 0, err
    assert path.read_text() == SEVERAL[SEVERAL.index("---\n"):]
    assert _clean(repo)


def test_a_workload_file_that_is_a_symlink_is_not_edited(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(SEVERAL)
    (repo / "examples/workloads/nlp/linked.yaml").symlink_to(outside)
    code, _, err = wlc(repo, "stop", "job-a")
    # a link out of the repository is never read (docs/trust.md), so its workloads are not found
    assert code == 2 and 'no workload named "job-a"' in err and outside.read_text() == SEVERAL
    code, out, _ = wlc(repo, "validate")
    assert code == 1 and "error[file.symlink-outside]" in out


def test_active_from_a_template_is_what_stop_and_activate_compare(repo: Path) -> None:
    template = repo / "examples/templates/pytorch-train.yaml"
    text = template.read_text()
    template.write_text(text.replace("  environment: pytorch\n", "  active: false\n  environment: pytorch\n"))
    before = (repo / LLAMA).read_bytes()
    code, _, err = wlc(repo, "stop", "llama-finetune")
    assert code == 0 and (repo / LLAMA).read_bytes() == before
    assert "already stopped (active from template:pytorch-train (examples/templates/pytorch-train.yaml:8))" in err
    assert wlc(repo, "activate", "llama-finetune")[0] == 0
    assert _diff(before, (repo / LLAMA).read_bytes()) == ["+  active: true\n"]


RUNAI = """\
apiVersion: run.ai/v2alpha1
kind: TrainingWorkload
metadata:
  name: from-runai
  namespace: runai-nlp
spec:
  image:
    value: nvcr.io/nvidia/pytorch:24.10-py3   # kept
"""


def test_stop_a_runai_document_in_place(repo: Path) -> None:
    path = repo / "examples/workloads/nlp/from-runai.yaml"
    path.write_text(RUNAI)
    code, _, err = wlc(repo, "stop", "from-runai")
    assert code == 0, err
    assert path.read_text() == RUNAI.replace("spec:\n", "spec:\n  active:\n    value: false\n")
    assert not next(b for b in pipeline.build(repo).bundles if b.name == "from-runai").active


def test_shell_completion_offers_project_slash_name(repo: Path) -> None:
    from click.shell_completion import ShellComplete

    from compiler.cli import main
    complete = ShellComplete(main, {}, "wlc", "_WLC_COMPLETE")
    found = [c.value for c in complete.get_completions(["stop", "--repo", str(repo)], "llama")]
    assert found == ["nlp/llama-finetune"]


def test_stop_of_a_workload_that_does_not_resolve_still_edits_its_file(repo: Path) -> None:
    path = repo / "examples/workloads/nlp/broken.yaml"
    text = "apiVersion: wlc.dev/v1alpha1\nkind: TrainingWorkload\nmetadata:\n  name: broken\nspec:\n  image: 3\n"
    path.write_text(text)
    code, _, err = wlc(repo, "stop", "broken")
    assert code == 0, err
    assert path.read_text() == text.replace("spec:\n", "spec:\n  active: false\n")
    code, _, err = wlc(repo, "stop", "broken")
    assert code == 0 and "already stopped in examples/workloads/nlp/broken.yaml" in err


def test_delete_all_of_a_project_removes_each_of_its_workloads(repo: Path) -> None:
    code, _, err = wlc(repo, "delete", "--all", "-p", "recsys")
    assert code == 0, err
    assert [b.name for b in pipeline.build(repo).bundles if b.project == "recsys"] == []
    assert {b.project for b in pipeline.build(repo).bundles} == {"nlp", "vision"}


def test_activate_all_of_a_project_activates_only_the_stopped_ones(repo: Path) -> None:
    before = tree(repo)
    code, _, err = wlc(repo, "activate", "--all", "-p", "vision")
    assert code == 0, err
    changed = [rel for rel, data in tree(repo).items() if before.get(rel) != data]
    assert changed == [STOPPED] and "already active" in err
    assert all(b.active for b in pipeline.build(repo).bundles if b.project == "vision")


@pytest.mark.parametrize("verb", ["stop", "activate", "run", "delete"])
def test_all_needs_a_project_and_no_names(repo: Path, verb: str) -> None:
    before = tree(repo)
    for args in (["--all"], ["--all", "-p", "nlp", "llama-finetune"], []):
        code, _, err = wlc(repo, verb, *args)
        assert code == 2 and ("--all needs -p PROJECT" in err or "name at least one workload" in err), (args, err)
    assert tree(repo) == before


POLICY_STOPS = """\
apiVersion: wlc.dev/v1alpha1
kind: Policy
metadata:
  name: nlp-stopped
spec:
  scope:
    project: nlp
  defaults:
    active: false
"""


def test_active_from_a_policy_default_is_what_stop_compares(repo: Path) -> None:
    (repo / "policies" / "nlp-stopped.yaml").write_text(POLICY_STOPS)
    before = (repo / LLAMA).read_bytes()
    code, _, err = wlc(repo, "stop", "llama-finetune")
    assert code == 0 and (repo / LLAMA).read_bytes() == before
    assert ("nlp/llama-finetune is already stopped (active from policy:nlp-stopped (policies/nlp-stopped.yaml:9)); "
            "nothing changed") in err
    assert wlc(repo, "activate", "llama-finetune")[0] == 0
    assert _diff(before, (repo / LLAMA).read_bytes()) == ["+  active: true\n"]


def test_a_policy_that_imposes_stopped_refuses_activate_with_its_reason(repo: Path) -> None:
    (repo / "policies" / "nlp-stopped.yaml").write_text(POLICY_STOPS + "  rules:\n    active:\n      canEdit: false\n")
    before = tree(repo)
    code, out, err = wlc(repo, "activate", "llama-finetune")
    assert code == 1 and tree(repo) == before and "nothing was written" in err
    assert ("error[policy.canEdit]: spec.active: true differs from false, which the policy does not let you edit "
            "(canEdit in policies/nlp-stopped.yaml:12)") in out
    code, _, err = wlc(repo, "stop", "llama-finetune")
    assert code == 0 and "already stopped (active from policy:nlp-stopped" in err and tree(repo) == before


def test_the_callbacks_the_workloads_page_calls_keep_their_keywords(repo: Path) -> None:
    """compiler/cli/view_actions.py calls the verbs' callbacks by keyword (without ``every``)."""
    from compiler.cli import workloads

    common = {"overlay": None, "dry_run": False, "repo": repo, "commit": False, "push": False}
    with pytest.raises(SystemExit) as done:
        workloads.delete.callback(workloads=("llama-finetune",), project="nlp", **common)  # type: ignore[misc]
    assert done.value.code == 0 and not (repo / LLAMA).exists()


def test_an_edited_file_keeps_its_mode(repo: Path) -> None:
    (repo / LLAMA).chmod(0o750)
    assert wlc(repo, "stop", "llama-finetune")[0] == 0
    assert (repo / LLAMA).stat().st_mode & 0o777 == 0o750
