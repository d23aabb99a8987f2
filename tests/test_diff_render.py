"""``wlc diff`` output: the markdown comment (one table, collapsible details, bounded, escaped)
and golden markdown / JSON outputs of one change set, compared without git (two folders)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from compiler import diff, pipeline
from tests.diffkit import ORG, doc, policy
from tests.nameskit import make_repo

GOLDEN = Path(__file__).parent / "data" / "diff-golden"
PVC = {"claimName": "scratch", "path": "/scratch", "claimInfo": {"size": "10Gi", "accessModes": {"readWriteOnce": True}}}
BASE = {
    "policies/vision.yaml": policy("vision-defaults", "vision", {"compute": {"cpuCoreRequest": 1}}),
    "workloads/vision/train.yaml": doc("Training", "train", compute={"gpuDevicesRequest": 2}),
    "workloads/vision/notebook.yaml": doc("Interactive", "notebook", storage={"pvc": [PVC]}),
    "workloads/nlp/old.yaml": doc("Training", "old"),
    "workloads/nlp/steady.yaml": doc("Training", "steady"),
}
HEAD = {
    "policies/vision.yaml": policy("vision-defaults", "vision", {"compute": {"cpuCoreRequest": 2}}),
    "workloads/vision/train.yaml": doc("Training", "train", compute={"gpuDevicesRequest": 4}),
    "workloads/vision/notebook.yaml": doc("Interactive", "notebook"),
    "workloads/nlp/new.yaml": doc("Training", "new", active=False),
    "workloads/nlp/steady.yaml": doc("Training", "steady"),
}


def _diff(tmp_path: Path, base: dict[str, str], head: dict[str, str]) -> diff.Diff:
    results = []
    for name, files in (("base", base), ("head", head)):
        res = pipeline.build(make_repo(tmp_path / name, files, org=ORG), None, 1)
        side = diff.Side(name, ok=res.ok, errors=tuple(p for p in res.problems if p.severity == "error"))
        results.append((side, diff.snapshot(res)))
    (bs, before), (hs, after) = results
    return diff.Diff("main", "feature", (diff.compare("base", bs, hs, before, after),))


@pytest.mark.parametrize("fmt", ["markdown", "json", "text"])
def test_golden_outputs(tmp_path: Path, fmt: str, update_golden: bool) -> None:
    out = diff.render(_diff(tmp_path, BASE, HEAD), fmt)
    golden = GOLDEN / f"change-set.{ {'markdown': 'md', 'json': 'json', 'text': 'txt'}[fmt] }"
    if update_golden:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(out)
    assert out == golden.read_text()


def test_markdown_is_one_table_then_details_per_workload(tmp_path: Path) -> None:
    out = diff.render(_diff(tmp_path, BASE, HEAD), "markdown")
    assert out.count("| overlay | workload |") == 1 and out.count("<details>") == 4 == out.count("</details>")
    row = next(line for line in out.splitlines() if "runai-vision/train" in line and line.startswith("|"))
    assert "⚠️ recreate" in row and "<code>policies/vision.yaml</code>" in row
    assert "| base | vision | a100 | 2 | 4 |" in out


def test_markdown_is_bounded_and_says_what_was_cut(tmp_path: Path) -> None:
    many = {f"workloads/vision/w{i}.yaml": doc("Training", f"w{i}") for i in range(40)}
    pol = {"compute": {"cpuCoreRequest": 1}}
    d = _diff(tmp_path, {**many, "policies/v.yaml": policy("v", "vision", pol)},
              {**many, "policies/v.yaml": policy("v", "vision", {"compute": {"cpuCoreRequest": 3}})})
    full = diff.render(d, "markdown", limit=1_000_000)
    assert full.count("<details>") == 40 and len(full) > 20_000
    cut = diff.render(d, "markdown", limit=12_000)
    assert len(cut) <= 12_000 and 0 < cut.count("<details>") < 40
    assert cut.count("<details>") == cut.count("</details>")
    assert "details of" in cut and "cut: the comment is bounded to 12000 characters" in cut
    tiny = diff.render(d, "markdown", limit=3_000)
    assert len(tiny) <= 3_000 and "more row(s) not shown" in tiny


def test_markdown_escapes_file_names_and_keeps_the_fence_closed(tmp_path: Path) -> None:
    odd = "workloads/nlp/a|<b>x.yaml"
    base = {odd: doc("Training", "a", command="echo ```")}
    head = {odd: doc("Training", "a", command="echo ```!")}
    out = diff.render(_diff(tmp_path, base, head), "markdown")
    prose = re.sub(r"\n(`{3,})diff\n.*?\n\1\n", "", out, flags=re.DOTALL)  # HTML is not read inside a fence
    assert "<b>" not in prose and "&lt;b&gt;" in prose and "```diff" not in prose
    row = next(line for line in out.splitlines() if "runai-nlp/a" in line and line.startswith("|"))
    assert row.count("|") == 7
    assert "\n````diff\n" in out and "\n````\n" in out


def test_json_counts_and_differs(tmp_path: Path) -> None:
    body = json.loads(diff.render(_diff(tmp_path, BASE, HEAD), "json"))
    assert body["differs"] is True
    assert body["overlays"][0]["counts"] == {"added": 1, "removed": 1, "changed": 2, "unchanged": 1}
    same = json.loads(diff.render(_diff(tmp_path / "same", BASE, BASE), "json"))
    assert same["differs"] is False and same["overlays"][0]["changes"] == []
