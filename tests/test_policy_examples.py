"""The project's example policies with the examples, the bad cases, and the CLI."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from compiler import pipeline
from compiler.cli import main
from tests.policykit import one, texts
from tests.treekit import dig, items

ROOT = Path(__file__).resolve().parent.parent
BAD = ROOT / "tests" / "data" / "policy-violations"


def test_examples_build_with_the_example_policies() -> None:
    res = pipeline.build(ROOT)
    assert res.ok, texts(res)
    assert len(res.bundles) == len(res.repo.workloads if res.repo else [])
    resnet = one(res, "resnet-train")
    src = resnet.prov[("security", "allowPrivilegeEscalation")]
    assert (src.kind, src.name, src.file) == ("policy", "cluster-security", "policies/cluster-security.yaml")
    names = [e["name"] for e in items(resnet.spec, "environmentVariables")]
    assert "ARTIFACT_STORE" in names and "TORCH_HOME" in names
    # interactive workspaces keep their host IPC / network: the batch isolation policy does not cover them
    assert dig(one(res, "notebook-lb").spec, "security", "hostIpc") is True


def test_every_bad_case_is_reported_once() -> None:
    res = pipeline.specs(BAD)
    by_file: dict[str, list[str]] = {}
    for p in res.problems:
        by_file.setdefault(Path(p.file).stem, []).append(p.code)
    expected = {"required": "policy.required", "can-edit": "policy.canEdit", "min": "policy.min",
                "max": "policy.max", "step": "policy.step", "options": "policy.options",
                "can-add": "policy.canAdd", "locked": "policy.locked", "attributes": "policy.options"}
    assert by_file == {name: [code] for name, code in expected.items()}
    assert [w.name for w in res.workloads] == ["clean"]
    clean = res.workloads[0]
    assert dig(clean.spec, "security", "runAsUid") == 1000
    assert clean.prov[("labels", 0, "value")].file == "policies/lab.yaml"


def test_cli_policy_effective() -> None:
    runner = CliRunner()
    out = runner.invoke(main, ["policy", "effective", "--project", "nlp", "--type", "training", "--repo", str(ROOT)])
    assert out.exit_code == 0, out.output
    assert "compute.gpuDevicesRequest" in out.output
    assert "research-gpu-ceiling (policies/research-gpu-ceiling.yaml:16)" in out.output
    out = runner.invoke(main, ["policy", "effective", "--project", "vision", "--type", "InteractiveWorkload",
                               "--repo", str(ROOT), "--format", "json"])
    body = json.loads(out.output)
    assert body["workloadType"] == "InteractiveWorkload"
    assert "batch-host-isolation" not in [p["name"] for p in body["policies"]]
    assert {"field": "nodePools", "what": "default", "value": ["a100", "default"], "policy": "vision-defaults",
            "file": "policies/vision-defaults.yaml", "line": 14} in body["entries"]


def test_cli_policy_effective_usage_errors() -> None:
    runner = CliRunner()
    out = runner.invoke(main, ["policy", "effective", "--project", "nlpp", "--type", "training", "--repo", str(ROOT)])
    assert out.exit_code == 2 and 'did you mean "nlp"' in out.output
    out = runner.invoke(main, ["policy", "effective", "--project", "nlp", "--type", "batch", "--repo", str(ROOT)])
    assert out.exit_code == 2 and "unknown workload type" in out.output


def test_explain_shows_policy_sources() -> None:
    out = CliRunner().invoke(main, ["explain", "vscode-dev", "--repo", str(ROOT)])
    assert out.exit_code == 0, out.output
    assert "policy vision-defaults (policies/vision-defaults.yaml:16)" in out.output
