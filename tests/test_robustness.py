"""Bad input never crashes the compiler: randomly damaged example files (values of the wrong
type, deleted or duplicated lines, broken indentation) give problems, never an exception or a
`bug.*` problem. Deterministic seeds; a failure prints the damaged text to reproduce it."""
from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from compiler import pipeline
from compiler.problems import ConfigError

ROOT = Path(__file__).resolve().parent.parent
VALUES = ["", "0", "-1", "1.5", "true", "null", "[]", "{}", "x" * 70, "'SECRET:a'", "[1, {a: b}]",
          "{value: 3}", "~", "0.5", "99999999999999999999", "Always", "1Gi", "-2Gi", "é", "{items: {a: {deleted: true}}}"]


def damage(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    for _ in range(rng.randint(1, 3)):
        if not lines:
            break
        i = rng.randrange(len(lines))
        op = rng.random()
        if op < 0.5 and ":" in lines[i]:
            lines[i] = f"{lines[i].split(':', 1)[0]}: {rng.choice(VALUES)}"
        elif op < 0.7:
            del lines[i]
        elif op < 0.85:
            lines.insert(i, lines[rng.randrange(len(lines))])
        else:
            lines[i] = " " * rng.randint(0, 6) + lines[i].lstrip()
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("robust") / "repo"
    for part in ("wlc.yaml", "examples", "policies", "overlays"):
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part)
        else:
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, dest / part)
    return dest


@pytest.mark.parametrize("seed", range(80))
def test_damaged_input_gives_problems_not_crashes(repo: Path, seed: int) -> None:
    rng = random.Random(seed)
    files = sorted(p for p in repo.rglob("*.yaml"))
    target = rng.choice(files)
    original = target.read_text()
    broken = damage(original, rng)
    target.write_text(broken)
    try:
        res = pipeline.build(repo, overlay=rng.choice([None, "prod", "native"]))
    except ConfigError:
        return  # a usage/configuration error (exit 2), reported in one line
    finally:
        target.write_text(original)
    bugs = [p.text() for p in res.problems if p.code.startswith("bug")]
    assert bugs == [], f"{target.relative_to(repo)} damaged as:\n{broken}"
