"""A small repository to build, and a checker that a bundle folder is whole (tests/test_outdir*)."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from click.testing import CliRunner

from compiler.cli import main

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "tests" / "invalid" / "_base"

TRAINING = """apiVersion: wlc.dev/v1alpha1
kind: TrainingWorkload
metadata:
  name: {name}
spec:
  image: {image}
  command: python -c 1
"""
OVERLAY = """apiVersion: wlc.dev/v1alpha1
kind: Overlay
metadata:
  name: {name}
spec:
  commonLabels:
    example.com/env: {name}
"""


def make_repo(repo: Path, workloads: int = 2, image: str = "python:3.12", overlays: tuple[str, ...] = ()) -> Path:
    """A repository with ``workloads`` Training workloads in project vision, and overlays."""
    if not repo.exists():
        shutil.copytree(BASE, repo)
    folder = repo / "workloads" / "vision"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for i in range(workloads):
        (folder / f"t{i}.yaml").write_text(TRAINING.format(name=f"t{i}", image=image))
    for name in overlays:
        (repo / "overlays" / name).mkdir(parents=True, exist_ok=True)
        (repo / "overlays" / name / "overlay.yaml").write_text(OVERLAY.format(name=name))
    return repo


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (followed through symlinks), by relative path."""
    out: dict[str, bytes] = {}
    for dirpath, _, files in os.walk(folder, followlinks=True):
        for name in files:
            path = Path(dirpath) / name
            out[path.relative_to(folder).as_posix()] = path.read_bytes()
    return out


def whole_bundle(folder: Path) -> str | None:
    """None when ``folder`` is one whole bundle: index.json lists exactly the files present and
    every file's hash matches; else what is wrong. Reads through one resolution of ``folder``."""
    root = Path(os.path.realpath(folder))
    try:
        files = tree(root)
        index = json.loads(files.pop("index.json"))
    except (OSError, KeyError, ValueError) as err:
        return f"no readable index.json: {err!r}"
    entries = index["workloads"] + index.get("organisation", {}).get("files", [])  # _organisation/ (issue 11)
    listed = {w["file"]: w["fileHash"] for w in entries}
    if set(listed) != set(files):
        return f"index lists {sorted(listed)}, folder has {sorted(files)}"
    for rel, want in listed.items():
        if "sha256:" + hashlib.sha256(files[rel]).hexdigest() != want:
            return f"{rel}: hash differs from index.json"
    return None
