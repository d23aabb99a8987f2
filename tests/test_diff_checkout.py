"""The diff's base made from the work tree (``gitrev.checkout(..., from_work_tree=True)``): for
everything the build can see (folders, links, submodules, ``*.yaml``/``*.yml`` files under the
repository folder) it is what ``git archive`` extracted holds, whatever the work tree holds
(modified, deleted, renamed, untracked, assume-unchanged or CRLF files, links, a folder where a
file was); when git could write other bytes (line-end, filter, ident, encoding or export
attributes, core.autocrlf, core.eol), it is the archive itself. Real git throughout; nothing in
the user's repository is written."""
from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from compiler import gitrev
from tests.diffkit import git

Tree = dict[str, tuple[object, ...]]


def tree_of(root: Path, prefix: str = "", everything: bool = True) -> Tree:
    """Each path under ``root``: folders, links (their targets) and files (bytes, executable);
    without ``everything``, only the files the derived checkout makes (YAML under ``prefix``)."""
    out: Tree = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root)
            if os.path.islink(path):
                out[rel] = ("link", os.readlink(path))
            elif os.path.isdir(path):
                out[rel] = ("folder",)
            elif everything or (rel.startswith(prefix) and name.endswith((".yaml", ".yml"))):
                out[rel] = ("file", Path(path).read_bytes(), os.access(path, os.X_OK))
    return out


def both(folder: Path, rev: str, prefix: str = "") -> tuple[Tree, Tree]:
    """The archive's tree (what the build can see of it) and the derived one."""
    trees = []
    for derive in (False, True):
        with gitrev.checkout(folder, rev, derive) as made:
            top = made.parents[len(Path(prefix).parts) - 1] if prefix else made
            trees.append(tree_of(top, prefix, everything=derive))
    return trees[0], trees[1]


def no_archive(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("git archive was used")
    monkeypatch.setattr(gitrev, "_extract", refuse)


def hostile(top: Path) -> Path:
    """A committed repository whose work tree then differs from it in every way there is."""
    repo = top / "gitops"
    files = {"wlc.yaml": "kind: Repository\n", "w/a.yaml": "a: 1\n", "w/b.yml": "b: 1\n", "w/c.yaml": "c: 1\n",
             "w/d.yaml": "d: 1\n", "w/e.yaml": "e: 1\n", "w/f.yaml": "f: 1\n", "w/g.yaml": "g: 1\n",
             "w/empty.yaml": "", "w/sub/h.yaml": "h: 1\n", "README.md": "hello\n", "w/x.yaml.txt": "not read\n",
             "../other/o.yaml": "o: 1\n", "../other/deep/p.yaml": "p: 1\n", "w/ü nicode.yaml": "u: 1\n"}
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    (repo / "w" / "b.yml").chmod(0o755)
    os.symlink("a.yaml", repo / "w" / "link.yaml")
    os.symlink("../../other", repo / "w" / "outside")
    os.symlink("missing.yaml", repo / "w" / "dangling.yaml")
    git(top, "init", "-q", "-b", "main")
    git(top, "add", "-A")
    sub = "0123456789abcdef0123456789abcdef01234567"  # a submodule is only its commit's id here
    git(top, "update-index", "--add", "--cacheinfo", f"160000,{sub},gitops/w/submodule")
    git(top, "commit", "-q", "-m", "base")
    (repo / "w" / "a.yaml").write_text("a: 2\n")                      # modified
    (repo / "w" / "c.yaml").unlink()                                  # deleted
    (repo / "w" / "d.yaml").rename(repo / "w" / "moved-d.yaml")       # renamed
    (repo / "w" / "new.yaml").write_text("n: 1\n")                    # untracked
    git(top, "update-index", "--assume-unchanged", "gitops/w/e.yaml")
    (repo / "w" / "e.yaml").write_text("e: 2\n")                      # git does not look at it
    (repo / "w" / "f.yaml").write_bytes(b"f: 1\r\n")                  # CRLF on disk, LF committed
    (repo / "w" / "g.yaml").unlink()
    os.symlink("a.yaml", repo / "w" / "g.yaml")                       # a link where a file was
    (repo / "w" / "link.yaml").unlink()
    (repo / "w" / "link.yaml").write_text("a: 1\n")                   # a file where a link was
    (repo / "w" / "sub" / "h.yaml").unlink()
    (repo / "w" / "sub").rmdir()
    (repo / "w" / "sub").write_text("h: 1\n")                         # a file where a folder was
    (repo / "w" / "b.yml").chmod(0o644)                               # executable bit dropped
    return repo


@pytest.mark.parametrize("at", ["top", "folder"])
def test_a_derived_checkout_is_the_archive_for_everything_the_build_reads(tmp_path: Path, at: str,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    repo = hostile(tmp_path)
    git(tmp_path, "config", "core.autocrlf", "input")  # a work tree CRLF file looks unchanged to git
    archive, derived = both(tmp_path if at == "top" else repo, "HEAD", "" if at == "top" else "gitops")
    assert derived == archive
    assert derived["gitops/w/f.yaml"] == ("file", b"f: 1\n", False)
    assert derived["gitops/w/b.yml"][2] is True and derived["gitops/w/submodule"] == ("folder",)
    assert derived["gitops/w/outside"] == ("link", "../../other") and "other/deep" in derived
    assert ("other/o.yaml" in derived) is (at == "top")  # files outside the folder are not read
    assert "gitops/README.md" not in derived and "gitops/w/x.yaml.txt" not in derived
    no_archive(monkeypatch)
    with gitrev.checkout(repo, "HEAD", True) as made:
        assert (made / "w" / "e.yaml").read_text() == "e: 1\n" and (made / "w" / "c.yaml").is_file()


def test_only_the_blobs_that_differ_are_read_from_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = hostile(tmp_path)
    asked: list[list[str]] = []
    blobs = gitrev._blobs

    def counted(top: Path, oids: list[str]) -> dict[str, bytes] | None:
        asked.append(oids)
        return blobs(top, oids)
    monkeypatch.setattr(gitrev, "_blobs", counted)
    with gitrev.checkout(repo, "HEAD", True):
        pass
    ids = {git(tmp_path, "rev-parse", f"HEAD:gitops/{rel}") for rel in (
        "w/a.yaml", "w/c.yaml", "w/d.yaml", "w/e.yaml", "w/f.yaml", "w/g.yaml", "w/sub/h.yaml",
        "w/link.yaml", "w/outside", "w/dangling.yaml")}  # the changed files and the links (b.yml: only its mode changed)
    assert [set(a) for a in asked] == [ids]


def test_a_revision_of_another_branch_and_a_sha256_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if subprocess.run(["git", "init", "-q", "--object-format=sha256", str(tmp_path / "s")],
                      capture_output=True, check=False).returncode != 0:
        pytest.skip("this git cannot make a SHA-256 repository")
    root = tmp_path / "s"
    for i in range(5):
        (root / f"f{i}.yaml").write_text(f"i: {i}\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "one")
    (root / "f1.yaml").write_text("i: changed\n")
    git(root, "commit", "-qam", "two")
    no_archive(monkeypatch)
    with gitrev.checkout(root, "HEAD~1", True) as made:
        assert {p.name: p.read_text() for p in made.iterdir()} == {f"f{i}.yaml": f"i: {i}\n" for i in range(5)}


CONVERTING = {
    "eol=crlf": ("gitops/.gitattributes", "*.yaml text eol=crlf\n"),
    "export-ignore": ("gitops/.gitattributes", "w/sub/ export-ignore\n"),
    "export-ignore of one file": ("gitops/w/.gitattributes", "a.yaml export-ignore\n"),
    "export-subst": ("gitops/.gitattributes", "*.yaml export-subst\n"),
    "filter": ("gitops/.gitattributes", "*.yaml filter=upper\n"),
    "ident": ("gitops/.gitattributes", "*.yaml ident\n"),
    "working-tree-encoding": ("gitops/.gitattributes", "*.yaml working-tree-encoding=UTF-16\n"),
    "info/attributes": (".git/info/attributes", "*.yaml eol=crlf\n"),
    "core.autocrlf": ("", "true"),
    "core.eol": ("", "crlf"),
}


@pytest.mark.parametrize("case", sorted(CONVERTING))
def test_what_could_change_bytes_falls_back_to_the_archive(tmp_path: Path, case: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    repo = hostile(tmp_path)
    rel, text = CONVERTING[case]
    git(tmp_path, "config", "filter.upper.smudge", "tr a-z A-Z")
    (repo / "w" / "a.yaml").write_text("a: 1\n# $Format:%H$ $Id$\n")
    git(tmp_path, "commit", "-q", "-m", "subst", "gitops/w/a.yaml")
    if case.startswith("core."):
        git(tmp_path, "config", case, text)
    else:
        (tmp_path / rel).write_text(text)
        if not rel.startswith(".git/"):
            git(tmp_path, "add", rel)
            git(tmp_path, "commit", "-q", "-m", "attributes", rel)
    with gitrev.checkout(repo, "HEAD") as plain:
        archive = tree_of(plain.parent, "gitops")
    tmp = tmp_path / "scratch"
    tmp.mkdir()
    assert not gitrev._derive(tmp_path, git(tmp_path, "rev-parse", "HEAD"), "gitops", tmp / "tree", tmp)
    with gitrev.checkout(repo, "HEAD", True) as made:
        assert tree_of(made.parent, "gitops") == archive  # the archive itself, every file
    changed = {rel for rel, v in archive.items() if v[0] == "file" and v[1] != git_blob(tmp_path, rel)}
    missing = set(git(tmp_path, "ls-tree", "-r", "-t", "-z", "--name-only", "HEAD").split("\0")) - set(archive) - {""}
    assert bool(changed or missing) is (case != "core.eol")  # core.eol alone converts no file: still refused


def git_blob(top: Path, rel: str) -> bytes:
    return subprocess.run(["git", "-C", str(top), "cat-file", "blob", f"HEAD:{rel}"], capture_output=True,
                          check=True).stdout


def test_attributes_that_change_no_bytes_keep_the_derived_checkout(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    repo = hostile(tmp_path)
    (repo / ".gitattributes").write_text("*.png binary filter=lfs\n*.yaml linguist-language=YAML text eol=lf\n"
                                         "README.md export-ignore\nw/x.yaml.txt export-subst\n")
    git(tmp_path, "add", "gitops/.gitattributes")
    git(tmp_path, "commit", "-q", "-m", "attributes")
    archive, derived = both(repo, "HEAD", "gitops")
    assert derived == archive
    no_archive(monkeypatch)
    with gitrev.checkout(repo, "HEAD", True) as made:
        assert (made / "w" / "e.yaml").read_text() == "e: 1\n"


def snapshot(git_dir: Path) -> dict[str, str]:
    return {str(p.relative_to(git_dir)): hashlib.sha256(p.read_bytes()).hexdigest() + str(p.stat().st_mtime_ns)
            for p in sorted(git_dir.rglob("*")) if p.is_file()}


def test_nothing_of_the_users_repository_is_written(tmp_path: Path) -> None:
    repo = hostile(tmp_path)
    (repo / ".gitattributes").write_text("*.png binary\n")  # the base's attributes go through an index
    git(tmp_path, "add", "gitops/.gitattributes")
    git(tmp_path, "commit", "-q", "-m", "attributes")
    hook = tmp_path / ".git" / "hooks" / "post-index-change"
    hook.write_text(f"#!/bin/sh\ntouch {tmp_path / 'hook-ran'}\n")
    hook.chmod(0o755)
    git(tmp_path, "status", "--porcelain")  # the index refreshed (and the hook run) before
    (tmp_path / "hook-ran").unlink(missing_ok=True)
    before = snapshot(tmp_path / ".git"), tree_of(tmp_path)
    for rev in ("HEAD", "HEAD~1"):
        with gitrev.checkout(repo, rev, True) as made:
            assert made.is_dir()
    assert (snapshot(tmp_path / ".git"), tree_of(tmp_path)) == before
    assert not (tmp_path / "hook-ran").exists()
