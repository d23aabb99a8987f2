"""``wlc diff`` on real git repositories: what changed, why, and what it does in the cluster."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from compiler import gitrev
from tests.diffkit import ORG, change, changes, diff_json, doc, git, init, policy, wlc_diff
from tests.nameskit import make_repo

FIVE = {
    "workloads/vision/a.yaml": doc("Training", "a"),
    "workloads/vision/b.yaml": doc("Training", "b"),
    "workloads/vision/c.yaml": doc("Interactive", "c"),
    "workloads/nlp/d.yaml": doc("Training", "d"),
    "workloads/nlp/e.yaml": doc("Training", "e"),
    "policies/vision.yaml": policy("vision-defaults", "vision", {"compute": {"cpuCoreRequest": 1}}),
}


def test_a_policy_default_shows_every_workload_it_changes_with_the_policy_file(tmp_path: Path) -> None:
    root = init(tmp_path / "r", FIVE)
    change(root, {"policies/vision.yaml": policy("vision-defaults", "vision", {"compute": {"cpuCoreRequest": 2}})})
    body = diff_json(root, "--base", "HEAD~1")
    found = changes(body)
    assert sorted(found) == ["runai-vision/a", "runai-vision/b", "runai-vision/c"]
    for c in found.values():
        assert c["change"] == "changed"
        assert c["reasons"] == [{"file": "policies/vision.yaml", "source": "policy",
                                 "fields": ["compute.cpuCoreRequest"]}]
        assert "-            cpu: '1'\n+            cpu: '2'\n" in c["diff"]
    assert body["overlays"][0]["counts"] == {"added": 0, "removed": 0, "changed": 3, "unchanged": 2}


def test_a_changed_image_recreates_a_running_training(tmp_path: Path) -> None:
    root = init(tmp_path / "r", FIVE)
    change(root, {"workloads/nlp/d.yaml": doc("Training", "d", image="busybox:1.37")})
    c = changes(diff_json(root, "--base", "HEAD~1"))["runai-nlp/d"]
    assert c["reasons"] == [{"file": "workloads/nlp/d.yaml", "source": "submission", "fields": ["image"]}]
    assert [e["kind"] for e in c["effects"]] == ["recreate"]
    assert "running work is lost" in c["effects"][0]["message"]
    assert {"change": "changed", "group": "batch", "kind": "Job", "namespace": "runai-nlp", "name": "d"} in c["objects"]


def test_a_parallelism_change_does_not_recreate_the_job(tmp_path: Path) -> None:
    root = init(tmp_path / "r", {"workloads/nlp/d.yaml": doc("Training", "d", parallelism=1, completions=4)})
    change(root, {"workloads/nlp/d.yaml": doc("Training", "d", parallelism=2, completions=4)})
    c = changes(diff_json(root, "--base", "HEAD~1"))["runai-nlp/d"]
    assert c["change"] == "changed" and c["effects"] == []


def test_a_removed_workload_and_a_new_one(tmp_path: Path) -> None:
    root = init(tmp_path / "r", FIVE)
    change(root, {"workloads/nlp/e.yaml": None, "workloads/nlp/f.yaml": doc("Training", "f")})
    found = changes(diff_json(root, "--base", "HEAD~1"))
    assert found["runai-nlp/e"]["change"] == "removed" and found["runai-nlp/f"]["change"] == "added"
    assert [e["kind"] for e in found["runai-nlp/e"]["effects"]] == ["deleted"]
    assert {o["change"] for o in found["runai-nlp/e"]["objects"]} == {"removed"}
    assert found["runai-nlp/e"]["diff"].startswith("--- a/base/runai-nlp/e.yaml\n+++ /dev/null\n")


PVC = {"claimName": "scratch", "path": "/scratch", "claimInfo": {"size": "10Gi", "accessModes": {"readWriteOnce": True}}}


def test_a_pvc_that_would_be_deleted_is_a_warning(tmp_path: Path) -> None:
    root = init(tmp_path / "r", {"workloads/nlp/w.yaml": doc("Interactive", "w", storage={"pvc": [PVC]})})
    change(root, {"workloads/nlp/w.yaml": doc("Interactive", "w")})
    result = wlc_diff(root, "--base", "HEAD~1")
    assert result.exit_code == 0, result.output
    assert "! PersistentVolumeClaim runai-nlp/scratch is deleted: its data is lost" in result.stdout, result.stdout


def test_stopping_a_workload_says_so(tmp_path: Path) -> None:
    root = init(tmp_path / "r", {"workloads/nlp/d.yaml": doc("Training", "d")})
    change(root, {"workloads/nlp/d.yaml": doc("Training", "d", active=False)})
    c = changes(diff_json(root, "--base", "HEAD~1"))["runai-nlp/d"]
    assert [e["kind"] for e in c["effects"]] == ["stopped"]


def test_a_template_change_names_the_template_file(tmp_path: Path) -> None:
    template = ("apiVersion: wlc.dev/v1alpha1\nkind: Template\nmetadata:\n  name: base\nspec:\n"
                "  backoffLimit: {n}\n")
    files = {"templates/base.yaml": template.format(n=3),
             "workloads/nlp/d.yaml": doc("Training", "d", template="base"),
             "workloads/nlp/e.yaml": doc("Training", "e")}
    root = init(tmp_path / "r", files)
    change(root, {"templates/base.yaml": template.format(n=5)})
    found = changes(diff_json(root, "--base", "HEAD~1"))
    assert list(found) == ["runai-nlp/d"]
    assert found["runai-nlp/d"]["reasons"] == [{"file": "templates/base.yaml", "source": "template",
                                                "fields": ["backoffLimit"]}]


def test_an_overlay_spec_patch_names_the_overlay_file(tmp_path: Path) -> None:
    overlay = ("apiVersion: wlc.dev/v1alpha1\nkind: Overlay\nmetadata:\n  name: prod\nspec:\n"
               "  specPatches:\n    - patch:\n        backoffLimit: {n}\n")
    root = init(tmp_path / "r", {**FIVE, "overlays/prod/overlay.yaml": overlay.format(n=1)})
    change(root, {"overlays/prod/overlay.yaml": overlay.format(n=2)})
    assert changes(diff_json(root, "--base", "HEAD~1")) == {}  # the base build is unchanged
    found = changes(diff_json(root, "--base", "HEAD~1", "--overlay", "prod"))
    assert sorted(found) == ["runai-nlp/d", "runai-nlp/e", "runai-vision/a", "runai-vision/b"]  # the trainings
    assert {r["file"] for c in found.values() for r in c["reasons"]} == {"overlays/prod/overlay.yaml"}


def test_a_renamed_file_with_the_same_workload_is_one_change_that_says_moved(tmp_path: Path) -> None:
    root = init(tmp_path / "r", FIVE)
    git(root, "mv", "workloads/nlp/d.yaml", "workloads/nlp/renamed.yaml")
    git(root, "commit", "-q", "-m", "rename")
    found = changes(diff_json(root, "--base", "HEAD~1"))
    assert list(found) == ["runai-nlp/d"] and found["runai-nlp/d"]["change"] == "changed"
    assert {"file": "workloads/nlp/renamed.yaml", "source": "moved",
            "fields": ["from workloads/nlp/d.yaml"]} in found["runai-nlp/d"]["reasons"]


def test_gpu_requests_per_project_and_node_pool_before_and_after(tmp_path: Path) -> None:
    root = init(tmp_path / "r", {"workloads/vision/a.yaml": doc("Training", "a", compute={"gpuDevicesRequest": 1}),
                                 "workloads/nlp/d.yaml": doc("Training", "d", compute={"gpuDevicesRequest": 2})})
    change(root, {"workloads/vision/a.yaml": doc("Training", "a", compute={"gpuDevicesRequest": 4}),
                  "workloads/nlp/d.yaml": doc("Training", "d", compute={"gpuDevicesRequest": 2}, active=False)})
    body = diff_json(root, "--base", "HEAD~1")
    assert body["overlays"][0]["gpus"] == [
        {"project": "nlp", "pool": "(any)", "before": 2.0, "after": 0.0},
        {"project": "vision", "pool": "a100", "before": 1.0, "after": 4.0}]
    text = wlc_diff(root, "--base", "HEAD~1").stdout
    assert "vision / a100: 1 → 4 (+3)" in text and "nlp / (any): 2 → 0 (-2)" in text


def test_a_base_that_does_not_build_is_reported_not_hidden(tmp_path: Path) -> None:
    root = init(tmp_path / "r", {**FIVE, "workloads/nlp/d.yaml": doc("Training", "d", compute={"gpuDevicesRequest": "two"})})
    change(root, {"workloads/nlp/d.yaml": doc("Training", "d")})
    result = wlc_diff(root, "--base", "HEAD~1")
    assert result.exit_code == 0, result.output
    assert "! base (HEAD~1 (" in result.stdout and "does not build: 1 error(s)" in result.stdout
    assert "    workloads/nlp/d.yaml:" in result.stdout
    body = diff_json(root, "--base", "HEAD~1")
    assert body["overlays"][0]["base"]["ok"] is False and body["overlays"][0]["head"]["ok"] is True
    assert changes(body)["runai-nlp/d"]["change"] == "added"


def test_a_head_that_does_not_build_exits_1(tmp_path: Path) -> None:
    root = init(tmp_path / "r", FIVE)
    change(root, {"workloads/nlp/d.yaml": doc("Training", "d", compute={"gpuDevicesRequest": "two"})}, commit=False)
    result = wlc_diff(root, "--base", "HEAD")
    assert result.exit_code == 1 and "! head (working tree) does not build" in result.stdout


def test_a_base_without_the_repository_folder_is_reported(tmp_path: Path) -> None:
    top = tmp_path / "top"
    top.mkdir()
    (top / "README").write_text("x\n")
    git(top, "init", "-q", "-b", "main")
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "empty")
    init_sub = make_repo(top / "gitops", {"workloads/nlp/d.yaml": doc("Training", "d")}, org=ORG)
    result = wlc_diff(init_sub, "--base", "HEAD")
    assert result.exit_code == 0, result.output
    assert "cannot be built: repository folder not found" in result.stdout and "+ runai-nlp/d" in result.stdout


def test_exit_code_is_1_only_when_something_differs(tmp_path: Path) -> None:
    root = init(tmp_path / "r", FIVE)
    assert wlc_diff(root, "--base", "HEAD", "--exit-code").exit_code == 0
    change(root, {"workloads/nlp/d.yaml": doc("Training", "d", image="busybox:1.37")}, commit=False)
    assert wlc_diff(root, "--base", "HEAD", "--exit-code").exit_code == 1
    assert wlc_diff(root, "--base", "HEAD").exit_code == 0


def test_head_revision_and_all_overlays(tmp_path: Path) -> None:
    overlay = "apiVersion: wlc.dev/v1alpha1\nkind: Overlay\nmetadata:\n  name: dev\nspec: {}\n"
    root = init(tmp_path / "r", FIVE)
    first = git(root, "rev-parse", "HEAD")
    change(root, {"overlays/dev/overlay.yaml": overlay, "workloads/nlp/e.yaml": None})
    change(root, {"workloads/nlp/f.yaml": doc("Training", "f")}, commit=False)  # not in --head HEAD
    body = diff_json(root, "--base", first, "--head", "HEAD", "--all-overlays")
    assert [o["overlay"] for o in body["overlays"]] == ["base", "dev"]
    assert list(changes(body, 0)) == ["runai-nlp/e"]
    assert body["overlays"][1]["base"]["present"] is False and len(changes(body, 1)) == 4


@pytest.mark.parametrize("args", [["--base", "no-such-branch"], ["--base", "HEAD", "--head", "nope"],
                                  ["--base", "--all"], ["--base", "HEAD", "--overlay", "x", "--all-overlays"]])
def test_usage_errors_exit_2_with_one_line(tmp_path: Path, args: list[str]) -> None:
    root = init(tmp_path / "r", FIVE)
    result = wlc_diff(root, *args)
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output


def test_a_folder_outside_git_is_a_usage_error(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "plain", FIVE, org=ORG)
    result = wlc_diff(root, "--base", "HEAD")
    assert result.exit_code == 2 and "not inside a git repository" in result.output


def test_the_checkout_is_untouched_and_no_temporary_folder_is_left(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    root = init(tmp_path / "r", FIVE)
    change(root, {"policies/vision.yaml": policy("vision-defaults", "vision", {"compute": {"cpuCoreRequest": 2}})})
    change(root, {"workloads/nlp/d.yaml": doc("Training", "d", image="busybox:1.37"), "notes.txt": "x"}, commit=False)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    before = (git(root, "status", "--porcelain"), git(root, "rev-parse", "HEAD"), git(root, "worktree", "list"),
              git(root, "stash", "list"))
    for args in (["--base", "HEAD~1"], ["--base", "HEAD~1", "--head", "HEAD", "--all-overlays"]):
        assert wlc_diff(root, *args).exit_code == 0
    after = (git(root, "status", "--porcelain"), git(root, "rev-parse", "HEAD"), git(root, "worktree", "list"),
             git(root, "stash", "list"))
    assert after == before and before[0].splitlines() == ["M workloads/nlp/d.yaml", "?? notes.txt"]
    assert list(tmp.iterdir()) == []


def test_an_object_patch_change_says_the_spec_is_unchanged(tmp_path: Path) -> None:
    overlay = ("apiVersion: wlc.dev/v1alpha1\nkind: Overlay\nmetadata:\n  name: prod\nspec:\n"
               "  objectPatches:\n    - select:\n        kind: Job\n      mergePatch:\n"
               "        metadata:\n          annotations:\n            example.com/tier: \"{n}\"\n")
    root = init(tmp_path / "r", {"workloads/nlp/d.yaml": doc("Training", "d"),
                                 "overlays/prod/overlay.yaml": overlay.format(n=1)})
    change(root, {"overlays/prod/overlay.yaml": overlay.format(n=2)})
    c = changes(diff_json(root, "--base", "HEAD~1", "--overlay", "prod"))["runai-nlp/d"]
    assert c["reasons"] == [{"file": "", "source": "unchanged-spec", "fields": []}] and c["effects"] == []
    text = wlc_diff(root, "--base", "HEAD~1", "--overlay", "prod").stdout
    assert "why: the resolved spec is unchanged: target settings or overlay object patches" in text


def test_a_label_change_names_the_workload_file(tmp_path: Path) -> None:
    labelled = doc("Training", "d").replace("  name: d\n", "  name: d\n  labels:\n    team: a\n")
    root = init(tmp_path / "r", {"workloads/nlp/d.yaml": labelled})
    change(root, {"workloads/nlp/d.yaml": labelled.replace("team: a", "team: b")})
    c = changes(diff_json(root, "--base", "HEAD~1"))["runai-nlp/d"]
    assert c["reasons"] == [{"file": "workloads/nlp/d.yaml", "source": "submission", "fields": ["metadata.labels"]}]


def test_gpus_of_kueue_jobs_count_although_kueue_creates_them_suspended(tmp_path: Path) -> None:
    root = init(tmp_path / "r", {"workloads/nlp/d.yaml": doc("Training", "d", compute={"gpuDevicesRequest": 1})})
    (root / "wlc.yaml").write_text((root / "wlc.yaml").read_text() + "  target:\n    scheduler: kueue\n")
    git(root, "commit", "-qam", "kueue")
    change(root, {"workloads/nlp/d.yaml": doc("Training", "d", compute={"gpuDevicesRequest": 3})})
    assert diff_json(root, "--base", "HEAD~1")["overlays"][0]["gpus"] == [
        {"project": "nlp", "pool": "(any)", "before": 1.0, "after": 3.0}]


def test_checkouts_work_without_a_tar_program_and_leave_no_folder(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    root = init(tmp_path / "r", FIVE)
    change(root, {"workloads/nlp/e.yaml": None})
    monkeypatch.delenv("TMPDIR", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", None)
    shm = gitrev.SHM
    before = set(shm.iterdir()) if shm.is_dir() else set()
    for which in (shutil.which, lambda name: None):
        monkeypatch.setattr(shutil, "which", which)
        assert list(changes(diff_json(root, "--base", "HEAD~1"))) == ["runai-nlp/e"]
    assert (set(shm.iterdir()) if shm.is_dir() else set()) == before


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_one_process_or_two_give_the_same_diff(tmp_path: Path, jobs: str) -> None:
    root = init(tmp_path / "r", FIVE)
    change(root, {"policies/vision.yaml": policy("vision-defaults", "vision", {"compute": {"cpuCoreRequest": 2}})})
    body = diff_json(root, "--base", "HEAD~1", "--jobs", jobs)
    assert sorted(changes(body)) == ["runai-vision/a", "runai-vision/b", "runai-vision/c"]
    assert all(c["reasons"][0]["file"] == "policies/vision.yaml" for c in changes(body).values())
