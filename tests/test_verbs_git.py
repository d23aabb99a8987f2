"""``--commit`` and ``--push`` with real git repositories: the commit holds exactly the files the
verb changed, its message names the verb, project and workload; unrelated staged changes are
refused before anything is written; the push reaches a local bare repository."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.verbskit import example_repo, tree, wlc

IMAGE = "nvcr.io/nvidia/pytorch:24.10-py3"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = example_repo(tmp_path)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "t@example.com")
    git(root, "config", "user.name", "t")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    return root


def _last(repo: Path) -> tuple[str, list[str]]:
    message = git(repo, "log", "-1", "--format=%s")
    files = git(repo, "show", "--name-status", "--format=", "HEAD").split("\n")
    return message.strip(), [f for f in files if f]


def test_stop_commit_holds_only_the_changed_file(repo: Path) -> None:
    (repo / "untracked.txt").write_text("mine")
    code, _, err = wlc(repo, "stop", "llama-finetune", "--commit")
    assert code == 0, err
    assert _last(repo) == ("wlc stop nlp/llama-finetune", ["M\texamples/workloads/nlp/llama-finetune.yaml"])
    assert "untracked.txt" in git(repo, "status", "--porcelain")


def test_new_delete_and_copy_commit_their_files(repo: Path) -> None:
    assert wlc(repo, "new", "training", "ft", "-p", "nlp", "-i", IMAGE, "--commit")[0] == 0
    assert _last(repo) == ("wlc new training: nlp/ft", ["A\texamples/workloads/nlp/ft.yaml"])
    assert wlc(repo, "copy", "ft", "ft-2", "--commit")[0] == 0
    assert _last(repo) == ("wlc copy nlp/ft as nlp/ft-2", ["A\texamples/workloads/nlp/ft-2.yaml"])
    assert wlc(repo, "delete", "nlp/ft", "--commit")[0] == 0
    assert _last(repo) == ("wlc delete nlp/ft", ["D\texamples/workloads/nlp/ft.yaml"])
    assert git(repo, "status", "--porcelain") == ""


def test_unrelated_staged_changes_refuse_before_writing(repo: Path) -> None:
    (repo / "README.md").write_text("staged")
    git(repo, "add", "README.md")
    before = tree(repo)
    code, _, err = wlc(repo, "stop", "llama-finetune", "--commit")
    assert code == 2 and "staged changes of other files (README.md)" in err and tree(repo) == before


def test_push_reaches_the_upstream(repo: Path, tmp_path: Path) -> None:
    bare = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    git(repo, "remote", "add", "origin", str(bare))
    git(repo, "push", "-q", "-u", "origin", "main")
    code, _, err = wlc(repo, "stop", "llama-finetune", "--commit", "--push")
    assert code == 0, err
    assert git(bare, "log", "-1", "--format=%s", "main").strip() == "wlc stop nlp/llama-finetune"


def test_push_without_upstream_is_refused_before_writing(repo: Path) -> None:
    before = tree(repo)
    code, _, err = wlc(repo, "stop", "llama-finetune", "--commit", "--push")
    assert code == 2 and "no upstream" in err and tree(repo) == before


def test_commit_outside_a_git_repository_is_refused(tmp_path: Path) -> None:
    root = example_repo(tmp_path)
    before = tree(root)
    code, _, err = wlc(root, "stop", "llama-finetune", "--commit")
    assert code == 2 and "git rev-parse failed" in err and tree(root) == before


def test_uncommitted_changes_of_the_edited_file_refuse_before_writing(repo: Path) -> None:
    path = repo / "examples/workloads/nlp/llama-finetune.yaml"
    path.write_text(path.read_text() + "# a hand edit, not committed\n")
    before = tree(repo)
    code, _, err = wlc(repo, "stop", "llama-finetune", "--commit")
    assert code == 2 and tree(repo) == before
    assert "examples/workloads/nlp/llama-finetune.yaml has changes that are not committed" in err
    assert wlc(repo, "stop", "llama-finetune")[0] == 0  # without --commit the edit is made


def test_a_new_file_not_yet_committed_is_committed_whole(repo: Path) -> None:
    assert wlc(repo, "new", "training", "ft", "-p", "nlp", "-i", IMAGE)[0] == 0
    code, _, err = wlc(repo, "stop", "nlp/ft", "--commit")
    assert code == 0, err
    assert _last(repo) == ("wlc stop nlp/ft", ["A\texamples/workloads/nlp/ft.yaml"])


def test_a_repository_inside_a_larger_work_tree_commits_its_own_paths(tmp_path: Path) -> None:
    top = tmp_path / "mono"
    top.mkdir()
    inner = example_repo(top)  # mono/repo
    git(top, "init", "-q", "-b", "main")
    git(top, "config", "user.email", "t@example.com")
    git(top, "config", "user.name", "t")
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "init")
    code, _, err = wlc(inner, "stop", "llama-finetune", "--commit")
    assert code == 0, err
    assert _last(top) == ("wlc stop nlp/llama-finetune", ["M\trepo/examples/workloads/nlp/llama-finetune.yaml"])


def test_a_commit_that_git_refuses_says_the_edit_is_written(repo: Path) -> None:
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'no commits today' >&2\nexit 1\n")
    hook.chmod(0o755)
    code, _, err = wlc(repo, "stop", "llama-finetune", "--commit")
    assert code == 2 and "no commits today" in err
    assert "the edit is written, not committed: examples/workloads/nlp/llama-finetune.yaml" in err
    assert "active: false" in (repo / "examples/workloads/nlp/llama-finetune.yaml").read_text()


def test_new_from_runai_commits_the_converted_file(repo: Path, tmp_path: Path) -> None:
    source = tmp_path / "train.yaml"
    source.write_text("apiVersion: run.ai/v2alpha1\nkind: TrainingWorkload\nmetadata:\n  name: imported\n"
                      f"  namespace: runai-nlp\nspec:\n  image:\n    value: {IMAGE}\n")
    code, _, err = wlc(repo, "new", "--from-runai", str(source), "--commit")
    assert code == 0, err
    assert _last(repo) == ("wlc new --from-runai train.yaml: nlp/imported", ["A\texamples/workloads/nlp/imported.yaml"])
