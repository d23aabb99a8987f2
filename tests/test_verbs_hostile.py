"""Hostile input to the verbs: names with ``../``, a newline or capitals, ``-e`` values with a
newline or ``---``, a project that does not exist, a workload root that is a symbolic link out of
the repository. Each is a clear problem (or, for a value, kept verbatim), and nothing is ever
written outside the repository."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from compiler import pipeline
from tests.verbskit import example_repo, tree, wlc

IMAGE = "nvcr.io/nvidia/pytorch:24.10-py3"
BAD_NAMES = ["../escape", "a\nb", "UPPER", "a/../../b", "x\n---\nkind: Policy", "lead-", "a b", ""]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return example_repo(tmp_path)


def _outside(repo: Path) -> list[str]:
    """Every file beside the repository (none may appear)."""
    return sorted(str(p) for p in repo.parent.rglob("*") if repo not in p.parents and p != repo)


@pytest.mark.parametrize("name", BAD_NAMES)
def test_a_bad_workload_name_is_refused_by_every_verb(repo: Path, name: str) -> None:
    before, beside = tree(repo), _outside(repo)
    for args in (["new", "training", name, "-p", "nlp", "-i", IMAGE], ["copy", "llama-finetune", name],
                 ["stop", name], ["activate", name], ["delete", name], ["copy", name, "fine"]):
        code, _, err = wlc(repo, *args)
        assert code == 2 and "Traceback" not in err, (args, err)
        assert "DNS-1123 label" in err, (args, err)
    assert tree(repo) == before and _outside(repo) == beside


@pytest.mark.parametrize("project", ["../..", "nlp\n", "NLP", "nlp/x"])
def test_a_bad_project_is_refused_by_every_verb(repo: Path, project: str) -> None:
    before = tree(repo)
    for args in (["new", "training", "w", "-p", project, "-i", IMAGE], ["copy", "llama-finetune", "w", "-p", project],
                 ["stop", "--all", "-p", project], ["delete", "-p", project, "llama-finetune"]):
        code, _, err = wlc(repo, *args)
        assert code == 2 and "DNS-1123 label" in err, (args, err)
    assert tree(repo) == before


def test_an_environment_value_with_a_newline_and_a_separator_stays_one_value(repo: Path) -> None:
    hostile = "x\n---\napiVersion: wlc.dev/v1alpha1\nkind: Policy\n"
    code, _, err = wlc(repo, "new", "training", "env-1", "-p", "nlp", "-i", IMAGE, "-e", f"NOTE={hostile}",
                       "-e", "HASH=# not a comment", "-e", "YES=yes")
    assert code == 0, err
    path = repo / "examples/workloads/nlp/env-1.yaml"
    docs = list(yaml.safe_load_all(path.read_text()))
    assert len(docs) == 1 and docs[0]["spec"]["environmentVariables"] == [
        {"name": "NOTE", "value": hostile}, {"name": "HASH", "value": "# not a comment"},
        {"name": "YES", "value": "yes"}]
    res = pipeline.build(repo)
    job = next(o for b in res.bundles if b.name == "env-1" for o in b.objects if o["kind"] == "Job")
    env = job["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "NOTE", "value": hostile} in env and {"name": "YES", "value": "yes"} in env
    # the value's "---" is no document boundary for the edits either
    assert wlc(repo, "stop", "env-1")[0] == 0
    assert len(list(yaml.safe_load_all(path.read_text()))) == 1 and "NOTE" in path.read_text()


def test_an_environment_key_with_a_newline_is_a_problem_and_nothing_is_written(repo: Path) -> None:
    before = tree(repo)
    code, out, err = wlc(repo, "new", "training", "env-2", "-p", "nlp", "-i", IMAGE, "-e", "BAD\nKEY=1")
    assert code in (1, 2) and tree(repo) == before and "Traceback" not in err
    assert "environmentVariables" in out + err


def test_a_project_that_does_not_exist_is_a_problem_and_nothing_is_written(repo: Path) -> None:
    before = tree(repo)
    code, out, err = wlc(repo, "new", "training", "w", "-p", "nosuch", "-i", IMAGE)
    assert code == 1 and tree(repo) == before and not (repo / "examples/workloads/nosuch").exists()
    assert 'error[resolve.unknown-project]: TrainingWorkload "w" is in folder "nosuch" but there is no Project ' \
           '"nosuch"' in out and "nothing was written" in err
    code, out, _ = wlc(repo, "copy", "llama-finetune", "w", "-p", "nosuch")
    assert code == 1 and tree(repo) == before and "resolve.unknown-project" in out
    code, _, err = wlc(repo, "stop", "-p", "nosuch", "llama-finetune")
    assert code == 2 and 'no workload named "llama-finetune" in project nosuch' in err
    code, _, err = wlc(repo, "stop", "--all", "-p", "nosuch")
    assert code == 0 and tree(repo) == before


def test_a_workload_root_that_links_out_of_the_repository_is_refused(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "nlp").mkdir(parents=True)
    real = repo / "examples" / "real-workloads"
    (repo / "examples" / "workloads").rename(real)
    os.symlink(outside, repo / "examples" / "workloads")
    for args in (["new", "training", "w", "-p", "nlp", "-i", IMAGE],):
        code, _, err = wlc(repo, *args)
        assert code == 2 and "leads outside the repository" in err and "nothing was written" in err
    assert list((outside / "nlp").iterdir()) == []


def test_a_workload_root_above_the_repository_is_refused(repo: Path) -> None:
    config = repo / "wlc.yaml"
    config.write_text(config.read_text().replace("workloadRoots: [examples/workloads]", "workloadRoots: [../up]"))
    before, beside = tree(repo), _outside(repo)
    code, _, err = wlc(repo, "new", "training", "w", "-p", "nlp", "-i", IMAGE)
    assert code == 2 and "leads outside the repository" in err
    assert tree(repo) == before and _outside(repo) == beside


def test_copy_into_a_symlinked_project_folder_is_refused(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, repo / "examples" / "workloads" / "evil")
    code, _, err = wlc(repo, "copy", "llama-finetune", "w", "-p", "evil")
    assert code == 2 and "leads outside the repository" in err and list(outside.iterdir()) == []


@pytest.mark.parametrize(("name", "namespace"), [('"../../evil"', "runai-nlp"), ("ok", '"runai-../x"'),
                                                 ('"Big\\nName"', "runai-nlp")])
def test_from_runai_with_a_hostile_name_or_namespace_writes_nothing(repo: Path, tmp_path: Path, name: str,
                                                                    namespace: str) -> None:
    source = tmp_path / "hostile.yaml"
    source.write_text(f"apiVersion: run.ai/v2alpha1\nkind: TrainingWorkload\nmetadata:\n  name: {name}\n"
                      f"  namespace: {namespace}\nspec:\n  image:\n    value: {IMAGE}\n")
    before, beside = tree(repo), _outside(repo)
    code, out, err = wlc(repo, "new", "--from-runai", str(source))
    assert code == 1 and "error[runai.unsafe-name]" in out and "Traceback" not in err
    assert tree(repo) == before and _outside(repo) == beside


@pytest.mark.parametrize(("flag", "value"), [
    ("-i", f"{IMAGE}\n---\nkind: Policy"), ("--working-dir", "/w\n---"), ("--node-type", "a100\r"),
    ("--host-path", "path=/mnt/scr\natch,mount=/s"), ("--data-source", "imagenet\x00"),
])
def test_a_newline_in_a_one_line_value_is_refused_naming_the_flag(repo: Path, flag: str, value: str) -> None:
    before = tree(repo)
    args = ["-i", IMAGE] if flag != "-i" else []
    code, _, err = wlc(repo, "new", "training", "w", "-p", "nlp", *args, flag, value)
    assert code == 2 and "must be one line of text" in err and tree(repo) == before, err


def test_a_file_that_cannot_be_written_is_a_clear_error_not_a_bug(repo: Path) -> None:
    config = repo / "wlc.yaml"
    config.write_text(config.read_text().replace("workloadRoots: [examples/workloads]",
                                                 "workloadRoots: [teams, examples/workloads]"))
    (repo / "teams").write_text("a file where the first workload root should be\n")
    (repo / "examples/workloads/recsys").rename(repo / "recsys-away")
    code, _, err = wlc(repo, "new", "training", "w", "-p", "recsys", "-i", IMAGE)
    assert code == 2 and "cannot write teams/recsys/w.yaml: Not a directory; nothing was written" in err, err
    assert "internal error" not in err


BROKEN = "# notes about llama-finetune and ranker-train\nfoo: [unclosed\n"


def test_a_broken_file_elsewhere_does_not_block_an_edit(repo: Path) -> None:
    (repo / "examples/workloads/nlp/notes.yaml").write_text(BROKEN)
    code, _, err = wlc(repo, "stop", "llama-finetune")
    assert code == 0 and "stopped nlp/llama-finetune" in err, err


def test_a_name_found_only_in_a_broken_file_says_which_file_was_not_read(repo: Path) -> None:
    (repo / "examples/workloads/nlp/notes.yaml").write_text(BROKEN.replace("llama-finetune", "ghost"))
    code, _, err = wlc(repo, "stop", "ghost")
    assert code == 2 and 'no workload named "ghost" (files not read: examples/workloads/nlp/notes.yaml: not valid ' \
        "YAML" in err


def test_all_skips_a_broken_file_of_the_project_and_says_so(repo: Path) -> None:
    (repo / "examples/workloads/recsys/notes.yaml").write_text(BROKEN)
    code, _, err = wlc(repo, "stop", "--all", "-p", "recsys")
    assert code == 0 and "wlc: warning: examples/workloads/recsys/notes.yaml skipped: not valid YAML" in err
    assert "stopped recsys/ranker-train" in err
