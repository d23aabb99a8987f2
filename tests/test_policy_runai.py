"""Run:ai's documented policy behaviour, reproduced."""
from __future__ import annotations

from pathlib import Path

from tests.policykit import codes, one, policy, run, texts, workload
from tests.treekit import dig, items

SECURITY = """\
defaults:
  imagePullPolicy: Always
  security:
    runAsNonRoot: true
    runAsUid: 500
"""
SUBMISSION = workload("uid", """\
image: nvcr.io/nvidia/pytorch:24.09-py3
security:
  runAsUid: 501
""")


def test_submitted_value_wins_and_unset_fields_come_from_defaults(tmp_path: Path) -> None:
    res = run(tmp_path, {"policies/p.yaml": policy("sec", "cluster: true", SECURITY),
                         "workloads/nlp/uid.yaml": SUBMISSION})
    assert res.ok, texts(res)
    rw = one(res, "uid")
    assert dig(rw.spec, "security", "runAsUid") == 501
    assert rw.prov[("security", "runAsUid")].kind == "submission"
    assert rw.spec["imagePullPolicy"] == "Always"
    assert dig(rw.spec, "security", "runAsNonRoot") is True
    src = rw.prov[("imagePullPolicy",)]
    assert (src.kind, src.name, src.file, src.line) == ("policy", "sec", "policies/p.yaml", 7)
    assert rw.prov[("security", "runAsNonRoot")].line == 9


def test_can_edit_false_fails_a_different_submitted_value(tmp_path: Path) -> None:
    body = SECURITY + "rules:\n  security:\n    runAsUid:\n      canEdit: false\n"
    res = run(tmp_path, {"policies/p.yaml": policy("sec", "cluster: true", body),
                         "workloads/nlp/uid.yaml": SUBMISSION})
    assert codes(res) == ["policy.canEdit"]
    assert texts(res) == [
        ("workloads/nlp/uid.yaml:8:15: error[policy.canEdit]: spec.security.runAsUid: 501 differs from 500, "
        "which the policy does not let you edit (canEdit in policies/p.yaml:14)")]
    assert res.workloads == []


EXTENDED = """\
defaults:
  compute:
    extendedResources:
      instances:
        - resource: example.com/a
        - resource: example.com/b
          quantity: "1"
      attributes:
        quantity: "3"
rules:
  compute:
    extendedResources:
      instances:
        locked: [example.com/a]
"""


def test_itemized_instances_attributes_and_exclude(tmp_path: Path) -> None:
    sub = workload("ext", """\
image: nvcr.io/nvidia/pytorch:24.09-py3
compute:
  extendedResources:
    - resource: example.com/b
      exclude: true
    - resource: example.com/c
    - resource: example.com/d
      quantity: "5"
""")
    res = run(tmp_path, {"policies/p.yaml": policy("ext", "cluster: true", EXTENDED),
                         "workloads/nlp/ext.yaml": sub})
    assert res.ok, texts(res)
    got = {r["resource"]: r["quantity"] for r in items(one(res, "ext").spec, "compute", "extendedResources")}
    assert got == {"example.com/a": "3", "example.com/c": "3", "example.com/d": "5"}
    rw = one(res, "ext")
    i = [r["resource"] for r in items(rw.spec, "compute", "extendedResources")].index("example.com/c")
    src = rw.prov[("compute", "extendedResources", i, "quantity")]
    assert (src.kind, src.line) == ("policy", 14)  # the attributes default


def test_locked_instance_cannot_be_excluded(tmp_path: Path) -> None:
    sub = workload("ext", """\
image: nvcr.io/nvidia/pytorch:24.09-py3
compute:
  extendedResources:
    - resource: example.com/a
      exclude: true
""")
    res = run(tmp_path, {"policies/p.yaml": policy("ext", "cluster: true", EXTENDED),
                         "workloads/nlp/ext.yaml": sub})
    assert codes(res) == ["policy.locked"]
    assert texts(res)[0].startswith("workloads/nlp/ext.yaml:10:18: error[policy.locked]: "
                                    'spec.compute.extendedResources[0]: instance "example.com/a"')
    assert "locked in policies/p.yaml:19" in texts(res)[0]
    assert res.workloads == []
