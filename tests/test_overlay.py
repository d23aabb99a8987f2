"""Overlay chains and spec patches: bases, cycles, selectors, item removal, provenance, namespaces."""
from __future__ import annotations

from pathlib import Path

import pytest

from compiler import explain
from compiler.problems import ConfigError
from tests.overlaykit import build, errors, make_repo, specs, workload

CEILING = """apiVersion: wlc.dev/v1alpha1
kind: Policy
metadata: {name: ceiling}
spec:
  scope: {cluster: true}
  rules:
    compute:
      gpuDevicesRequest:
        max: 4
"""


def test_base_order_later_overlay_wins_and_patches_apply_base_first(tmp_path: Path) -> None:
    make_repo(tmp_path, {
        "a": """
            target: {scheduler: kueue, ingressClass: from-a}
            commonLabels: {env: a, only-a: "yes"}
            specPatches:
              - select: {workloadTypes: [TrainingWorkload]}
                patch: {priorityClass: from-a, backoffLimit: 1}
            """,
        "b": """
            bases: [a]
            target: {ingressClass: from-b}
            commonLabels: {env: b}
            specPatches:
              - patch: {priorityClass: from-b}
            """,
        "c": """
            bases: [b, a]
            namespaces: {nlp: nlp-c}
            """,
    })
    res = specs(tmp_path, "c")
    assert errors(res) == [] and res.chain is not None
    assert res.chain.names == ["a", "b", "c"]  # a once (a diamond), at its first place
    assert (res.target.scheduler, res.target.ingress_class) == ("kueue", "from-b")
    assert {k: s.value for k, s in res.chain.labels.items()} == {"env": "b", "only-a": "yes"}
    train = workload(res, "train-a")
    assert (train.spec["priorityClass"], train.spec["backoffLimit"]) == ("from-b", 1)
    assert train.prov[("priorityClass",)].name == "b" and train.prov[("backoffLimit",)].name == "a"
    assert train.namespace == "nlp-c" and workload(res, "train-b").namespace == "runai-recsys"


@pytest.mark.parametrize("specs,cycle", [
    ({"a": "bases: [a]"}, "a → a"),
    ({"a": "bases: [b]", "b": "bases: [c]", "c": "bases: [a]"}, "a → b → c → a"),
    ({"a": "bases: [b]", "b": "bases: [c]", "c": "bases: [b]"}, "b → c → b"),
])
def test_cycles_are_an_error_naming_the_cycle(tmp_path: Path, specs: dict[str, str], cycle: str) -> None:
    make_repo(tmp_path, specs)
    res = build(tmp_path, "a")
    found = [p for p in res.problems if p.code == "overlay.cycle"]
    assert len(found) == 1 and f"overlay bases form a cycle: {cycle}" in found[0].message
    assert found[0].file.startswith("overlays/") and found[0].line == 6 and found[0].field.startswith("spec.bases[")
    assert res.bundles == []


def test_unknown_base_suggests_a_name(tmp_path: Path) -> None:
    make_repo(tmp_path, {"common": "commonLabels: {a: b}", "prod": "bases: [comon]"})
    res = build(tmp_path, "prod")
    assert errors(res) == [('overlays/prod/overlay.yaml:6:11: error[overlay.unknown-base]: '
                           'unknown base overlay "comon" (did you mean "common"?)')]


def test_unknown_overlay_is_a_usage_error(tmp_path: Path) -> None:
    make_repo(tmp_path, {"prod": "commonLabels: {a: b}"})
    with pytest.raises(ConfigError, match='no Overlay named "prd" \\(did you mean "prod"\\?\\)'):
        build(tmp_path, "prd")


def test_the_base_build_ignores_overlays(tmp_path: Path) -> None:
    make_repo(tmp_path, {"prod": "specPatches:\n  - patch: {priorityClass: x}\ncommonLabels: {a: b}"})
    plain = build(tmp_path, None)
    assert errors(plain) == [] and plain.overlay == "base" and plain.chain is None
    assert all("priorityClass" not in rw.spec for rw in plain.workloads)


@pytest.mark.parametrize("select,chosen", [
    ({}, ["shell", "train-a", "train-b"]),
    ({"projects": ["nlp"]}, ["shell", "train-a"]),
    ({"projects": ["rec*"]}, ["train-b"]),
    ({"departments": ["product"]}, ["train-b"]),
    ({"workloadTypes": ["TrainingWorkload"]}, ["train-a", "train-b"]),
    ({"labels": {"tier": "gold"}}, ["train-a"]),
    ({"names": ["train-?"]}, ["train-a", "train-b"]),
    ({"names": ["train-*"], "projects": ["nlp"]}, ["train-a"]),  # every condition must hold
    ({"names": ["shell"], "workloadTypes": ["TrainingWorkload"]}, []),
])
def test_spec_patch_selectors(tmp_path: Path, select: dict[str, object], chosen: list[str]) -> None:
    import json
    make_repo(tmp_path, {"o": f"specPatches:\n  - select: {json.dumps(select)}\n    patch: {{priorityClass: picked}}"})
    res = specs(tmp_path, "o")
    assert errors(res) == []
    assert sorted(rw.name for rw in res.workloads if rw.spec.get("priorityClass") == "picked") == chosen


def test_spec_labels_are_selectable_too(tmp_path: Path) -> None:
    make_repo(tmp_path, {"o": """
        specPatches:
          - patch: {labels: [{name: team, value: blue}]}
          - select: {labels: {team: blue}}
            patch: {priorityClass: blue}
        """})
    res = specs(tmp_path, "o")
    assert all(rw.spec["priorityClass"] == "blue" for rw in res.workloads)


def test_itemized_merge_and_removal_of_an_item(tmp_path: Path) -> None:
    make_repo(tmp_path, {"prod": """
        specPatches:
          - select: {workloadTypes: [TrainingWorkload]}
            patch:
              nodePools: [h100]
              tolerations:
                - {name: dedicated, key: example.com/dedicated, operator: Exists, effect: NoSchedule}
          - select: {names: [train-a]}
            patch:
              tolerations:
                - {name: spot, exclude: true}
                - {name: dedicated, effect: NoExecute}
        """})
    res = build(tmp_path, "prod")
    assert errors(res) == []
    a, b = workload(res, "train-a"), workload(res, "train-b")
    assert [t["name"] for t in b.spec["tolerations"]] == ["spot", "dedicated"]
    assert a.spec["tolerations"] == [{"name": "dedicated", "key": "example.com/dedicated", "operator": "Exists",
                                      "effect": "NoExecute"}]
    assert a.spec["nodePools"] == ["h100"]
    job = next(o for bd in res.bundles if bd.name == "train-a" for o in bd.objects if o["kind"] == "Job")
    assert job["spec"]["template"]["spec"]["tolerations"] == [
        {"key": "example.com/dedicated", "operator": "Exists", "effect": "NoExecute"}]


def test_provenance_of_patched_values_points_at_the_overlay_line(tmp_path: Path) -> None:
    make_repo(tmp_path, {"prod": """
        specPatches:
          - patch:
              environmentVariables:
                - name: DEPLOY_ENV
                  value: prod
        """})
    res = specs(tmp_path, "prod")
    rw = workload(res, "train-a")
    src = rw.prov[("environmentVariables", 0, "value")]
    assert (src.kind, src.name, src.file, src.line) == ("overlay", "prod", "overlays/prod/overlay.yaml", 10)
    assert rw.prov[("image",)].kind == "submission"
    text = explain.render_text(rw)
    assert "overlay prod (overlays/prod/overlay.yaml:10)" in text and "submission" in text


def test_an_overlay_that_breaks_a_policy_rule_names_overlay_and_policy(tmp_path: Path) -> None:
    make_repo(tmp_path, {"prod": """
        specPatches:
          - select: {names: [train-a]}
            patch:
              compute: {gpuDevicesRequest: 8}
        """}, {"policies/ceiling.yaml": CEILING})
    assert errors(build(tmp_path, None)) == []
    res = build(tmp_path, "prod")
    assert errors(res) == [
        ("workloads/nlp/train-a.yaml:7:3: error[policy.max]: spec.compute.gpuDevicesRequest: 8 is greater "
        "than 4 (max in policies/ceiling.yaml:9); the value comes from overlay:prod (overlays/prod/overlay.yaml:9)")]
    assert [b.name for b in res.bundles] == ["shell", "train-b"]


def test_policy_defaults_fill_under_overlay_values(tmp_path: Path) -> None:
    policy = CEILING.replace("  rules:", "  defaults:\n    priorityClass: from-policy\n    backoffLimit: 5\n  rules:")
    make_repo(tmp_path, {"prod": "specPatches:\n  - patch: {priorityClass: from-overlay}"},
              {"policies/ceiling.yaml": policy})
    rw = workload(specs(tmp_path, "prod"), "train-a")
    assert (rw.spec["priorityClass"], rw.prov[("priorityClass",)].kind) == ("from-overlay", "overlay")
    assert (rw.spec["backoffLimit"], rw.prov[("backoffLimit",)].kind) == (5, "policy")


def test_a_spec_patch_that_does_not_fit_the_spec_is_located_in_the_overlay(tmp_path: Path) -> None:
    make_repo(tmp_path, {"prod": """
        specPatches:
          - select: {workloadTypes: [TrainingWorkload]}
            patch:
              compute: {gpuDevicesRequest: two}
              backofLimit: 3
        """})
    res = build(tmp_path, "prod")
    found = errors(res)
    assert len(found) == 2 and res.bundles and {b.name for b in res.bundles} == {"shell"}
    assert found[0].startswith("overlays/prod/overlay.yaml:9:38:") and "gpuDevicesRequest" in found[0]
    assert found[1].startswith("overlays/prod/overlay.yaml:10:") and 'backofLimit' in found[1]
    assert all('spec patch 1 of overlay "prod" (overlays/prod/overlay.yaml:7)' in f for f in found)


def test_namespace_mapping_and_template(tmp_path: Path) -> None:
    make_repo(tmp_path, {"prod": """
        target: {namespaceTemplate: "prod-{project}"}
        namespaces: {recsys: recsys-live}
        """})
    res = build(tmp_path, "prod")
    assert errors(res) == []
    assert {b.name: b.namespace for b in res.bundles} == {"shell": "prod-nlp", "train-a": "prod-nlp",
                                                          "train-b": "recsys-live"}
    assert all(o["metadata"]["namespace"] == "recsys-live" for b in res.bundles if b.name == "train-b"
               for o in b.objects)
    assert "recsys-live/train-b.yaml" in res.files


def test_namespace_mapping_that_merges_two_workloads_is_an_error(tmp_path: Path) -> None:
    extra = {"workloads/recsys/train-a.yaml":
             "apiVersion: wlc.dev/v1alpha1\nkind: TrainingWorkload\nmetadata: {name: train-a}\nspec: {image: i}\n"}
    make_repo(tmp_path, {"prod": "namespaces: {recsys: runai-nlp}"}, extra)
    res = build(tmp_path, "prod")
    assert any(p.code == "overlay.namespace-clash" and p.file == "overlays/prod/overlay.yaml" and p.line == 6
               for p in res.problems)


def test_a_spec_patch_is_judged_only_against_the_kinds_it_selects_once_each(tmp_path: Path) -> None:
    make_repo(tmp_path, {"prod": """
        specPatches:
          - select: {projects: [nlp]}
            patch: {backofLimit: 3}
          - select: {names: [nothing-is-called-this]}
            patch: {backofLimit: 3}
        """})
    found = errors(build(tmp_path, "prod"))
    assert len(found) == 2, found
    assert sorted(f.split("does not fit a ")[1].split(":")[0] for f in found) == ["InteractiveWorkload", "TrainingWorkload"]
    assert all("spec patch 1 " in f for f in found)
