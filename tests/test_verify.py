"""compiler.verify: output objects against the official Kubernetes schemas."""
from __future__ import annotations

import copy
from typing import Any

import pytest

from compiler import verify
from tests.lowerkit import lower, workload

JOB: dict[str, Any] = {
    "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j", "namespace": "ns"},
    "spec": {"template": {"spec": {"restartPolicy": "Never",
                                   "containers": [{"name": "main", "image": "busybox"}]}}}}


def test_valid_job_passes() -> None:
    assert verify.verify_objects([JOB], "1.37") == []


def test_unknown_field_is_reported_with_kind_name_and_path() -> None:
    bad = copy.deepcopy(JOB)
    bad["spec"]["template"]["spec"]["containers"][0]["gpus"] = 1
    [msg] = verify.verify_objects([bad], "1.37")
    assert msg.startswith("batch/v1 Job/ns/j: spec.template.spec.containers[0]:")
    assert "'gpus' was unexpected" in msg


def test_wrong_type_is_reported() -> None:
    bad = copy.deepcopy(JOB)
    bad["spec"]["backoffLimit"] = "six"
    [msg] = verify.verify_objects([bad], "1.37")
    assert "spec.backoffLimit" in msg and "integer" in msg


def test_non_string_label_value_is_reported() -> None:
    bad = copy.deepcopy(JOB)
    bad["metadata"]["labels"] = {"n": 1}
    assert verify.verify_objects([bad], "1.37") != []


def test_all_errors_of_an_object_are_reported() -> None:
    bad = copy.deepcopy(JOB)
    bad["spec"]["backoffLimit"] = "six"
    bad["spec"]["parallel"] = 2
    assert len(verify.verify_objects([bad], "1.37")) == 2


def test_field_missing_in_older_version_is_reported() -> None:
    obj = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "s"},
           "spec": {"selector": {"matchLabels": {"a": "b"}},
                    "template": {"metadata": {"labels": {"a": "b"}},
                                 "spec": {"containers": [{"name": "c", "image": "i"}]}}}}
    assert verify.verify_objects([obj], "1.33") == []
    [msg] = verify.verify_objects([obj], "1.32")
    assert "serviceName" in msg


def test_unknown_kind_is_skipped_and_listed() -> None:
    crd = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "p", "namespace": "n"}}
    assert verify.verify_objects([crd], "1.37") == []
    assert verify.unknown_kinds([crd, JOB], "1.37") == ["example.com/v1 Widget/n/p"]


def test_emitted_crd_kinds_are_verified_against_wlc_crd_schemas() -> None:
    crd = {"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob", "metadata": {"name": "p", "namespace": "n"}}
    assert verify.unknown_kinds([crd], "1.37") == []
    assert any("spec" in m for m in verify.verify_objects([crd], "1.37"))


def test_object_without_kind_is_an_error() -> None:
    assert verify.verify_objects([{"metadata": {"name": "x"}}], "1.37") != []


def test_newer_version_uses_newest_bundled_schema() -> None:
    newest = verify.available_versions()[-1]
    assert verify.schema_version("1.99") == newest
    assert verify.schema_version("v1.30.4") == "1.30"


def test_version_older_than_bundled_schemas_is_refused() -> None:
    with pytest.raises(verify.UnsupportedVersion):
        verify.schema_version("1.10")


def test_versions_compare_numerically() -> None:
    assert "1.9" not in verify.available_versions()
    assert verify.schema_version("1.100") == verify.available_versions()[-1]


def test_validators_are_cached_per_version_and_kind() -> None:
    a = verify.validator_for("1.37", "batch/v1", "Job")
    assert a is verify.validator_for("1.37", "batch/v1", "Job")
    assert a is not verify.validator_for("1.36", "batch/v1", "Job")


def test_fast_and_full_validators_agree_on_lowered_objects() -> None:
    objs, _ = lower(workload("interactive", ports=[{"container": 80, "serviceType": "NodePort"}],
                             exposedUrls=[{"container": 81}], compute={"gpuDevicesRequest": 1, "cpuCoreRequest": 1.5},
                             storage={"pvc": [{"claimName": "c", "path": "/c", "claimInfo": {"size": "1Gi"}}]}))
    for obj in objs:
        val = verify.validator_for("1.37", obj["apiVersion"], obj["kind"])
        assert val is not None
        assert verify.run_check(val.fast, obj)
        assert list(val.full.iter_errors(obj)) == []


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, path + (i,))
    return out


def _set(obj: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        obj = obj[key]
    obj[path[-1]] = value


def test_fast_check_agrees_with_jsonschema_on_mutated_objects() -> None:
    import random

    rng = random.Random(7)
    objs, _ = lower(workload("interactive", ports=[{"container": 80, "serviceType": "NodePort"}],
                             exposedUrls=[{"container": 81}], nodePools=["a", "b"],
                             compute={"gpuDevicesRequest": 1, "cpuCoreRequest": 1.5, "largeShmRequest": True},
                             tolerations=[{"name": "t", "operator": "Exists", "key": "k", "effect": "NoExecute",
                                           "seconds": 5}],
                             storage={"pvc": [{"claimName": "c", "path": "/c", "claimInfo": {"size": "1Gi"}}]}),
                    None)
    replacements = [None, 1, 1.5, True, "x", [], {}, [1], {"bogus": 1}]
    checked = 0
    for obj in objs:
        val = verify.validator_for("1.37", obj["apiVersion"], obj["kind"])
        assert val is not None
        paths = [p for p in _paths(obj) if p]
        for _ in range(150):
            bad = copy.deepcopy(obj)
            path = rng.choice(paths)
            if rng.random() < 0.3 and isinstance(_get(bad, path), dict):
                _get(bad, path)["unknownField"] = 1
            else:
                _set(bad, path, rng.choice(replacements))
            fast_ok = verify.run_check(val.fast, bad)
            full_ok = not list(val.full.iter_errors(bad))
            assert fast_ok == full_ok, (path, bad)
            checked += 1
    assert checked == 150 * len(objs)


def _get(obj: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        obj = obj[key]
    return obj


def test_unsupported_version_is_a_configuration_error() -> None:
    from compiler.problems import ConfigError

    with pytest.raises(ConfigError):
        verify.verify_objects([JOB], "1.20")
