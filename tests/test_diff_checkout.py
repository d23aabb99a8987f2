"""A revision as the diff checks it out (``gitrev.checkout``): the commit's tree as ``git archive``
holds it, whatever the work tree holds (modified, deleted, renamed, untracked, assume-unchanged or
CRLF files, links, a folder where a file was), at the top of the repository or in a folder of it,
in a SHA-256 repository and from another branch; nothing of the user's repository is written,
and the temporary folder is gone afterwards. Real git throughout."""
from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from compiler import gitrev
from tests.diffkit import git

Tree = dict[str, tuple[object, ...]]


def tree_of(root: Path) -> Tree:
    """Each path under ``root``: folders, links (their targets) and files (bytes, executable)."""
    out: Tree = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root)
            if os.path.islink(path):
                out[rel] = ("link", os.readlink(path))
            elif os.path.isdir(path):
                out[rel] = ("folder",)
            else:
                out[rel] = ("file", Path(path).read_bytes(), os.access(path, os.X_OK))
    return out


def committed(top: Path, rev: str, prefix: str = "") -> Tree:
    """What the commit holds under ``prefix``, from git's own listing and blobs (a submodule is
    an empty folder, as in an archive)."""
    listing = git(top, "ls-tree", "-r", "-t", "-z", rev, *([prefix] if prefix else []))
    out: Tree = {}
    for record in filter(None, listing.split("\0")):
        meta, path = record.split("\t", 1)
        mode, _kind, oid = meta.split()
        rel = os.path.relpath(path, prefix) if prefix else path
        if rel == ".":
            continue
        blob = subprocess.run(["git", "-C", str(top), "cat-file", "-p", oid], capture_output=True,
                              check=True).stdout if mode not in ("040000", "160000") else b""
        if mode in ("040000", "160000"):
            out[rel] = ("folder",)
        elif mode == "120000":
            out[rel] = ("link", blob.decode())
        else:
            out[rel] = ("file", blob, mode == "100755")
    return out


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
def test_the_checkout_is_the_commit_whatever_the_work_tree_holds(tmp_path: Path, at: str) -> None:
    repo = hostile(tmp_path)
    git(tmp_path, "config", "core.autocrlf", "input")  # a work tree CRLF file looks unchanged to git
    folder, prefix = (tmp_path, "") if at == "top" else (repo, "gitops")
    with gitrev.checkout(folder, "HEAD") as made:
        found = tree_of(made)
        scratch = made
    assert found == committed(tmp_path, "HEAD", prefix)
    inside = "" if at == "folder" else "gitops/"
    assert found[f"{inside}w/f.yaml"] == ("file", b"f: 1\n", False)  # LF as committed, not the work tree's CRLF
    assert found[f"{inside}w/e.yaml"][1] == b"e: 1\n" and f"{inside}w/c.yaml" in found  # assume-unchanged, deleted
    assert f"{inside}w/new.yaml" not in found and f"{inside}w/moved-d.yaml" not in found
    assert found[f"{inside}w/b.yml"][2] is True and found[f"{inside}w/submodule"] == ("folder",)
    assert found[f"{inside}w/outside"] == ("link", "../../other")
    assert ("other/o.yaml" in found) is (at == "top")
    assert not scratch.exists()


def test_a_revision_of_another_branch_and_a_sha256_repository(tmp_path: Path) -> None:
    if subprocess.run(["git", "init", "-q", "--object-format=sha256", str(tmp_path / "s")],
                      capture_output=True, check=False).returncode != 0:
        pytest.skip("this git cannot make a SHA-256 repository")
    root = tmp_path / "s"
    for i in range(5):
        (root / f"f{i}.yaml").write_text(f"i: {i}\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "one")
    git(root, "checkout", "-q", "-b", "other")
    (root / "f1.yaml").write_text("i: changed\n")
    git(root, "commit", "-qam", "two")
    git(root, "checkout", "-q", "-")
    with gitrev.checkout(root, "other") as made:
        assert {p.name: p.read_text() for p in made.iterdir()} == {
            f"f{i}.yaml": "i: changed\n" if i == 1 else f"i: {i}\n" for i in range(5)}
    with gitrev.checkout(root, "HEAD") as made:
        assert (made / "f1.yaml").read_text() == "i: 1\n"


def test_an_attribute_that_converts_line_ends_gives_the_archives_bytes(tmp_path: Path) -> None:
    repo = hostile(tmp_path)
    (repo / ".gitattributes").write_text("*.yaml text eol=crlf\n")
    git(tmp_path, "add", "gitops/.gitattributes")
    git(tmp_path, "commit", "-q", "-m", "attributes")
    with gitrev.checkout(repo, "HEAD") as made:
        assert (made / "w" / "e.yaml").read_bytes() == b"e: 1\r\n"  # what git archive writes, as a checkout would


def snapshot(git_dir: Path) -> dict[str, str]:
    return {str(p.relative_to(git_dir)): hashlib.sha256(p.read_bytes()).hexdigest() + str(p.stat().st_mtime_ns)
            for p in sorted(git_dir.rglob("*")) if p.is_file()}


def test_nothing_of_the_users_repository_is_written(tmp_path: Path) -> None:
    repo = hostile(tmp_path)
    (repo / ".gitattributes").write_text("*.png binary\n")
    git(tmp_path, "add", "gitops/.gitattributes")
    git(tmp_path, "commit", "-q", "-m", "attributes")
    hook = tmp_path / ".git" / "hooks" / "post-index-change"
    hook.write_text(f"#!/bin/sh\ntouch {tmp_path / 'hook-ran'}\n")
    hook.chmod(0o755)
    git(tmp_path, "status", "--porcelain")  # the index refreshed (and the hook run) before
    (tmp_path / "hook-ran").unlink(missing_ok=True)
    before = snapshot(tmp_path / ".git"), tree_of(tmp_path)
    for rev in ("HEAD", "HEAD~1"):
        with gitrev.checkout(repo, rev) as made:
            assert made.is_dir()
    assert (snapshot(tmp_path / ".git"), tree_of(tmp_path)) == before
    assert not (tmp_path / "hook-ran").exists()
