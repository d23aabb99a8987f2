"""One test per rule kind, pass and fail, through the pipeline; quantities; defaultFrom."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from compiler import quantity
from compiler.policy.rules import Subject, options, qualified_image, step
from tests.policykit import codes, one, policy, run, texts, workload
from tests.treekit import sub

IMAGE = "image: nvcr.io/nvidia/pytorch:24.09-py3\n"


def judge(tmp_path: Path, rules: str, spec: str, defaults: str = "",
          kind: str = "TrainingWorkload") -> tuple[list[str], list[str]]:
    body = (f"defaults:\n{defaults}" if defaults else "") + f"rules:\n{rules}"
    res = run(tmp_path, {"policies/p.yaml": policy("p", "cluster: true", body),
                         "workloads/nlp/w.yaml": workload("w", spec, kind)})
    return codes(res), texts(res)


CASES = [
    # rule, rules, passing spec, failing spec, expected message part
    ("required", "  nodeType: {required: true}\n", IMAGE + "nodeType: a100\n", IMAGE,
     "spec.nodeType is required (required in policies/p.yaml:7)"),
    ("min", "  compute:\n    cpuCoreRequest: {min: 1}\n", IMAGE + "compute: {cpuCoreRequest: 1}\n",
     IMAGE + "compute: {cpuCoreRequest: 0.5}\n", "spec.compute.cpuCoreRequest: 0.5 is less than 1"),
    ("max", "  compute:\n    gpuDevicesRequest: {max: 4}\n", IMAGE + "compute: {gpuDevicesRequest: 4}\n",
     IMAGE + "compute: {gpuDevicesRequest: 8}\n", "spec.compute.gpuDevicesRequest: 8 is greater than 4"),
    ("max", "  compute:\n    cpuMemoryLimit: {max: 1Gi}\n", IMAGE + "compute: {cpuMemoryLimit: 1G}\n",
     IMAGE + "compute: {cpuMemoryLimit: 2G}\n", "2G is greater than 1Gi"),
    ("step", "  backoffLimit: {step: 2, min: 1}\n", IMAGE + "backoffLimit: 5\n", IMAGE + "backoffLimit: 4\n",
     "spec.backoffLimit: 4 is not a multiple of 2 from 1"),
    ("options", "  imagePullPolicy:\n    options: [{value: Always, displayed: always pull}]\n",
     IMAGE + "imagePullPolicy: Always\n", IMAGE + "imagePullPolicy: Never\n",
     "spec.imagePullPolicy: Never is not one of the allowed values: Always"),
    ("canEdit", "  security:\n    hostNetwork: {canEdit: false}\n", IMAGE + "security: {hostIpc: true}\n",
     IMAGE + "security: {hostNetwork: true}\n", "true may not be set"),
    ("canAdd", "  tolerations:\n    instances: {canAdd: false}\n", IMAGE,
     IMAGE + "tolerations:\n  - {name: spot, operator: Exists}\n", 'instance "spot" may not be added'),
    ("options", "  storage:\n    hostPath:\n      attributes:\n        path:\n          options: [{value: /mnt/*}]\n",
     IMAGE + "storage:\n  hostPath:\n    - {name: a, path: /mnt/a, mountPath: /a}\n",
     IMAGE + "storage:\n  hostPath:\n    - {name: a, path: /etc, mountPath: /a}\n",
     "spec.storage.hostPath[0].path: /etc is not one of the allowed values: /mnt/*"),
]


@pytest.mark.parametrize(("rule", "rules", "good", "bad", "message"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule_pass_and_fail(tmp_path: Path, rule: str, rules: str, good: str, bad: str, message: str) -> None:
    got, _ = judge(tmp_path / "good", rules, good)
    assert got == []
    got, text = judge(tmp_path / "bad", rules, bad)
    assert got == [f"policy.{rule}"], text
    assert message in text[0]
    assert text[0].startswith("workloads/nlp/w.yaml:")


def test_locked_pass_and_fail(tmp_path: Path) -> None:
    defaults = "  labels:\n    instances:\n      - {name: team, value: a}\n      - {name: tier, value: b}\n"
    rules = "  labels:\n    instances: {locked: [team]}\n"
    got, _ = judge(tmp_path / "good", rules, IMAGE + "labels:\n  - {name: tier, exclude: true}\n", defaults)
    assert got == []
    got, text = judge(tmp_path / "bad", rules, IMAGE + "labels:\n  - {name: team, exclude: true}\n", defaults)
    assert got == ["policy.locked"], text


def test_violation_location_points_at_the_submitted_value(tmp_path: Path) -> None:
    spec = IMAGE + "compute:\n  gpuDevicesRequest: 8\n"
    _, text = judge(tmp_path, "  compute:\n    gpuDevicesRequest: {max: 4}\n", spec)
    assert text == [("workloads/nlp/w.yaml:8:24: error[policy.max]: spec.compute.gpuDevicesRequest: 8 is "
                    "greater than 4 (max in policies/p.yaml:8)")]


def test_all_violations_reported_at_once(tmp_path: Path) -> None:
    rules = "  compute:\n    gpuDevicesRequest: {max: 4}\n  imagePullPolicy: {options: [Always]}\n"
    spec = IMAGE + "imagePullPolicy: Never\ncompute: {gpuDevicesRequest: 8}\n"
    got, _ = judge(tmp_path, rules, spec)
    assert sorted(got) == ["policy.max", "policy.options"]


def test_value_from_a_template_names_its_source(tmp_path: Path) -> None:
    tmpl = ("apiVersion: wlc.dev/v1alpha1\nkind: Template\nmetadata: {name: big}\n"
            "spec:\n  compute: {gpuDevicesRequest: 8}\n")
    res = run(tmp_path, {"policies/p.yaml": policy("p", "cluster: true",
                                                   "rules:\n  compute:\n    gpuDevicesRequest: {max: 4}\n"),
                         "templates/big.yaml": tmpl,
                         "workloads/nlp/w.yaml": workload("w", IMAGE + "template: big\n")})
    assert codes(res) == ["policy.max"]
    assert "the value comes from template:big (templates/big.yaml:5)" in texts(res)[0]


def test_distributed_sections_judged_by_pod_level_rule(tmp_path: Path) -> None:
    spec = IMAGE + "framework: PyTorch\nworkers: 2\nworker:\n  compute: {gpuDevicesRequest: 8}\n"
    got, text = judge(tmp_path, "  compute:\n    gpuDevicesRequest: {max: 4}\n", spec, kind="DistributedWorkload")
    assert got == ["policy.max"], text
    assert "spec.worker.compute.gpuDevicesRequest: 8" in text[0]


def test_master_section_rule_judges_inherited_value(tmp_path: Path) -> None:
    spec = IMAGE + "framework: PyTorch\nworkers: 2\ncompute: {gpuDevicesRequest: 2}\n"
    rules = "  master:\n    compute:\n      gpuDevicesRequest: {max: 0}\n"
    got, text = judge(tmp_path, rules, spec, kind="DistributedWorkload")
    assert got == ["policy.max"], text
    assert "spec.compute.gpuDevicesRequest: 2 is greater than 0" in text[0]


def test_default_from(tmp_path: Path) -> None:
    rules = ("  compute:\n    cpuCoreRequest:\n      defaultFrom: {field: compute.cpuCoreLimit, factor: 0.5}\n"
             "    cpuMemoryRequest:\n      defaultFrom: {field: compute.cpuMemoryLimit, factor: 0.25}\n")
    spec = IMAGE + "compute: {cpuCoreLimit: 8, cpuMemoryLimit: 16Gi}\n"
    body = "rules:\n" + rules
    res = run(tmp_path, {"policies/p.yaml": policy("p", "cluster: true", body),
                         "workloads/nlp/w.yaml": workload("w", spec)})
    assert res.ok, texts(res)
    compute = sub(one(res, "w").spec, "compute")
    assert compute["cpuCoreRequest"] == 4
    assert compute["cpuMemoryRequest"] == "4Gi"
    assert one(res, "w").prov[("compute", "cpuCoreRequest")].kind == "policy"


def test_quantities() -> None:
    assert quantity.parse("1G") < quantity.parse("1Gi")  # type: ignore[operator]
    assert quantity.parse("500m") == Decimal("0.5")
    assert quantity.parse("1e3") == 1000
    assert quantity.parse("2Ki") == 2048
    assert quantity.parse("lots") is None and quantity.parse(True) is None
    assert quantity.scale("8Gi", 0.5) == "4Gi"
    assert quantity.scale("1Gi", 0.3) == "322122547.2"
    assert quantity.scale(3, 0.5) == 1.5


def test_judges_directly() -> None:
    assert step(4, 2, Subject(kind="integer")) is None
    assert step(3, 2, Subject(kind="integer")) == "3 is not a multiple of 2"
    s = Subject(kind="string", path="image")
    assert options("python:3.12", [{"value": "docker.io/library/python:*"}], s) is None
    assert options("evil.io/python:3.12", [{"value": "docker.io/library/python:*"}], s) is not None
    assert qualified_image("team/img:1") == "docker.io/team/img:1"
    assert qualified_image("localhost:5000/img") == "localhost:5000/img"
