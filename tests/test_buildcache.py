"""Shared per-workload results (compiler/buildcache.py): a build that takes them is byte-identical
to a clean build, over the examples and a generated repository, every overlay, and through the
diff's two-process path (``pending`` then ``finish``)."""
from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from compiler import config, pipeline
from compiler.buildcache import Built, Deferred, Shared
from compiler.diff.builds import Results, Revision, finish, pending
from compiler.emit import render
from compiler.model import ResolvedWorkload, Target
from compiler.overlay import Chain
from tests.bench_build import make_repo

ROOT = Path(__file__).resolve().parent.parent
OVERLAYS = [None, *sorted(p.name for p in (ROOT / "overlays").iterdir() if p.is_dir())]


def files(res: pipeline.Result) -> dict[str, str]:
    """The overlay folder ``pipeline.build`` would write for ``res`` (a check's result)."""
    return render(res.overlay, config.target_settings(res.target), res.bundles, res.excluded, res.organisation)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 workloads cycling through the examples, with this repository's policies and overlays."""
    root = tmp_path_factory.mktemp("generated")
    make_repo(root, 60)
    for folder in ("policies", "overlays"):
        shutil.copytree(ROOT / folder, root / folder)
    return root


def assert_same_as_clean(root: Path, overlay: str | None) -> None:
    clean = pipeline.build(root, overlay)
    assert clean.bundles
    shared = Results()
    first = pipeline.check(root, overlay, shared=shared)
    again = pipeline.check(root, overlay, shared=shared)
    assert shared.misses == len(first.workloads) == shared.hits
    for res in (first, again):
        assert files(res) == clean.files
        assert res.problems == clean.problems
    side, build = finish(pending(overlay, Revision(root, None, "x")), shared)  # the diff's base path
    assert build is not None and side.ok == clean.ok
    assert list(side.errors) == [p for p in clean.problems if p.severity == "error"]
    assert {k: b.docs for k, b in build.bundles.items()} == {(b.namespace, b.name): b.docs for b in clean.bundles}
    assert build.specs == {}  # every result was known: no workload was built again


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_examples_built_with_shared_results_are_byte_identical_to_a_clean_build(overlay: str | None) -> None:
    assert_same_as_clean(ROOT, overlay)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_a_generated_repository_built_with_shared_results_is_byte_identical(generated: Path,
                                                                          overlay: str | None) -> None:
    assert_same_as_clean(generated, overlay)


def test_the_deferred_half_gives_the_problems_of_a_clean_check(tmp_path: Path) -> None:
    """``pending`` + ``finish`` report what ``pipeline.check`` reports, also the checks across
    bundles (here two workloads that emit one PersistentVolumeClaim) and stage 8-10 errors."""
    root = tmp_path
    make_repo(root, 20)
    original = next(p for p in sorted((root / "examples" / "workloads").glob("*/*.yaml"))
                    if "claimName: w" in p.read_text())
    (original.parent / "copy.yaml").write_text(original.read_text().replace("  name: ", "  name: copy-", 1))
    clean = pipeline.check(root)
    assert any(p.code == "bundle.duplicate-object" for p in clean.problems)
    side, build = finish(pending(None, Revision(root, None, "x")), Results())
    assert build is not None
    assert list(side.errors) == [p for p in clean.problems if p.severity == "error"]
    assert {k: b.docs for k, b in build.bundles.items()} == {(b.namespace, b.name): b.docs for b in clean.bundles}


def test_a_deferred_build_makes_no_bundle_and_records_every_workload() -> None:
    deferred = Deferred()
    res = pipeline.check(ROOT, shared=deferred)
    assert res.bundles == [] and deferred.hits == deferred.misses == 0
    assert len(deferred.records) == len(pipeline.specs(ROOT).workloads)


def test_values_that_are_equal_but_emit_differently_are_other_keys() -> None:
    """``1 == 1.0 == True`` in Python, but each is written as other YAML: the key tells them apart."""
    rw = pipeline.specs(ROOT).workloads[0]
    shared, calls = Shared(), []

    def build(w: ResolvedWorkload, target: Target, chain: Chain | None) -> Built:
        calls.append(w.spec["x"])
        return None, []
    for value in (1, 1.0, True, 1):
        shared.bundle(replace(rw, spec={**rw.spec, "x": value}), Target(), None, build)
    assert calls == [1, 1.0, True] and shared.hits == 1


def test_the_target_and_the_chain_are_part_of_the_key() -> None:
    rw = pipeline.specs(ROOT).workloads[0]
    shared, calls = Shared(), []

    def build(w: ResolvedWorkload, target: Target, chain: Chain | None) -> Built:
        calls.append(target.scheduler if chain is None else chain.name)
        return None, []
    for target, chain in ((Target(), None), (Target(scheduler="kueue"), None), (Target(), Chain("prod")),
                          (Target(), Chain("prod")), (Target(), None)):
        shared.bundle(rw, target, chain, build)
    assert calls == ["default", "kueue", "prod"] and shared.hits == 2
