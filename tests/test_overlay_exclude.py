"""excludeWorkloads: an environment that cannot run some workloads leaves them out, visibly."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from compiler import parallel, pipeline

BASE = Path(__file__).resolve().parent / "invalid" / "_base"
WORKLOAD = "apiVersion: wlc.dev/v1alpha1\nkind: TrainingWorkload\nmetadata:\n  name: {name}\nspec:\n  image: x\n"


def repo(tmp_path: Path, names: list[str], exclude: str) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(BASE, root)
    (root / "workloads" / "vision").mkdir(parents=True)
    for name in names:
        (root / "workloads" / "vision" / f"{name}.yaml").write_text(WORKLOAD.format(name=name))
    (root / "overlay.yaml").write_text("apiVersion: wlc.dev/v1alpha1\nkind: Overlay\nmetadata:\n  name: small\n"
                                       "spec:\n  excludeWorkloads:\n" + exclude)
    return root


def test_selected_workloads_are_left_out_and_listed_in_the_index(tmp_path: Path) -> None:
    res = pipeline.build(repo(tmp_path, ["a", "big-1", "big-2"], "    - names: [big-*]\n"), overlay="small")
    assert [p.text() for p in res.problems] == []
    assert [b.name for b in res.bundles] == ["a"]
    index = json.loads(res.files["index.json"])
    assert [(e["name"], e["excludedBy"]) for e in index["excluded"]] == [
        ("big-1", "overlay.yaml:7"), ("big-2", "overlay.yaml:7")]


def test_all_conditions_of_an_entry_must_hold(tmp_path: Path) -> None:
    res = pipeline.build(repo(tmp_path, ["a", "b"], "    - names: [a]\n      projects: [nlp]\n"), overlay="small")
    assert sorted(b.name for b in res.bundles) == ["a", "b"]


def test_base_build_is_unaffected(tmp_path: Path) -> None:
    res = pipeline.build(repo(tmp_path, ["a", "big-1"], "    - names: [big-*]\n"))
    assert sorted(b.name for b in res.bundles) == ["a", "big-1"]
    assert "excluded" not in json.loads(res.files["index.json"])


def test_parallel_build_lists_the_same_exclusions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 4)
    monkeypatch.setattr(parallel, "WARMUP", 1)
    root = repo(tmp_path, [f"w{i}" for i in range(8)] + ["big-1", "big-2"], "    - names: [big-*]\n")
    seq = pipeline.build(root, overlay="small").files
    assert pipeline.build(root, overlay="small", jobs=2).files == seq
