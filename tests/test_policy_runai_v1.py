"""Run:ai v1 policies converted to native Policy documents that check cleanly and behave."""
from __future__ import annotations

from pathlib import Path

import yaml
from policykit import codes, one, run, texts, workload

from compiler.policy import runai_v1

V1 = """\
apiVersion: run.ai/v2alpha1
kind: TrainingPolicy
metadata:
  name: training-policy
  namespace: runai-nlp
spec:
  gpu:
    rules: {required: true, min: "1", max: "4"}
    value: "1"
  imagePullPolicy:
    value: always
    rules: {canEdit: false}
  runAsUid:
    value: {value: 500}
  environment:
    items:
      DEFAULTS: {value: {value: default}}
      WANDB_MODE:
        value: offline
        rules: {canRemove: false}
  volumes:
    itemRules:
      nfsServer: {required: true}
"""


def test_conversion() -> None:
    native, notes = runai_v1.convert(yaml.safe_load(V1))
    spec = native["spec"]
    assert spec["scope"] == {"project": "nlp"} and spec["workloadTypes"] == ["TrainingWorkload"]
    assert spec["defaults"]["compute"] == {"gpuDevicesRequest": 1}
    assert spec["defaults"]["imagePullPolicy"] == "Always"
    assert spec["rules"]["compute"]["gpuDevicesRequest"] == {"required": True, "min": 1, "max": 4}
    assert spec["rules"]["environmentVariables"]["instances"]["locked"] == ["WANDB_MODE"]
    assert spec["rules"]["storage"]["hostPath"]["instances"]["canAdd"] is False
    assert any("no host paths" in n for n in notes)


def test_converted_text_states_replacement_semantics_and_works(tmp_path: Path) -> None:
    text, _ = runai_v1.to_yaml(yaml.safe_load(V1), "exported/training-policy.yaml")
    assert "REPLACES the one in namespace runai" in text
    good = workload("ok", "image: nvcr.io/nvidia/pytorch:24.09-py3\n")
    bad = workload("big", "image: nvcr.io/nvidia/pytorch:24.09-py3\ncompute: {gpuDevicesRequest: 8}\n")
    res = run(tmp_path, {"policies/v1.yaml": text, "workloads/nlp/ok.yaml": good, "workloads/nlp/big.yaml": bad})
    assert codes(res) == ["policy.max"], texts(res)
    ok = one(res, "ok")
    assert ok.spec["compute"]["gpuDevicesRequest"] == 1
    assert {"name": "WANDB_MODE", "value": "offline"} in ok.spec["environmentVariables"]


def test_cluster_scope_and_unknown_fields() -> None:
    native, notes = runai_v1.convert({"kind": "InteractivePolicy", "metadata": {"namespace": "runai"},
                                      "spec": {"jupyter": {"value": True}, "largeShm": {"value": True}}})
    assert native["spec"]["scope"] == {"cluster": True}
    assert native["spec"]["defaults"] == {"compute": {"largeShmRequest": True}}
    assert notes == ["jupyter: no native field; skipped"]
