"""``--dry-run`` of every verb checks the edit and says what it would do, writes nothing, and with
``--commit`` makes no commit; on a problem it exits 1 like the real edit."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.verbskit import example_repo, tree, wlc

IMAGE = "nvcr.io/nvidia/pytorch:24.10-py3"
RUNS = [
    (["stop", "llama-finetune"], "would have stopped nlp/llama-finetune: examples/workloads/nlp/llama-finetune.yaml:11"),
    (["activate", "stopped-notebook"], "would have activated vision/stopped-notebook"),
    (["run", "stopped-notebook"], "would have activated vision/stopped-notebook"),
    (["copy", "llama-finetune", "llama-2"], "would have copied nlp/llama-finetune as nlp/llama-2"),
    (["delete", "nlp/llama-finetune", "eval-sweep"], "would have deleted nlp/eval-sweep"),
    (["new", "training", "fresh", "-p", "nlp", "-i", IMAGE], "(dry run: examples/workloads/nlp/fresh.yaml checked"),
]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = example_repo(tmp_path)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"],
                 ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "init"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)
    return root


def _head(repo: Path) -> str:
    return subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], check=True, capture_output=True,
                          text=True).stdout


@pytest.mark.parametrize(("args", "said"), RUNS, ids=[" ".join(a[:2]) for a, _ in RUNS])
def test_dry_run_says_what_it_would_do_and_writes_and_commits_nothing(repo: Path, args: list[str], said: str) -> None:
    before = tree(repo)
    head = _head(repo)
    code, _, err = wlc(repo, *args, "--dry-run", "--commit")
    assert code == 0 and said in err, err
    assert tree(repo) == before
    assert _head(repo) == head


def test_dry_run_of_an_edit_with_a_problem_exits_1(repo: Path) -> None:
    before = tree(repo)
    code, out, _ = wlc(repo, "copy", "llama-finetune", "llama-v", "-p", "vision", "--dry-run")
    assert code == 1 and "lower.node-pool" in out and tree(repo) == before
