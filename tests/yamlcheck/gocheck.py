"""Python side of yamlcheck: build it (build.sh, cached outside the repository) and read YAML
texts with it, many per process call.

    from gocheck import GoReader
    reader = GoReader.build()          # None when there is no Go toolchain
    reader.read(["---\\na: 1\\n"])      # [{"docs": [{"a": 1}]}]
"""
from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BUILD_SH = HERE / "build.sh"


class BuildError(RuntimeError):
    """build.sh failed: the message holds its output."""


@dataclass(frozen=True)
class GoReader:
    binary: Path

    @classmethod
    def build(cls) -> GoReader | None:
        """The reader, built when missing; None without Go on PATH."""
        if shutil.which("go") is None:
            return None
        proc = subprocess.run(["bash", str(BUILD_SH)], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise BuildError(f"tests/yamlcheck/build.sh failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
        return cls(Path(proc.stdout.strip().splitlines()[-1]))

    def read(self, texts: list[str]) -> list[dict[str, Any]]:
        """Per text, {"docs": [each document as JSON data]} or {"error": message}."""
        proc = subprocess.run([str(self.binary)], input=json.dumps(texts), capture_output=True, text=True,
                              check=True)
        results: list[dict[str, Any]] = json.loads(proc.stdout)
        return results

    def read_files(self, paths: list[Path]) -> list[dict[str, Any]]:
        proc = subprocess.run([str(self.binary), *map(str, paths)], capture_output=True, text=True, check=True)
        results: list[dict[str, Any]] = json.loads(proc.stdout)
        return results


def same_json(a: Any, b: Any) -> bool:
    """Equal as JSON data: numbers by value (JSON has one number type: Go writes the float
    5.643427878180929e+16 as 56434278781809290), everything else by type."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b) if isinstance(a, float) or isinstance(b, float) else a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and bool(a == b)
