"""wlc's JSON 6902 patches, merge patches and common labels against `kubectl kustomize`.

The base build's objects become kustomize resources; a kustomization with the same patches and
labels must give exactly the objects of the wlc overlay build.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.overlaykit import build, errors, make_repo

KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl (with kustomize) is not installed")

OVERLAY = """
commonLabels: {example.com/env: prod, tier2: x}
commonAnnotations: {example.com/contact: ml@example.com}
objectPatches:
  - select: {group: batch, kind: Job, name: train-a}
    jsonPatch:
      - {op: test, path: /spec/template/spec/restartPolicy, value: Never}
      - {op: add, path: /spec/activeDeadlineSeconds, value: 600}
      - {op: add, path: /spec/template/spec/tolerations/0, value: {key: a, operator: Exists}}
      - {op: copy, from: /metadata/name, path: /metadata/annotations/copied}
      - {op: move, from: /metadata/annotations/copied, path: /spec/template/metadata/labels/moved}
      - {op: remove, path: /spec/template/spec/containers/0/command}
      - {op: replace, path: /spec/template/spec/restartPolicy, value: OnFailure}
  - select: {group: networking.k8s.io, kind: Ingress}
    mergePatch:
      metadata:
        annotations: {nginx.ingress.kubernetes.io/proxy-body-size: 64m}
      spec:
        ingressClassName: null
"""

KUSTOMIZATION = """
resources: [objects.yaml]
labels:
  - pairs: {example.com/env: prod, tier2: x}
    includeSelectors: false
    includeTemplates: true
commonAnnotations: {example.com/contact: ml@example.com}
patches:
  - target: {group: batch, kind: Job, name: train-a}
    patch: |-
      - {op: test, path: /spec/template/spec/restartPolicy, value: Never}
      - {op: add, path: /spec/activeDeadlineSeconds, value: 600}
      - {op: add, path: /spec/template/spec/tolerations/0, value: {key: a, operator: Exists}}
      - {op: copy, from: /metadata/name, path: /metadata/annotations/copied}
      - {op: move, from: /metadata/annotations/copied, path: /spec/template/metadata/labels/moved}
      - {op: remove, path: /spec/template/spec/containers/0/command}
      - {op: replace, path: /spec/template/spec/restartPolicy, value: OnFailure}
  - target: {group: networking.k8s.io, kind: Ingress}
    patch: |-
      apiVersion: networking.k8s.io/v1
      kind: Ingress
      metadata:
        name: unused
        annotations: {nginx.ingress.kubernetes.io/proxy-body-size: 64m}
      spec:
        ingressClassName: null
"""


def key(obj: dict[str, Any]) -> tuple[str, str, str, str]:
    meta = obj["metadata"]
    return (obj["apiVersion"], obj["kind"], meta.get("namespace", ""), meta["name"])


def kustomize(folder: Path, objects: list[dict[str, Any]], kustomization: str) -> dict[tuple[str, ...], Any]:
    folder.mkdir()
    (folder / "objects.yaml").write_text(yaml.safe_dump_all(objects, sort_keys=True))
    (folder / "kustomization.yaml").write_text(kustomization)
    out = subprocess.run([str(KUBECTL), "kustomize", str(folder)], capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    return {key(o): o for o in yaml.safe_load_all(out.stdout) if o}


def test_patches_and_common_labels_match_kustomize(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"o": OVERLAY})
    base, over = build(repo, None), build(repo, "o")
    assert errors(base) == [] and errors(over) == []
    base_objects = [o for b in base.bundles for o in b.objects]
    ours = {key(o): o for b in over.bundles for o in b.objects}
    theirs = kustomize(tmp_path / "k", base_objects, KUSTOMIZATION)
    assert sorted(ours) == sorted(theirs)
    for k in sorted(ours):
        assert ours[k] == theirs[k], k
    job = ours[("batch/v1", "Job", "runai-nlp", "train-a")]
    assert job["spec"]["activeDeadlineSeconds"] == 600 and job["spec"]["template"]["metadata"]["labels"]["moved"] == "train-a"


def test_a_failing_test_operation_fails_in_kustomize_too(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"o": """
        objectPatches:
          - select: {kind: Job, name: train-a}
            jsonPatch: [{op: test, path: /spec/template/spec/restartPolicy, value: Always}]
        """})
    assert any(p.code == "overlay.json-patch" for p in build(repo, "o").problems)
    base = build(repo, None)
    folder = tmp_path / "k"
    folder.mkdir()
    (folder / "objects.yaml").write_text(yaml.safe_dump_all([o for b in base.bundles for o in b.objects]))
    (folder / "kustomization.yaml").write_text(
        "resources: [objects.yaml]\npatches:\n  - target: {kind: Job, name: train-a}\n    patch: |-\n"
        "      - {op: test, path: /spec/template/spec/restartPolicy, value: Always}\n")
    out = subprocess.run([str(KUBECTL), "kustomize", str(folder)], capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode != 0
