"""Overlay common labels/annotations and object patches on emitted objects, and their errors."""
from __future__ import annotations

from pathlib import Path

import pytest

from compiler import labels as L
from tests.overlaykit import build, errors, make_repo, obj, objects


def test_common_labels_go_on_metadata_and_pod_templates_never_on_selectors(tmp_path: Path) -> None:
    make_repo(tmp_path, {"o": "commonLabels: {env: prod}\ncommonAnnotations: {team: ml}"})
    res = build(tmp_path, "o")
    assert errors(res) == []
    for b in res.bundles:
        for o in b.objects:
            assert o["metadata"]["labels"]["env"] == "prod" and o["metadata"]["annotations"]["team"] == "ml"
    sts = obj(res, "shell", "StatefulSet")
    assert sts["spec"]["template"]["metadata"]["labels"]["env"] == "prod"
    assert sts["spec"]["template"]["metadata"]["annotations"]["team"] == "ml"
    assert "env" not in sts["spec"]["selector"]["matchLabels"]
    assert "env" not in obj(res, "shell", "Service")["spec"]["selector"]
    job = obj(res, "train-a", "Job")
    assert job["spec"]["template"]["metadata"]["labels"]["env"] == "prod"
    assert "selector" not in job["spec"]


def test_common_labels_may_not_set_contract_keys(tmp_path: Path) -> None:
    make_repo(tmp_path, {"o": "commonLabels: {wlc.dev/project: other}"})
    res = build(tmp_path, "o")
    assert errors(res) == [("overlays/o/overlay.yaml:6:35: error[overlay.contract]: overlay \"o\": common label "
                           "wlc.dev/project would change the bundle contract (wlc.dev/, applyset.kubernetes.io/ "
                           "and managed-by keys are wlc's own)")]
    assert res.bundles == []


def test_json_patch_on_selected_objects(tmp_path: Path) -> None:
    make_repo(tmp_path, {"o": """
        objectPatches:
          - select: {group: batch, kind: Job, name: "train-*", namespace: runai-*, labels: {tier: gold}}
            jsonPatch:
              - {op: test, path: /spec/template/spec/restartPolicy, value: Never}
              - {op: add, path: /spec/activeDeadlineSeconds, value: 600}
              - {op: copy, from: /metadata/labels/tier, path: /spec/template/metadata/labels/tier-copy}
              - {op: move, from: /spec/template/metadata/labels/tier-copy, path: /spec/template/metadata/labels/t2}
              - {op: add, path: /spec/backoffLimit, value: 1}
              - {op: replace, path: /spec/backoffLimit, value: 0}
              - {op: remove, path: /spec/template/spec/tolerations}
        """})
    res = build(tmp_path, "o")
    assert errors(res) == []
    a, b = obj(res, "train-a", "Job"), obj(res, "train-b", "Job")
    assert a["spec"]["activeDeadlineSeconds"] == 600 and a["spec"]["backoffLimit"] == 0
    assert a["spec"]["template"]["metadata"]["labels"]["t2"] == "gold"
    assert "tolerations" not in a["spec"]["template"]["spec"]
    assert "activeDeadlineSeconds" not in b["spec"]  # label tier is silver


def test_merge_patch_null_deletes(tmp_path: Path) -> None:
    make_repo(tmp_path, {"o": """
        objectPatches:
          - select: {group: networking.k8s.io, kind: Ingress}
            mergePatch:
              metadata:
                annotations: {nginx.ingress.kubernetes.io/proxy-body-size: 64m}
              spec:
                ingressClassName: null
        """})
    res = build(tmp_path, "o")
    assert errors(res) == []
    ing = obj(res, "shell", "Ingress")
    assert ing["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"] == "64m"
    assert "ingressClassName" not in ing["spec"]
    assert "proxy-body-size" not in str(obj(res, "shell", "Service"))


@pytest.mark.parametrize("ops,where,words", [
    ('[{op: test, path: /spec/template/spec/restartPolicy, value: Always}]', 8,
     'operation 1: test: test failed: /spec/template/spec/restartPolicy is "Never", not "Always"'),
    ('[{op: add, path: /spec/x, value: 1}, {op: remove, path: /spec/nothing}]', 8,
     "operation 2: remove: /spec/nothing: no member 'nothing'"),
])
def test_a_failing_json_patch_names_the_overlay_line(tmp_path: Path, ops: str, where: int, words: str) -> None:
    make_repo(tmp_path, {"o": f"objectPatches:\n  - select: {{kind: Job}}\n    jsonPatch: {ops}"})
    res = build(tmp_path, "o")
    found = errors(res)
    assert len(found) == 2  # one per Job (train-a, train-b)
    assert all(f.startswith(f"overlays/o/overlay.yaml:{where}:") and "error[overlay.json-patch]" in f
               and 'object patch 1 of overlay "o" (overlays/o/overlay.yaml:7)' in f and words in f for f in found)
    assert "Job runai-nlp/train-a" in found[0] + found[1]
    assert {b.name for b in res.bundles} == {"shell"}


@pytest.mark.parametrize("patch,words", [
    ("jsonPatch: [{op: remove, path: /metadata/labels/wlc.dev~1workload}]", "removes label wlc.dev/workload"),
    ("jsonPatch: [{op: replace, path: /metadata/name, value: other}]",
     "changes metadata.name from 'train-a' to 'other'"),
    ("mergePatch: {metadata: {namespace: elsewhere}}", "changes metadata.namespace from 'runai-nlp' to 'elsewhere'"),
    ("mergePatch: {kind: CronJob}", "changes kind from 'Job' to 'CronJob'"),
    ("mergePatch: {metadata: {labels: {applyset.kubernetes.io/part-of: x}}}",
     "changes label applyset.kubernetes.io/part-of"),
    ("mergePatch: {metadata: {annotations: {wlc.dev/spec-hash: null}}}", "removes annotation wlc.dev/spec-hash"),
])
def test_an_object_patch_that_breaks_the_contract_is_an_error(tmp_path: Path, patch: str, words: str) -> None:
    make_repo(tmp_path, {"o": f"objectPatches:\n  - select: {{kind: Job, name: train-a}}\n    {patch}"})
    res = build(tmp_path, "o")
    found = errors(res)
    assert len(found) == 1 and "error[overlay.contract]" in found[0] and words in found[0]
    assert found[0].startswith("overlays/o/overlay.yaml:7:") and "object patch 1 of overlay \"o\"" in found[0]
    assert "train-a" not in {b.name for b in res.bundles}


def test_the_applyset_id_of_the_parent_is_protected(tmp_path: Path) -> None:
    make_repo(tmp_path, {"o": """
        objectPatches:
          - select: {kind: ConfigMap, name: "*-applyset"}
            mergePatch: {metadata: {labels: {applyset.kubernetes.io/id: forged}}}
        """})
    res = build(tmp_path, "o")
    assert len(errors(res)) == 3 and all(f"changes label {L.APPLYSET_ID}" in e for e in errors(res))


def test_an_object_patch_that_breaks_the_schema_names_the_patch(tmp_path: Path) -> None:
    make_repo(tmp_path, {"o": """
        objectPatches:
          - select: {kind: Job, name: train-a}
            mergePatch: {spec: {activeDeadlineSeconds: 10}}
          - select: {kind: Job, name: train-a}
            jsonPatch: [{op: add, path: /spec/backoffLimit, value: lots}]
        """})
    res = build(tmp_path, "o")
    found = errors(res)
    assert len(found) == 1
    assert found[0].startswith("overlays/o/overlay.yaml:9:") and "error[overlay.schema]" in found[0]
    assert 'object patch 2 of overlay "o"' in found[0] and "backoffLimit" in found[0]
    assert "also changed by object patch 1" in found[0] and "compiler bug" not in found[0]


def test_patches_apply_in_chain_order_base_first(tmp_path: Path) -> None:
    make_repo(tmp_path, {
        "base": "objectPatches:\n  - select: {kind: Job}\n    mergePatch: {spec: {activeDeadlineSeconds: 1}}",
        "top": ("bases: [base]\nobjectPatches:\n  - select: {kind: Job}\n"
                "    jsonPatch: [{op: test, path: /spec/activeDeadlineSeconds, value: 1},"
                " {op: replace, path: /spec/activeDeadlineSeconds, value: 2}]"),
    })
    res = build(tmp_path, "top")
    assert errors(res) == []
    assert all(o["spec"]["activeDeadlineSeconds"] == 2 for b in res.bundles for o in b.objects if o["kind"] == "Job")


def test_an_object_patch_selecting_nothing_changes_nothing(tmp_path: Path) -> None:
    make_repo(tmp_path, {"o": "objectPatches:\n  - select: {kind: Deployment}\n    mergePatch: {spec: {x: 1}}"})
    plain, res = build(tmp_path, None), build(tmp_path, "o")
    assert [objects(res, n) for n in ("shell", "train-a")] == [objects(plain, n) for n in ("shell", "train-a")]
