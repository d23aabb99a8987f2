"""The output folder wlc owns: it refuses to write over what it did not write or what it reads,
replaces only its own folders, and removes the folders of overlays that no longer exist."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.outdirkit import make_repo, run, tree, whole_bundle


def test_out_dotdot_from_a_repo_named_base_is_refused_and_deletes_nothing(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "base")
    (repo / ".git").mkdir()
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    before = tree(repo)
    monkeypatch.chdir(repo)
    code, _, err = run("build", "--repo", ".", "--out", "..")
    assert code == 2 and "contains the repository" in err
    assert tree(repo) == before


def test_out_dot_is_refused_and_keeps_the_repos_own_base_folder(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "base").mkdir()
    (repo / "base" / "notes.txt").write_text("mine\n")
    monkeypatch.chdir(repo)
    code, _, err = run("build", "--repo", ".", "--out", ".")
    assert code == 2 and "contains the repository" in err
    assert (repo / "base" / "notes.txt").read_text() == "mine\n"


def test_a_base_folder_wlc_did_not_write_is_refused_and_kept(tmp_path: Path) -> None:
    repo, out = make_repo(tmp_path / "repo"), tmp_path / "out"
    (out / "base").mkdir(parents=True)
    (out / "base" / "notes.txt").write_text("mine\n")
    code, _, err = run("build", "--repo", str(repo), "--out", str(out))
    assert code == 2 and "was not written by wlc" in err
    assert tree(out) == {"base/notes.txt": b"mine\n"}
    assert not (out / ".wlc").exists()


def test_unrelated_files_beside_the_bundle_are_kept(tmp_path: Path) -> None:
    repo, out = make_repo(tmp_path / "repo"), tmp_path / "out"
    out.mkdir()
    (out / "README").write_text("keep\n")
    for _ in range(2):
        code, _, err = run("build", "--repo", str(repo), "--out", str(out))
        assert code == 0, err
    assert (out / "README").read_text() == "keep\n"
    assert whole_bundle(out / "base") is None


def test_empty_out_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "repo")
    monkeypatch.chdir(tmp_path)
    code, _, err = run("build", "--repo", str(repo), "--out", "")
    assert code == 2 and "must not be empty" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo"]


@pytest.mark.parametrize("inside", ["workloads/out", "out", "workloads"])
def test_out_inside_what_wlc_reads_is_a_usage_error(tmp_path: Path, inside: str) -> None:
    repo = make_repo(tmp_path / "repo")
    before = tree(repo)
    code, _, err = run("build", "--repo", str(repo), "--out", str(repo / inside))
    assert code == 2 and "inside what wlc reads" in err
    assert tree(repo) == before


def test_out_through_a_symlink_into_the_repo_is_a_usage_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (tmp_path / "link").symlink_to(repo / "workloads")
    code, _, err = run("build", "--repo", str(repo), "--out", str(tmp_path / "link"))
    assert code == 2 and "inside what wlc reads" in err


@pytest.mark.parametrize("inside", [None, "build", "build/ci", ".cache/wlc"])
def test_out_in_build_or_a_hidden_folder_of_the_repo_is_allowed(tmp_path: Path, inside: str | None) -> None:
    repo = make_repo(tmp_path / "repo")
    args = ["--out", str(repo / inside)] if inside else []
    code, _, err = run("build", "--repo", str(repo), *args)
    assert code == 0, err
    assert whole_bundle(repo / (inside or "build") / "base") is None


def test_the_bundle_reads_at_out_overlay_namespace_workload(tmp_path: Path) -> None:
    repo, out = make_repo(tmp_path / "repo"), tmp_path / "out"
    assert run("build", "--repo", str(repo), "--out", str(out))[0] == 0
    assert (out / "base" / "runai-vision" / "t0.yaml").read_text().startswith("---\n")
    index = json.loads((out / "base" / "index.json").read_text())
    assert index["kind"] == "BundleIndex" and [w["file"] for w in index["workloads"]] == [
        "runai-vision/t0.yaml", "runai-vision/t1.yaml"]
    assert os.readlink(out / "base").startswith(".wlc/base.")


def test_an_overlay_named_base_is_a_located_problem(tmp_path: Path) -> None:
    repo, out = make_repo(tmp_path / "repo", overlays=("base",)), tmp_path / "out"
    code, stdout, _ = run("build", "--repo", str(repo), "--out", str(out), "--all-overlays")
    assert code == 1
    assert "overlays/base/overlay.yaml:4:9: error[overlay.reserved-name]" in stdout
    assert not out.exists()


def test_all_overlays_removes_folders_of_deleted_overlays_it_wrote(tmp_path: Path) -> None:
    repo, out = make_repo(tmp_path / "repo", overlays=("dev", "prod")), tmp_path / "out"
    assert run("build", "--repo", str(repo), "--out", str(out), "--all-overlays")[0] == 0
    assert whole_bundle(out / "dev") is None
    (out / "notes").mkdir()
    (out / "notes" / "index.json").write_text("{}\n")
    (repo / "overlays" / "dev" / "overlay.yaml").unlink()
    code, _, err = run("build", "--repo", str(repo), "--out", str(out), "--all-overlays")
    assert code == 0, err
    assert "overlay dev no longer exists" in err
    assert not (out / "dev").exists() and not (out / "dev").is_symlink()
    assert whole_bundle(out / "prod") is None and (out / "notes" / "index.json").is_file()


def test_a_bundle_folder_written_by_the_old_wlc_is_replaced(tmp_path: Path) -> None:
    repo, out = make_repo(tmp_path / "repo", overlays=("gone",)), tmp_path / "out"
    for name in ("base", "gone"):
        (out / name / "old-ns").mkdir(parents=True)
        (out / name / "old-ns" / "old.yaml").write_text("---\n")
        (out / name / "index.json").write_text(json.dumps({"kind": "BundleIndex", "overlay": name}))
    (repo / "overlays" / "gone" / "overlay.yaml").unlink()
    code, _, err = run("build", "--repo", str(repo), "--out", str(out), "--all-overlays")
    assert code == 0, err
    assert (out / "base").is_symlink() and whole_bundle(out / "base") is None
    assert not (out / "gone").exists()
    make_repo(repo, image="python:3.11")
    assert run("build", "--repo", str(repo), "--out", str(out))[0] == 0
    assert len(list((out / ".wlc").glob("base.*"))) == 2  # the current and the previous


def test_an_empty_base_folder_is_replaced(tmp_path: Path) -> None:
    repo, out = make_repo(tmp_path / "repo"), tmp_path / "out"
    (out / "base").mkdir(parents=True)
    assert run("build", "--repo", str(repo), "--out", str(out))[0] == 0
    assert whole_bundle(out / "base") is None


def test_a_build_deletes_what_a_killed_build_left_and_nothing_else(tmp_path: Path) -> None:
    repo, out = make_repo(tmp_path / "repo"), tmp_path / "out"
    assert run("build", "--repo", str(repo), "--out", str(out))[0] == 0
    private = out / ".wlc"
    (private / "base.0123456789abcdef").mkdir()
    (private / ".link-0123456789abcdef").symlink_to("nowhere")
    (private / "mine.txt").write_text("keep\n")
    assert run("build", "--repo", str(repo), "--out", str(out))[0] == 0
    assert not (private / "base.0123456789abcdef").exists()
    assert not (private / ".link-0123456789abcdef").is_symlink()
    assert (private / "mine.txt").is_file()


def test_a_symlink_wlc_did_not_make_is_refused(tmp_path: Path) -> None:
    repo, out = make_repo(tmp_path / "repo"), tmp_path / "out"
    (tmp_path / "elsewhere").mkdir()
    out.mkdir()
    (out / "base").symlink_to(tmp_path / "elsewhere")
    code, _, err = run("build", "--repo", str(repo), "--out", str(out))
    assert code == 2 and "symbolic link wlc did not make" in err


@pytest.mark.parametrize("kind", ["symlink", "fifo"])
def test_a_lock_file_wlc_did_not_make_is_refused_and_nothing_outside_out_is_created(tmp_path: Path,
                                                                                   kind: str) -> None:
    repo, out, victim = make_repo(tmp_path / "repo"), tmp_path / "out", tmp_path / "victim"
    (out / ".wlc").mkdir(parents=True)
    if kind == "symlink":
        (out / ".wlc" / "lock").symlink_to(victim)  # opening it would create (or lock) a file elsewhere
    else:
        os.mkfifo(out / ".wlc" / "lock")  # opening it would block forever
    code, _, err = run("build", "--repo", str(repo), "--out", str(out))
    assert code == 2 and "remove it or choose another --out" in err, err
    assert not victim.exists() and not (out / "base").exists()


@pytest.mark.parametrize("rel", ["../x.yaml", "/abs/x.yaml", "ns/../../x.yaml", "ns//x.yaml", "./x.yaml",
                                 "ns/x\n.yaml", "ns\\..\\x.yaml"])
def test_paths_outside_the_bundle_folder_are_refused_before_writing(tmp_path: Path, rel: str) -> None:
    from compiler import outdir
    with pytest.raises(outdir.OutputError):
        outdir.publish(tmp_path / "out", {"base": {"ns/ok.yaml": "---\n", rel: "---\n"}})
    assert not (tmp_path / "out").exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["..", "../x", "", "a/b", "/abs", ".wlc"])
def test_overlay_folder_names_must_be_labels(tmp_path: Path, name: str) -> None:
    from compiler import outdir
    with pytest.raises(outdir.OutputError):
        outdir.publish(tmp_path / "out", {name: {"index.json": "{}"}})
    assert list(tmp_path.iterdir()) == []


def test_the_same_inputs_give_the_same_output_folder_and_a_rebuild_changes_nothing(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    for out in ("a", "b", "b"):
        assert run("build", "--repo", str(repo), "--out", str(tmp_path / out))[0] == 0
    assert tree(tmp_path / "a") == tree(tmp_path / "b") and os.readlink(tmp_path / "a" / "base") == os.readlink(
        tmp_path / "b" / "base")
    assert len(list((tmp_path / "b" / ".wlc").glob("base.*"))) == 1


def test_a_rebuild_repairs_a_bundle_someone_edited(tmp_path: Path) -> None:
    repo, out = make_repo(tmp_path / "repo"), tmp_path / "out"
    assert run("build", "--repo", str(repo), "--out", str(out))[0] == 0
    good = tree(out / "base")
    (out / "base" / "runai-vision" / "t0.yaml").write_text("edited\n")
    (out / "base" / "extra.yaml").write_text("---\n")
    assert run("build", "--repo", str(repo), "--out", str(out))[0] == 0
    assert tree(out / "base") == good


def test_a_leftover_that_cannot_be_deleted_does_not_block_a_build(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from compiler import outdir
    out, texts = tmp_path / "out", {"index.json": "{}", "ns/w.yaml": "---\n"}
    leftover = out / ".wlc" / outdir._generation_name("base", texts)
    (leftover / "ns").mkdir(parents=True)  # what a build killed while writing this bundle left
    monkeypatch.setattr(shutil, "rmtree", lambda *args, **kwargs: None)  # and it cannot be deleted
    outdir.publish(out, {"base": texts})
    assert tree(out / "base") == {"index.json": b"{}", "ns/w.yaml": b"---\n"}


@pytest.mark.parametrize("template", ["../../escape-{project}", "/tmp/escape-{project}", "a/../../{project}"])
def test_a_namespace_template_cannot_write_outside_out(tmp_path: Path, template: str) -> None:
    repo, out = make_repo(tmp_path / "repo"), tmp_path / "deep" / "out"
    (repo / "wlc.yaml").write_text("apiVersion: wlc.dev/v1alpha1\nkind: Repository\nmetadata: {name: r}\n"
                                   f"spec:\n  target:\n    namespaceTemplate: '{template}'\n")
    before = tree(tmp_path)
    code, _, _ = run("build", "--repo", str(repo), "--out", str(out))
    assert code in (1, 2)  # a located problem (namespaceTemplate check) or the output folder's refusal
    assert tree(tmp_path) == before and not Path(template.format(project="vision")).exists()
