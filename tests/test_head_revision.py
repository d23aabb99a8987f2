"""gitrev.head_revision (issue 17): `wlc sync --repo DIR` records HEAD's commit id, marked
``-dirty`` when a file the build reads under DIR differs from it; nothing outside a work tree."""
from __future__ import annotations

import subprocess
from pathlib import Path

from compiler import gitrev
from compiler.cluster.view.syncstate import short_revision


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


def committed_repo(root: Path) -> Path:
    (root / "repo" / "workloads").mkdir(parents=True)
    (root / "wlc.yaml").write_text("kind: Repository\n")
    (root / "repo" / "workloads" / "a.yaml").write_text("a: 1\n")
    (root / "repo" / "README.md").write_text("hi\n")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "one")
    return root / "repo"


def test_a_clean_work_tree_records_heads_commit(tmp_path: Path) -> None:
    repo = committed_repo(tmp_path)
    assert gitrev.head_revision(repo) == (git(tmp_path, "rev-parse", "HEAD"), "")


def test_an_uncommitted_yaml_under_the_folder_marks_it_dirty(tmp_path: Path) -> None:
    repo = committed_repo(tmp_path)
    head = git(tmp_path, "rev-parse", "HEAD")
    (repo / "README.md").write_text("changed\n")  # the build does not read it
    (repo / ".hidden").mkdir()
    (repo / ".hidden" / "x.yaml").write_text("x: 1\n")
    (tmp_path / "wlc.yaml").write_text("changed\n")  # outside the folder
    assert gitrev.head_revision(repo) == (head, "")
    (repo / "workloads" / "a.yaml").write_text("a: 2\n")
    assert gitrev.head_revision(repo) == (head + "-dirty", "")
    git(tmp_path, "checkout", "-q", "--", "repo/workloads/a.yaml")
    (repo / "workloads" / "new.yml").write_text("b: 1\n")  # untracked
    assert gitrev.head_revision(repo) == (head + "-dirty", "")
    (repo / "workloads" / "new.yml").unlink()
    (repo / "workloads" / "a.yaml").unlink()  # deleted
    assert gitrev.head_revision(repo) == (head + "-dirty", "")


def test_no_git_work_tree_records_nothing_and_says_why(tmp_path: Path) -> None:
    revision, why = gitrev.head_revision(tmp_path)
    assert revision == "" and "not inside a git work tree" in why
    git(tmp_path, "init", "-q")
    revision, why = gitrev.head_revision(tmp_path)  # no commit yet
    assert revision == "" and "no commit yet" in why


def test_the_revision_column_keeps_the_dirty_mark() -> None:
    assert short_revision("0123456789abcdef0123-dirty", 12) == "0123456789ab-dirty"
    assert short_revision("0123456789abcdef0123", 12) == "0123456789ab"
