"""A parallel build gives the same bytes and the same problems as a sequential one."""
from __future__ import annotations

from pathlib import Path

import pytest

from compiler import parallel, pipeline
from tests import bench_build


@pytest.fixture
def small_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 10)
    monkeypatch.setattr(parallel, "WARMUP", 3)


def test_parallel_build_is_byte_identical(tmp_path: Path, small_thresholds: None) -> None:
    bench_build.make_repo(tmp_path, 40)
    seq = pipeline.build(tmp_path)
    par = pipeline.build(tmp_path, jobs=2)
    assert [p.text() for p in par.problems] == [p.text() for p in seq.problems]
    assert par.files == seq.files
    assert len(par.bundles) == 40


def test_duplicate_across_partitions_is_reported_once(tmp_path: Path, small_thresholds: None) -> None:
    bench_build.make_repo(tmp_path, 20)
    folder = tmp_path / "examples" / "workloads"
    first = min(folder.glob("vision/*.yaml"))
    (folder / "vision" / "zz-copy.yaml").write_text(first.read_text())
    seq = [p.text() for p in pipeline.build(tmp_path).problems]
    par = [p.text() for p in pipeline.build(tmp_path, jobs=2).problems]
    assert par == seq
    assert len([t for t in par if "defined twice" in t]) == 1


def test_object_emitted_by_two_workloads_in_different_partitions(tmp_path: Path, small_thresholds: None) -> None:
    bench_build.make_repo(tmp_path, 20)
    folder = tmp_path / "examples" / "workloads" / "vision"
    source = next(p for p in sorted(folder.glob("*.yaml")) if "claimName:" in p.read_text()
                  and "existingPvc" not in p.read_text())
    (folder / "zz-other.yaml").write_text(source.read_text().replace(f"name: {source.stem}\n", "name: zz-other\n", 1))
    seq = [p.text() for p in pipeline.build(tmp_path).problems]
    par = [p.text() for p in pipeline.build(tmp_path, jobs=2).problems]
    assert par == seq
    assert any("bundle.duplicate-object" in t for t in par)
