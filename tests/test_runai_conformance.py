"""Run:ai documentation conformance: every case in tests/data/runai-docs/cases/ (one test id each).

Each case is a small wlc repository built from an example copied verbatim from Run:ai's public
documentation (tests/data/runai-docs/INDEX.md gives its source path and commit) plus
`expect.yaml`: what the docs say must happen. The case format is described in
tests/data/runai-docs/README.md; the keys read here:

- expect: accept (validate and build exit 0, then `checks` / `explain` hold), reject (validate
  exits 1 with every `reject_contains`), clean (exit 0 or 1, every problem located), flagged
  (exit 1, or exit 0 with a warning); `warn_contains` must appear in any case;
- import: `wlc import runai FILES` accepted or rejected, its output containing `contains`.

The cases were made in ../shared/conformance/runai-docs/ (beside the repository in CI); the copy
here keeps the suite independent of it, and test_copy_matches_shared says when the two drift.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from compiler.cli import main

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "runai-docs"
CASES = DATA / "cases"
SHARED = ROOT.parent / "shared" / "conformance" / "runai-docs"
MISSING: Any = object()
LOCATED = re.compile(r"^[^:\s][^:]*:\d+:\d+: (error|warning)\[[\w.-]+\]: ")
STEP = re.compile(r"[^.\[\]]+|\[[^\]]*\]")

# Cases whose documented behaviour wlc deliberately does not follow, with the reason.
KNOWN: dict[str, str] = {
    "capi-template-jupyter-defaults": (
        "documented limitation (docs/runai-import.md): spec.jupyter is Run:ai's built-in Jupyter "
        "tool, which wlc does not have; it is refused with runai.unmappable"),
}

# A Run:ai cluster mounts S3 data sources itself; the cases' target stands for one, so the runner
# gives it an S3 CSI driver (target.s3, docs/targets.md "S3 data sources"). The name is a stand-in:
# Run:ai's docs do not name the mechanism, and the cases check the bucket and URL, not the driver.
S3_TARGET = "    s3: {csiDriver: s3.csi.example.com}\n"


def with_s3_driver(repo: Path) -> None:
    """Add ``S3_TARGET`` under the case's ``spec.target`` (every case's wlc.yaml has one)."""
    config = repo / "wlc.yaml"
    text = config.read_text()
    assert "\n  target:\n" in text and "\n    s3:" not in text, "the case's wlc.yaml changed shape"
    config.write_text(text.replace("\n  target:\n", "\n  target:\n" + S3_TARGET, 1))


def case_names() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if (p / "expect.yaml").is_file())


def wlc(repo: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=True)
    text = result.stdout + result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        text += f"\nTraceback: {result.exception!r}"
    return result.exit_code, text


def walk(obj: Any, path: str) -> Any:
    """Follow a.b[0].c[key=value]['dotted.key'] below obj; MISSING when a step is absent."""
    for part in STEP.findall(path):
        if part.startswith(("['", '["')):
            obj = obj.get(part[2:-2], MISSING) if isinstance(obj, dict) else MISSING
        elif part.startswith("["):
            obj = list_step(obj, part[1:-1])
        else:
            obj = obj.get(part, MISSING) if isinstance(obj, dict) else MISSING
        if obj is MISSING:
            return MISSING
    return obj


def list_step(obj: Any, inner: str) -> Any:
    if not isinstance(obj, list):
        return MISSING
    if "=" in inner:
        key, value = inner.split("=", 1)
        hits = [x for x in obj if isinstance(x, dict) and str(x.get(key)) == value]
        return hits[0] if hits else MISSING
    index = int(inner)
    return obj[index] if index < len(obj) else MISSING


def leaves(obj: Any) -> list[str]:
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in leaves(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in leaves(v)]
    return [str(obj)]


def pod_templates(obj: dict[str, Any]) -> dict[str, Any]:
    """Role -> pod template of a workload object."""
    spec = obj.get("spec") or {}
    kind = obj.get("kind")
    knative = kind == "Service" and str(obj.get("apiVersion", "")).startswith("serving.knative.dev")
    if kind in ("Job", "StatefulSet", "Deployment") or knative:
        return {"": spec["template"]} if isinstance(spec.get("template"), dict) else {}
    for key in ("pytorchReplicaSpecs", "tfReplicaSpecs", "mpiReplicaSpecs", "xgbReplicaSpecs"):
        if key in spec:
            return {role: rs.get("template", {}) for role, rs in spec[key].items()}
    if kind == "InferenceService":
        return {"": {"metadata": {}, "spec": spec.get("predictor", {})}}
    return {}


def select(objs: list[dict[str, Any]], sel: str) -> Any:
    what, _, rest = sel.partition(":")
    if what not in ("pod", "container", "env"):
        kind, _, name = sel.partition("/")
        hits = [o for o in objs if o.get("kind") == kind and o["metadata"].get("name") == name]
        return hits[0] if hits else MISSING
    workload, role, index = [*rest.split(":"), "", "0"][:3]
    for obj in objs:
        temps = pod_templates(obj)
        if obj["metadata"].get("labels", {}).get("wlc.dev/workload") != workload or not temps:
            continue
        pod = temps.get(role, MISSING) if role else next(iter(temps.values()))
        return MISSING if pod is MISSING else from_pod(pod, what, int(index or 0))
    return MISSING


def from_pod(pod: dict[str, Any], what: str, index: int) -> Any:
    if what == "pod":
        return pod
    containers = pod.get("spec", {}).get("containers") or []
    if index >= len(containers):
        return MISSING
    if what == "container":
        return containers[index]
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in containers[index].get("env") or []}


def judge(got: Any, c: dict[str, Any]) -> str | None:
    """None when the value meets the check, else why not."""
    if "absent" in c:
        return None if got is MISSING else f"expected absent, got {got!r}"
    if got is MISSING:
        return "missing"
    if "eq" in c and got != c["eq"] and str(got) != str(c["eq"]):
        return f"expected {c['eq']!r}, got {got!r}"
    if "gt" in c and not (isinstance(got, (int, float, str)) and is_above(got, c["gt"])):
        return f"expected more than {c['gt']!r}, got {got!r}"
    if "in" in c and str(got) not in [str(x) for x in c["in"]]:
        return f"expected one of {c['in']!r}, got {got!r}"
    for want in as_list(c.get("contains")):
        if not contains(got, want):
            return f"{want!r} not in {got!r}"
    for want in as_list(c.get("deep")):
        if str(want) not in leaves(got):
            return f"{want!r} found nowhere below {c.get('path') or c['obj']}"
    for key in c.get("keys_exclude", []):
        if (isinstance(got, dict) and key in got) or (isinstance(got, list) and key in leaves(got)):
            return f"{key!r} should not be present"
    return None


def is_above(got: Any, bound: Any) -> bool:
    try:
        return float(got) > float(bound)
    except ValueError:
        return False


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def contains(got: Any, want: Any) -> bool:
    if isinstance(got, str):
        return str(want) in got
    if isinstance(got, (list, dict)):
        return want in got or str(want) in [str(x) for x in got]
    return False


def check_one(objs: list[dict[str, Any]], check: dict[str, Any]) -> str | None:
    errors = []
    for alt in check.get("any", [check]):
        base = select(objs, alt["obj"])
        err = judge(MISSING if base is MISSING else walk(base, alt.get("path", "")), alt)
        if err is None:
            return None
        errors.append(f"{alt['obj']} {alt.get('path', '')}: {err}")
    return "; ".join(errors) + (f" ({check['why']})" if check.get("why") else "")


def validate_stage(repo: Path, exp: dict[str, Any]) -> None:
    rc, out = wlc(repo, "validate")
    assert "Traceback" not in out, out
    for s in exp.get("warn_contains", []):
        assert s in out, f"expected a problem mentioning {s!r}:\n{out}"
    want = exp["expect"]
    if want == "reject":
        assert rc == 1, f"expected rejection, validate exit {rc}:\n{out}"
        for s in exp.get("reject_contains", []):
            assert s in out, f"rejected, but not with {s!r}:\n{out}"
    elif want == "flagged":
        assert rc == 1 or "warning[" in out, f"accepted silently (exit {rc}, no warning):\n{out}"
    elif want == "clean":
        assert rc in (0, 1), out
        bad = [ln for ln in out.splitlines()
               if ("error[" in ln or "warning[" in ln) and not LOCATED.match(ln)]
        assert not bad, f"unlocated problem: {bad}"
    else:
        assert want == "accept", want
        assert rc == 0, f"rejected (validate exit {rc}):\n{out}"


def build_stage(repo: Path, out: Path, exp: dict[str, Any]) -> None:
    rc, text = wlc(repo, "build", "--out", str(out))
    assert rc == 0, f"build exit {rc}:\n{text}"
    objs = [o for f in sorted(out.glob("*/*/*.yaml")) for o in yaml.safe_load_all(f.read_text()) if o]
    failures = [e for c in exp.get("checks", []) if (e := check_one(objs, c))]
    for c in exp.get("explain", []):
        rc, text = wlc(repo, "explain", c["workload"], "--format", "json")
        assert rc == 0, f"explain {c['workload']} exit {rc}:\n{text}"
        err = judge(walk(json.loads(text).get("spec", {}), c["field"].removeprefix("spec.")), c)
        if err:
            failures.append(f"explain {c['workload']} {c['field']}: {err}")
    assert not failures, "\n".join(failures)


def import_stage(repo: Path, imp: dict[str, Any]) -> None:
    rc, out = wlc(repo, "import", "runai", *imp["files"])
    assert "Traceback" not in out, out
    if imp["expect"] == "accept":
        assert rc == 0, f"import exit {rc}:\n{out}"
    else:
        assert rc != 0, f"import accepted, expected an error:\n{out}"
    for s in imp.get("contains", []):
        assert s in out, f"import output lacks {s!r}:\n{out}"


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(reason=KNOWN[n], strict=True)) if n in KNOWN else n
    for n in case_names()])
def test_case(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = CASES / name
    exp = yaml.safe_load((case / "expect.yaml").read_text())
    repo = tmp_path / "repo"
    shutil.copytree(case, repo, ignore=shutil.ignore_patterns("expect.yaml", "CASE.md", "build"))
    with_s3_driver(repo)
    monkeypatch.chdir(repo)
    validate_stage(repo, exp)
    if exp["expect"] == "accept":
        build_stage(repo, tmp_path / "out", exp)
    if exp.get("import"):
        import_stage(repo, exp["import"])


def test_every_case_is_collected() -> None:
    assert len(case_names()) >= 89


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/conformance/runai-docs is not beside the repo")
def test_copy_matches_shared() -> None:
    """The cases here are the ones made in ../shared/ (re-copy them when the shared set changes)."""
    names = sorted(p.name for p in (SHARED / "cases").iterdir() if (p / "expect.yaml").is_file())
    assert names == case_names()
    assert files(SHARED / "cases") == files(CASES)


def files(top: Path) -> dict[str, bytes]:
    return {str(p.relative_to(top)): p.read_bytes() for p in sorted(top.rglob("*")) if p.is_file()}
