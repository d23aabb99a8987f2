"""Every input that matters invalidates a shared result: with a policy default, an asset, a
template, an overlay patch, a project's node pools or wlc.yaml's target settings changed between
two commits, ``wlc diff`` reports exactly the workloads whose output changed, and the base it
built from the head's shared results is byte-identical to a clean build of the base."""
from __future__ import annotations

from pathlib import Path

import pytest

from compiler import gitrev, pipeline
from compiler.diff.builds import Results, Revision, build, finish, pending
from tests.diffkit import ORG, change, changes, diff_json, doc, init, policy

TRAININGS = ["runai-nlp/d", "runai-nlp/e", "runai-vision/a", "runai-vision/b"]
VISION = ["runai-vision/a", "runai-vision/b", "runai-vision/c"]
COMPUTE = "apiVersion: wlc.dev/v1alpha1\nkind: ComputeResource\nmetadata:\n  name: small\nspec:\n  cpuCoreRequest: {n}\n"
TEMPLATE = "apiVersion: wlc.dev/v1alpha1\nkind: Template\nmetadata:\n  name: base\nspec:\n  backoffLimit: {n}\n"
OVERLAY = ("apiVersion: wlc.dev/v1alpha1\nkind: Overlay\nmetadata:\n  name: prod\nspec:\n"
           "  specPatches:\n    - select:\n        workloadTypes: [TrainingWorkload]\n"
           "      patch:\n        backoffLimit: {n}\n")
WLC = ("apiVersion: wlc.dev/v1alpha1\nkind: Repository\nmetadata:\n  name: t\nspec:\n  workloadRoots: [workloads]\n"
       "  target:\n    nodePoolLabel: {label}\n")

FILES = {
    "workloads/vision/a.yaml": doc("Training", "a", compute="small"),
    "workloads/vision/b.yaml": doc("Training", "b", template="base"),
    "workloads/vision/c.yaml": doc("Interactive", "c"),
    "workloads/nlp/d.yaml": doc("Training", "d", compute="small"),
    "workloads/nlp/e.yaml": doc("Training", "e"),
    "policies/vision.yaml": policy("vision-defaults", "vision", {"compute": {"cpuMemoryRequest": "1Gi"}}),
    "assets/compute.yaml": COMPUTE.format(n=1),
    "templates/base.yaml": TEMPLATE.format(n=3),
    "overlays/prod/overlay.yaml": OVERLAY.format(n=1),
    "wlc.yaml": WLC.format(label="run.ai/node-pool"),
}

#: case → (files changed, overlay compared, workloads reported, workloads whose result is shared:
#: a changed target or overlay chain is in every workload's key, so nothing is shared then)
CASES: dict[str, tuple[dict[str, str | None], str | None, list[str], int]] = {
    "policy default": ({"policies/vision.yaml": policy("vision-defaults", "vision",
                                                       {"compute": {"cpuMemoryRequest": "2Gi"}})}, None, VISION, 2),
    "asset": ({"assets/compute.yaml": COMPUTE.format(n=2)}, None, ["runai-nlp/d", "runai-vision/a"], 3),
    "template": ({"templates/base.yaml": TEMPLATE.format(n=5)}, None, ["runai-vision/b"], 4),
    "overlay patch": ({"overlays/prod/overlay.yaml": OVERLAY.format(n=2)}, "prod", TRAININGS, 0),
    "project node pools": ({"org.yaml": ORG.replace("nodePools: [a100, h100]", "nodePools: [h100]")}, None,
                           VISION, 2),
    "target settings": ({"wlc.yaml": WLC.format(label="example.com/pool")}, None, VISION, 0),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_changed_input_changes_the_affected_workloads_and_only_those(tmp_path: Path, case: str) -> None:
    edits, overlay, expected, shared = CASES[case]
    root = init(tmp_path / "r", FILES)
    change(root, edits)
    args = ["--overlay", overlay] if overlay else []
    body = diff_json(root, "--base", "HEAD~1", *args)
    found = changes(body)
    assert sorted(found) == expected
    assert all(c["change"] == "changed" and c["diff"] for c in found.values())
    assert body["overlays"][0]["counts"]["unchanged"] == 5 - len(expected)
    assert_base_is_clean(root, overlay, shared)


def assert_base_is_clean(root: Path, overlay: str | None, taken: int) -> None:
    """The diff's base, built with the head's results shared, is the clean build of the base;
    ``taken`` workloads (whose inputs did not change) came from the head, not built again."""
    shared = Results()
    with gitrev.checkout(root, "HEAD~1") as base:
        build(overlay, Revision(root, None, "head"), shared)
        built = shared.misses
        side, before = finish(pending(overlay, Revision(base, None, "base")), shared)
        clean = pipeline.check(base, overlay)
    assert before is not None and side.ok and clean.ok
    assert {k: b.docs for k, b in before.bundles.items()} == {(b.namespace, b.name): b.docs for b in clean.bundles}
    assert shared.hits == taken and shared.misses == built + 5 - taken
    assert len(before.specs) == 5 - taken
