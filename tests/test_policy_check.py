"""Policy documents checked, conflicts in a chain, scope precedence, imposed assets."""
from __future__ import annotations

from pathlib import Path

from tests.policykit import codes, one, policy, run, texts, workload
from tests.treekit import dig

IMAGE = "image: nvcr.io/nvidia/pytorch:24.09-py3\n"
W = {"workloads/nlp/w.yaml": workload("w", IMAGE)}


def check(tmp_path: Path, body: str, types: str = "") -> tuple[list[str], list[str]]:
    res = run(tmp_path, {"policies/p.yaml": policy("p", "cluster: true", body, types), **W})
    return codes(res), texts(res)


def test_unknown_field_suggests(tmp_path: Path) -> None:
    got, text = check(tmp_path, "defaults:\n  compute:\n    gpuDevicesRequests: 1\n")
    assert got == ["policy.unknown-field"]
    assert text[0] == ('policies/p.yaml:8:7: error[policy.unknown-field]: unknown field "gpuDevicesRequests" '
                       'in compute (did you mean "gpuDevicesRequest"?)')


def test_field_missing_for_the_workload_type(tmp_path: Path) -> None:
    got, text = check(tmp_path, "rules:\n  backoffLimit: {max: 3}\n", types="InteractiveWorkload")
    assert got == ["policy.field-type"]
    assert "backoffLimit does not exist for InteractiveWorkload" in text[0]


def test_field_of_some_types_is_fine_without_workload_types(tmp_path: Path) -> None:
    got, _ = check(tmp_path, "rules:\n  backoffLimit: {max: 3}\n")
    assert got == []


def test_rule_that_does_not_fit_the_type(tmp_path: Path) -> None:
    got, text = check(tmp_path, "rules:\n  security:\n    hostIpc: {min: 1}\n")
    assert got == ["policy.rule-type"]
    assert "min does not apply to boolean field security.hostIpc (it allows: required, canEdit)" in text[0]


def test_unknown_rule_and_bad_arguments(tmp_path: Path) -> None:
    body = ("rules:\n  compute:\n    gpuDevicesRequest: {maximum: 4}\n    cpuCoreLimit: {max: lots}\n"
            "    cpuMemoryLimit: {max: 4Gb}\n  image: {options: []}\n  nodeType: {required: yes please}\n")
    got, text = check(tmp_path, body)
    assert sorted(got) == ["policy.bad-rule"] * 4 + ["policy.unknown-rule"]
    assert any('unknown rule "maximum" on compute.gpuDevicesRequest (did you mean "max"?)' in t for t in text)


def test_default_that_breaks_its_own_rule(tmp_path: Path) -> None:
    body = ("defaults:\n  compute:\n    gpuDevicesRequest: 8\n"
            "rules:\n  compute:\n    gpuDevicesRequest: {max: 4}\n")
    got, text = check(tmp_path, body)
    assert got == ["policy.default-breaks-rule"]
    assert text[0] == ("policies/p.yaml:8:26: error[policy.default-breaks-rule]: default compute.gpuDevicesRequest: "
                       "8 is greater than 4 (max in policies/p.yaml:11)")


def test_instance_default_that_breaks_an_attribute_rule(tmp_path: Path) -> None:
    body = ("defaults:\n  storage:\n    hostPath:\n      instances:\n"
            "        - {name: etc, path: /etc, mountPath: /x}\n"
            "rules:\n  storage:\n    hostPath:\n      attributes:\n        path: {options: [/mnt/*]}\n")
    got, _ = check(tmp_path, body)
    assert got == ["policy.default-breaks-rule"]


def test_bad_defaults(tmp_path: Path) -> None:
    body = ("defaults:\n  security:\n    runAsUid: root\n  imagePullPolicy: Sometimes\n"
            "  environmentVariables:\n    - {name: A, value: b}\n")
    got, _ = check(tmp_path, body)
    assert got == ["policy.bad-default"] * 3


def test_unknown_scope_and_asset(tmp_path: Path) -> None:
    res = run(tmp_path, {"policies/p.yaml": policy("p", "department: reserch", "rules: {}"),
                         "policies/q.yaml": policy("q", "cluster: true", "imposedAssets: [nope]"), **W})
    assert sorted(codes(res)) == ["policy.unknown-asset", "policy.unknown-scope"]
    assert any('department "reserch" does not exist (did you mean "research"?)' in t for t in texts(res))


def test_rule_conflict_in_a_chain_names_both(tmp_path: Path) -> None:
    res = run(tmp_path, {
        "policies/cluster.yaml": policy("base", "cluster: true", "rules:\n  compute:\n    gpuDevicesRequest: {max: 8}\n"),
        "policies/research.yaml": policy("ceiling", "department: research",
                                         "rules:\n  compute:\n    gpuDevicesRequest: {min: 1}\n"),
        **W})
    assert codes(res) == ["policy.conflict-rule"]
    assert texts(res)[0] == (
        "policies/research.yaml:8:32: error[policy.conflict-rule]: compute.gpuDevicesRequest already has rules in "
        "policy base (policies/cluster.yaml:8); policy ceiling (policies/research.yaml:8) may not add more: "
        "a field has rules in only one policy of a chain")


def test_rules_in_different_chains_do_not_conflict(tmp_path: Path) -> None:
    res = run(tmp_path, {
        "policies/a.yaml": policy("a", "department: product", "rules:\n  compute:\n    gpuDevicesRequest: {max: 8}\n"),
        "policies/b.yaml": policy("b", "department: research", "rules:\n  compute:\n    gpuDevicesRequest: {max: 2}\n"),
        **W})
    assert res.ok, texts(res)


def test_default_conflict_at_one_level(tmp_path: Path) -> None:
    res = run(tmp_path, {
        "policies/a.yaml": policy("a", "cluster: true", "defaults:\n  imagePullPolicy: Always\n"),
        "policies/b.yaml": policy("b", "cluster: true", "defaults:\n  imagePullPolicy: Never\n"),
        **W})
    assert codes(res) == ["policy.conflict-default"]
    assert "a (policies/a.yaml:7) and b (policies/b.yaml:7)" in texts(res)[0]


def test_instance_conflict_at_one_level(tmp_path: Path) -> None:
    inst = "defaults:\n  labels:\n    instances:\n      - {{name: team, value: {v}}}\n"
    res = run(tmp_path, {"policies/a.yaml": policy("a", "project: nlp", inst.format(v="x")),
                         "policies/b.yaml": policy("b", "project: nlp", inst.format(v="y")), **W})
    assert codes(res) == ["policy.conflict-default"]
    assert 'default instance "team" of labels' in texts(res)[0]


def test_most_specific_default_wins(tmp_path: Path) -> None:
    res = run(tmp_path, {
        "policies/c.yaml": policy("c", "cluster: true", "defaults:\n  imagePullPolicy: Always\n  nodeType: c\n"
                                                        "  priorityClass: c\n"),
        "policies/d.yaml": policy("d", "department: research", "defaults:\n  imagePullPolicy: Never\n  nodeType: d\n"),
        "policies/p.yaml": policy("p", "project: nlp", "defaults:\n  imagePullPolicy: IfNotPresent\n"),
        "policies/other.yaml": policy("o", "project: vision", "defaults:\n  backoffLimit: 1\n"),
        **W})
    assert res.ok, texts(res)
    spec = one(res, "w").spec
    assert (spec["imagePullPolicy"], spec["nodeType"], spec["priorityClass"]) == ("IfNotPresent", "d", "c")
    assert "backoffLimit" not in spec


def test_workload_types_limit_a_policy(tmp_path: Path) -> None:
    res = run(tmp_path, {"policies/p.yaml": policy("p", "cluster: true", "defaults:\n  nodeType: x\n",
                                                   types="InteractiveWorkload"), **W})
    assert "nodeType" not in one(res, "w").spec


DATASOURCE = """\
apiVersion: wlc.dev/v1alpha1
kind: DataSource
metadata: {name: shared}
spec:
  nfs: {server: nfs.internal, path: /exports, mountPath: /shared}
"""


def test_imposed_asset_is_added_and_counts_as_allowed(tmp_path: Path) -> None:
    body = "imposedAssets: [shared]\nrules:\n  storage:\n    nfs:\n      instances: {canAdd: false}\n"
    res = run(tmp_path, {"assets/ds.yaml": DATASOURCE, "policies/p.yaml": policy("p", "cluster: true", body), **W})
    assert res.ok, texts(res)
    rw = one(res, "w")
    assert dig(rw.spec, "storage", "nfs", 0, "server") == "nfs.internal"
    assert rw.prov[("storage", "nfs", 0, "server")].kind == "policy"


def test_imposed_asset_cannot_be_excluded(tmp_path: Path) -> None:
    sub = workload("w", IMAGE + "storage:\n  nfs:\n    - {name: shared, exclude: true}\n")
    res = run(tmp_path, {"assets/ds.yaml": DATASOURCE,
                         "policies/p.yaml": policy("p", "cluster: true", "imposedAssets: [shared]\n"),
                         "workloads/nlp/w.yaml": sub})
    assert codes(res) == ["policy.imposed"]


def test_no_policies_changes_nothing(tmp_path: Path) -> None:
    res = run(tmp_path, W)
    assert res.ok and one(res, "w").spec == {"image": "nvcr.io/nvidia/pytorch:24.09-py3"}
