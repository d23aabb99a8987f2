"""Reading a bundle for a sync: hashes checked against index.json, the ApplySet contract
checked, anything else refuses the whole bundle. Ownership rules. No cluster needed."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from compiler.cluster import ownership, source

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle")
    subprocess.run([sys.executable, "-m", "compiler.cli", "build", "--repo", str(REPO), "--out", str(out)],
                   check=True, capture_output=True)
    return out


def copy_of(built: Path, tmp_path: Path) -> Path:
    shutil.copytree(built, tmp_path / "b")
    return tmp_path / "b"


def test_a_fresh_build_reads_back_with_parents_first(built: Path) -> None:
    bundle = source.read_bundle(built)
    index = json.loads((built / "base" / "index.json").read_text())
    assert bundle.overlay == "base"
    assert [w.name for w in bundle.workloads] == [w["name"] for w in index["workloads"]]
    for w, entry in zip(bundle.workloads, index["workloads"]):
        assert w.parent.name == f"{w.name}-applyset"
        assert len(w.members) + 1 == len(entry["objects"])
        assert all(m.body["metadata"]["labels"]["applyset.kubernetes.io/part-of"] == w.applyset for m in w.members)
    assert source.read_bundle(built, "base") == bundle == source.read_bundle(built / "base")


def test_a_changed_byte_refuses_the_whole_bundle(built: Path, tmp_path: Path) -> None:
    folder = copy_of(built, tmp_path)
    target = folder / "base" / "runai-nlp" / "chat-grpc.yaml"
    text = target.read_text()
    assert "replicas: 2" in text
    target.write_text(text.replace("replicas: 2", "replicas: 9"))
    with pytest.raises(source.BundleRefused) as refused:
        source.read_bundle(folder)
    assert [p.code for p in refused.value.problems] == ["sync.bundle-hash"]
    assert refused.value.problems[0].file.endswith("runai-nlp/chat-grpc.yaml")


def test_an_index_hash_that_does_not_match_an_object_refuses(built: Path, tmp_path: Path) -> None:
    folder = copy_of(built, tmp_path)
    index_path = folder / "base" / "index.json"
    index: dict[str, Any] = json.loads(index_path.read_text())
    index["workloads"][0]["objects"][1]["hash"] = "sha256:" + "0" * 64
    index_path.write_text(json.dumps(index))
    with pytest.raises(source.BundleRefused) as refused:
        source.read_bundle(folder)
    assert "its sha256 does not match" in refused.value.problems[0].message


def test_a_missing_file_or_index_refuses(built: Path, tmp_path: Path) -> None:
    folder = copy_of(built, tmp_path)
    (folder / "base" / "runai-nlp" / "chat-grpc.yaml").unlink()
    with pytest.raises(source.BundleRefused) as refused:
        source.read_bundle(folder)
    assert refused.value.problems[0].code == "sync.bundle-unreadable"
    with pytest.raises(source.BundleRefused):
        source.read_bundle(tmp_path / "nothing-here")


def test_the_cli_refuses_a_tampered_bundle_before_it_connects(built: Path, tmp_path: Path) -> None:
    folder = copy_of(built, tmp_path)
    target = folder / "base" / "runai-nlp" / "chat-grpc.yaml"
    target.write_text(target.read_text() + "# edited\n")
    done = subprocess.run([sys.executable, "-m", "compiler.cli", "sync", "--bundle", str(folder),
                           "--kubeconfig", str(tmp_path / "no-such-kubeconfig")], check=False,
                          capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    assert "sync.bundle-hash" in done.stderr and "nothing applied" in done.stderr


def test_the_cli_does_not_import_kubernetes_for_a_build() -> None:
    code = "import sys, compiler.cli; sys.exit('kubernetes' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def labelled(**extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "x", "labels": {"app.kubernetes.io/managed-by": "wlc",
                                                    "applyset.kubernetes.io/part-of": "applyset-a-v1"},
                            "managedFields": [{"manager": "wlc", "operation": "Apply"}]}
    for part, (key, value) in extra.items():
        meta.setdefault(part, {})[key] = value
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta}


def test_ownership_needs_labels_manager_and_no_foreign_marker() -> None:
    assert ownership.why_not_owned(labelled(), "applyset-a-v1", is_parent=False) is None
    assert "without wlc's labels" in str(ownership.why_not_owned(labelled(), "applyset-b-v1", is_parent=False))
    no_manager = labelled()
    no_manager["metadata"]["managedFields"] = [{"manager": "kubectl-client-side-apply"}]
    assert "never applied it" in str(ownership.why_not_owned(no_manager, "applyset-a-v1", is_parent=False))
    for marked, tool in [(labelled(annotations=("meta.helm.sh/release-name", "r")), "Helm"),
                         (labelled(annotations=("argocd.argoproj.io/tracking-id", "a:/Service:ns/x")), "Argo CD"),
                         (labelled(labels=("kustomize.toolkit.fluxcd.io/name", "k")), "Flux")]:
        assert tool in str(ownership.why_not_owned(marked, "applyset-a-v1", is_parent=False))


def test_client_failures_become_wlc_errors_temporary_or_permanent() -> None:
    from compiler.cluster import errors
    status = json.dumps({"kind": "Status", "reason": "Invalid", "message": "Job.batch \"x\" is invalid",
                         "details": {"causes": [{"field": "spec.template", "message": "field is immutable"}]}})
    invalid = errors.from_status(422, status, "apply Job x")
    assert isinstance(invalid, errors.PermanentError) and not invalid.temporary
    assert invalid.causes == ("spec.template: field is immutable",)
    assert str(invalid).startswith("apply Job x: 422 Invalid: spec.template: field is immutable (its spec hash is unchanged")
    assert isinstance(errors.from_status(404, None, "get"), errors.NotFound)
    assert isinstance(errors.from_status(409, b"{}", "apply"), errors.Conflict)
    for code in (429, 500, 503):
        assert errors.from_status(code, "not json", "list").temporary
    assert errors.from_exception(ConnectionRefusedError("refused"), "get").temporary


def test_an_unreachable_api_server_exits_3_in_one_line(built: Path, tmp_path: Path) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "c", "cluster": {"server": "http://127.0.0.1:9", "insecure-skip-tls-verify": True}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}]}))
    done = subprocess.run([sys.executable, "-m", "compiler.cli", "plan", "--bundle", str(built), "--kubeconfig",
                           str(config)], check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    assert done.stderr.startswith("wlc: cluster error:") and "cannot reach the API server" in done.stderr
    assert "Traceback" not in done.stderr

