"""What ``wlc diff`` shares between its two builds (parsed and validated files by path and bytes,
``compiler.inputs.sharing``; stage 8-10 results by their inputs, compiler/buildcache.py) never
changes its output: every diff here is run with sharing and with ``WLC_DIFF_SHARE=0``, in one
process and in several (the head's workloads in forked workers too), and the outputs must be the
same bytes, over the examples, a generated repository and every change that must invalidate."""
from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from compiler import gitrev, inputs, pipeline
from compiler.diff import builds
from tests.bench_build import make_repo
from tests.diffkit import change, doc, git, init, wlc_diff
from tests.test_buildcache_invalidation import CASES, FILES

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ("json", "markdown")
BROKEN = "apiVersion: wlc.dev/v1alpha1\nkind: TrainingWorkload\nmetadata:\n  name: a\nspec: [unclosed\n"
INVALID = doc("Training", "x", backoffLimit="many")


def outputs(root: Path, monkeypatch: pytest.MonkeyPatch, *args: str,
            formats: tuple[str, ...] = FORMATS) -> tuple[dict[tuple[str, str, str], str], dict[str, int]]:
    """Each format's output (and exit status) with sharing on and off, with --jobs 1 and 2; and
    how many checkouts were extracted from ``git archive`` with sharing on and off."""
    monkeypatch.setattr(builds, "PARALLEL_MIN", 1)  # the head's stages 8-10 in forked workers
    out: dict[tuple[str, str, str], str] = {}
    archives = {"1": 0, "0": 0}
    extract = gitrev._extract
    for share in ("1", "0"):
        def counted(top: Path, commit: str, into: Path, share: str = share) -> None:
            archives[share] += 1
            extract(top, commit, into)
        monkeypatch.setattr(gitrev, "_extract", counted)
        monkeypatch.setenv("WLC_DIFF_SHARE", share)
        for jobs in ("1", "2"):
            for fmt in formats:
                result = wlc_diff(root, "--format", fmt, "--jobs", jobs, *args)
                assert result.exit_code in (0, 1), result.output
                out[(share, jobs, fmt)] = f"{result.exit_code}\n{result.stdout}"
    return out, archives


def assert_sharing_changes_nothing(root: Path, monkeypatch: pytest.MonkeyPatch, *args: str,
                                   formats: tuple[str, ...] = FORMATS) -> dict[str, str]:
    """The same output with sharing on and off; each revision other than the working tree is
    extracted from ``git archive`` once per diff either way."""
    found, archives = outputs(root, monkeypatch, *args, formats=formats)
    runs = 2 * len(formats) * (1 + ("--head" in args))
    assert archives == {"1": runs, "0": runs}
    for fmt in formats:
        clean = found[("0", "1", fmt)]
        assert {key: text for key, text in found.items() if key[2] == fmt} == {
            (share, jobs, fmt): clean for share in ("1", "0") for jobs in ("1", "2")}
    return {fmt: found[("0", "1", fmt)] for fmt in formats}


def copy_examples(dest: Path) -> Path:
    dest.mkdir()
    shutil.copy(ROOT / "wlc.yaml", dest / "wlc.yaml")
    for folder in ("examples", "policies", "overlays"):
        shutil.copytree(ROOT / folder, dest / folder)
    return dest


def commit_all(root: Path) -> None:
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")


def test_the_examples_diff_the_same_with_and_without_sharing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_examples(tmp_path / "r")
    commit_all(root)
    workload = min(p for p in (root / "examples" / "workloads").glob("*/*.yaml") if "image: nvcr.io/nvidia/" in p.read_text())
    workload.write_text(workload.read_text().replace("image: nvcr.io/nvidia/", "image: nvcr.io/nvidia/changed-", 1))
    policy = min((root / "policies").glob("*.yaml"))
    policy.write_text(policy.read_text() + "\n")  # same documents, other bytes: parsed again
    texts = assert_sharing_changes_nothing(root, monkeypatch, "--base", "HEAD", "--all-overlays", formats=("json",))
    assert texts["json"].startswith("0\n") and '"changed": 1' in texts["json"]


def test_a_generated_repository_diffs_the_same_with_and_without_sharing(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "r"
    root.mkdir()
    make_repo(root, 60)
    for folder in ("policies", "overlays"):
        shutil.copytree(ROOT / folder, root / folder)
    commit_all(root)
    files = sorted(p for p in (root / "examples" / "workloads").glob("*/*.yaml") if "image: nvcr.io/nvidia/" in p.read_text())
    files[3].write_text(files[3].read_text().replace("image: nvcr.io/nvidia/", "image: nvcr.io/nvidia/changed-", 1))
    files[7].unlink()
    texts = assert_sharing_changes_nothing(root, monkeypatch, "--base", "HEAD", "--all-overlays", formats=("json",))
    assert "\"removed\": 1" in texts["json"] and "\"changed\": 1" in texts["json"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_invalidating_change_diffs_the_same_with_and_without_sharing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    edits, overlay, expected, _ = CASES[case]
    root = init(tmp_path / "r", FILES)
    change(root, edits)
    texts = assert_sharing_changes_nothing(root, monkeypatch, "--base", "HEAD~1",
                                           *(["--overlay", overlay] if overlay else []))
    assert all(f'"name": "{name.split("/")[1]}"' in texts["json"] for name in expected)


def test_a_file_moved_with_the_same_bytes_keeps_each_revisions_path(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The same bytes at another path: each revision's problems and sources name its own path
    (here a file with a schema error, moved, and a valid workload, moved)."""
    root = init(tmp_path / "r", {**FILES, "workloads/vision/x.yaml": INVALID})
    change(root, {"workloads/vision/x.yaml": None, "workloads/nlp/x.yaml": INVALID,
                  "workloads/vision/c.yaml": None, "workloads/vision/moved-c.yaml": FILES["workloads/vision/c.yaml"]})
    texts = assert_sharing_changes_nothing(root, monkeypatch, "--base", "HEAD~1")
    assert "workloads/nlp/x.yaml" in texts["json"] and "workloads/vision/moved-c.yaml" in texts["json"]


@pytest.mark.parametrize("broken_in", ["base", "head"])
def test_a_file_that_parses_in_one_revision_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 broken_in: str) -> None:
    good = FILES["workloads/vision/a.yaml"]
    root = init(tmp_path / "r", {**FILES, "workloads/vision/a.yaml": BROKEN if broken_in == "base" else good})
    change(root, {"workloads/vision/a.yaml": good if broken_in == "base" else BROKEN})
    texts = assert_sharing_changes_nothing(root, monkeypatch, "--base", "HEAD~1")
    assert "yaml.syntax" in texts["json"]


def test_the_base_takes_the_heads_parses_of_unchanged_files_only(tmp_path: Path) -> None:
    """The sharing is real: the base parses only the files whose bytes or path changed."""
    root = init(tmp_path / "r", FILES)
    head = change(root, {"templates/base.yaml": FILES["templates/base.yaml"].replace("3", "4"),
                         "workloads/nlp/e.yaml": None, "workloads/nlp/moved-e.yaml": FILES["workloads/nlp/e.yaml"]})
    documents = inputs.Documents()
    base = builds.Revision(tmp_path / "base", None, "base")
    shutil.copytree(root, base.root)
    git(base.root, "checkout", "-q", "HEAD~1")
    assert git(root, "rev-parse", "HEAD") == head
    with inputs.sharing(documents):
        pipeline.repository(root)  # what ``wlc diff`` reads while git checks the base out
    builds.compare_builds(None, base, builds.Revision(root, None, "head"), 1, documents)
    read = len(list(root.glob("**/*.yaml"))) - 1  # wlc.yaml is read apart
    assert documents.misses == read + 2 and documents.hits == read + read - 2


def test_a_parse_is_shared_by_path_and_bytes_only() -> None:
    documents = inputs.Documents()
    text = FILES["workloads/vision/a.yaml"].encode()
    first, _ = documents.parse(text, "workloads/vision/a.yaml")
    again, _ = documents.parse(text, "workloads/vision/a.yaml")
    moved, _ = documents.parse(text, "workloads/nlp/a.yaml")
    other, _ = documents.parse(text.replace(b"busybox", b"alpine"), "workloads/vision/a.yaml")
    assert again[0] is first[0] and (documents.hits, documents.misses) == (1, 3)
    assert moved[0].file == "workloads/nlp/a.yaml" and other[0].data["spec"]["image"] == "alpine:1.36"


def _symlinks(root: Path) -> None:
    os.symlink("d.yaml", root / "workloads" / "nlp" / "link.yaml")
    os.symlink("../../org.yaml", root / "workloads" / "vision" / "org.yaml")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "links")
    (root / "workloads" / "nlp" / "link.yaml").unlink()
    os.symlink("e.yaml", root / "workloads" / "nlp" / "link.yaml")
    os.symlink("/etc/hostname", root / "workloads" / "nlp" / "outside.yaml")


def _base_does_not_build(root: Path) -> None:
    wlc = (root / "wlc.yaml").read_text()
    (root / "wlc.yaml").write_text(wlc.replace("workloadRoots: [workloads]", "workloadRoots: 7"))
    git(root, "commit", "-qam", "broken")
    (root / "wlc.yaml").write_text(wlc)


def _line_ends(root: Path) -> None:
    (root / ".gitattributes").write_text("*.yaml text eol=crlf\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "crlf")
    change(root, {"workloads/nlp/e.yaml": doc("Training", "e", image="busybox:1.37")}, commit=False)


def _assume_unchanged(root: Path) -> None:
    git(root, "update-index", "--assume-unchanged", "workloads/nlp/e.yaml")
    change(root, {"workloads/nlp/e.yaml": doc("Training", "e", image="busybox:1.37")}, commit=False)


def _file_becomes_folder(root: Path) -> None:
    (root / "workloads" / "nlp" / "e.yaml").unlink()
    (root / "workloads" / "nlp" / "e.yaml").mkdir()
    (root / "workloads" / "nlp" / "e.yaml" / "e.yaml").write_text(FILES["workloads/nlp/e.yaml"])


#: a change of the work tree (committed first, as the base, where it says so): the head's files
#: differ from the base's in ways that sharing parses by path and bytes must not confuse
WORK_TREE: dict[str, Callable[[Path], object]] = {
    "renamed file": lambda root: change(root, {"workloads/vision/c.yaml": None,
                                               "workloads/vision/moved-c.yaml": FILES["workloads/vision/c.yaml"]},
                                        commit=False),
    "deleted file": lambda root: change(root, {"workloads/nlp/e.yaml": None}, commit=False),
    "file only in the base (a policy)": lambda root: change(root, {"policies/vision.yaml": None}, commit=False),
    "untracked file": lambda root: change(root, {"workloads/nlp/f.yaml": doc("Training", "f")}, commit=False),
    "symbolic links": _symlinks,
    "a base that does not build": _base_does_not_build,
    "a file marked assume-unchanged": _assume_unchanged,
    "a folder where a file was": _file_becomes_folder,
    ".gitattributes that change line ends": _line_ends,
}


@pytest.mark.parametrize("case", sorted(WORK_TREE))
def test_a_dirty_work_tree_diffs_the_same_with_sharing_and_without(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               case: str) -> None:
    root = init(tmp_path / "r", FILES)
    WORK_TREE[case](root)
    texts = assert_sharing_changes_nothing(root, monkeypatch, "--base", "HEAD")
    assert '"base": {' in texts["json"]


def test_both_revisions_made_from_a_dirty_work_tree_diff_as_extracted(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    root = init(tmp_path / "r", FILES)
    change(root, {"workloads/nlp/e.yaml": doc("Training", "e", image="busybox:1.37"), "workloads/vision/c.yaml": None})
    change(root, {"workloads/nlp/d.yaml": None, "workloads/nlp/f.yaml": doc("Training", "f"),
                  "templates/base.yaml": FILES["templates/base.yaml"].replace("3", "4")}, commit=False)
    texts = assert_sharing_changes_nothing(root, monkeypatch, "--base", "HEAD~1", "--head", "HEAD", "--all-overlays")
    assert '"removed": 1' in texts["json"] and '"changed": 1' in texts["json"]
