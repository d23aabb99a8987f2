"""Same inputs, byte-identical bundles: whatever the file order, hash seed, locale, time zone
or the folder the repository sits in."""
from __future__ import annotations

import hashlib
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from compiler import load, pipeline
from compiler.problems import Problem

ROOT = Path(__file__).resolve().parent.parent


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def build_in_subprocess(repo: Path, out: Path, env: dict[str, str]) -> dict[str, str]:
    full = {**os.environ, **env}
    subprocess.run([sys.executable, "-m", "compiler.cli", "build", "--repo", str(repo), "--out", str(out)],
                   check=True, env=full, cwd=ROOT, capture_output=True)
    return digest(out)


def copy_repo(dest: Path) -> Path:
    shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(".git", ".venv", "build", "tests", "__pycache__",
                                                              "*.egg-info", ".*cache*"))
    return dest


def test_hash_seed_locale_timezone_and_location_do_not_change_bytes(tmp_path: Path) -> None:
    first = build_in_subprocess(ROOT, tmp_path / "a", {"PYTHONHASHSEED": "1", "TZ": "UTC", "LC_ALL": "C"})
    elsewhere = copy_repo(tmp_path / "some where" / "repo")
    second = build_in_subprocess(elsewhere, tmp_path / "b",
                                 {"PYTHONHASHSEED": "4242", "TZ": "Asia/Kolkata", "LC_ALL": "C.UTF-8"})
    assert first == second and first


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_file_order_does_not_change_bytes(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    reference = pipeline.build(ROOT).files
    real = load.discover

    def shuffled(root: Path, exclude: list[str]) -> tuple[list[str], list[Problem]]:
        files, problems = real(root, exclude)
        random.Random(seed).shuffle(files)
        return files, problems

    monkeypatch.setattr(load, "find_yaml_files", shuffled)
    assert pipeline.build(ROOT).files == reference


def test_emitted_documents_read_back_the_same_in_yaml_1_1_and_1_2() -> None:
    import io

    import yaml
    ruamel = pytest.importorskip("ruamel.yaml")
    res = pipeline.build(ROOT)
    reader = ruamel.YAML(typ="safe", pure=True)
    for b in res.bundles:
        text = res.files[b.relpath]
        assert list(yaml.safe_load_all(text)) == b.objects
        assert [_plain(d) for d in reader.load_all(io.StringIO(text))] == b.objects


def _plain(data: object) -> object:
    if isinstance(data, dict):
        return {str(k): _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    return data
