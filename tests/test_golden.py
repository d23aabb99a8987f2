"""The example repository's bundles, byte for byte, against tests/golden/ (read by a human).

Regenerate after an intended change with `python -m pytest tests/test_golden.py --update-golden`,
then read the diff before committing it.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from compiler import pipeline

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"


def overlays() -> list[str | None]:
    """The base build and every Overlay document of the example repository, by name."""
    res = pipeline.specs(ROOT)
    return [None] + (res.repo.names("Overlay") if res.repo is not None else [])


def built(overlay: str | None) -> tuple[str, dict[str, str]]:
    res = pipeline.build(ROOT, overlay=overlay)
    assert [p.text() for p in res.problems if p.severity == "error"] == []
    return res.overlay, res.files


@pytest.mark.parametrize("overlay", overlays())
def test_example_bundles_match_golden(overlay: str | None, update_golden: bool) -> None:
    name, files = built(overlay)
    folder = GOLDEN / name
    if update_golden:
        shutil.rmtree(folder, ignore_errors=True)
        for rel, text in files.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_bytes(text.encode())
        return
    expected = {str(p.relative_to(folder)): p.read_bytes().decode() for p in folder.rglob("*") if p.is_file()}
    assert sorted(files) == sorted(expected), "files differ; rerun with --update-golden and read the diff"
    for rel in sorted(files):
        assert files[rel] == expected[rel], f"{name}/{rel} differs from the golden file"
