"""Templates and assets merge under the submission; itemized lists merge by key."""
from __future__ import annotations

from typing import Any

from compiler.merge import merge, tag, untag
from compiler.model import Source

LOW, HIGH = Source("template", "t"), Source("submission")


def merged(low: dict[str, Any], high: dict[str, Any]) -> tuple[Any, Any]:
    return untag(merge(tag(low, LOW), tag(high, HIGH)))


def test_submission_wins_and_keeps_the_rest() -> None:
    data, prov = merged({"image": "a", "workingDir": "/w"}, {"image": "b"})
    assert data == {"image": "b", "workingDir": "/w"}
    assert prov[("image",)] == HIGH and prov[("workingDir",)] == LOW


def test_env_items_merge_by_name_member_by_member() -> None:
    low = {"environmentVariables": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}
    high = {"environmentVariables": [{"name": "B", "value": "3"}, {"name": "C", "value": "4"}]}
    data, prov = merged(low, high)
    assert data["environmentVariables"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "3"},
                                           {"name": "C", "value": "4"}]
    assert prov[("environmentVariables", 1, "value")] == HIGH
    assert prov[("environmentVariables", 0, "value")] == LOW


def test_exclude_removes_an_inherited_item() -> None:
    low = {"storage": {"pvc": [{"claimName": "a", "path": "/a"}, {"claimName": "b", "path": "/b"}]}}
    high = {"storage": {"pvc": [{"claimName": "a", "exclude": True}]}}
    data, _ = merged(low, high)
    assert data == {"storage": {"pvc": [{"claimName": "b", "path": "/b"}]}}


def test_extended_resources_key_is_resource() -> None:
    low = {"compute": {"extendedResources": [{"resource": "x/y", "quantity": "1"}]}}
    high = {"compute": {"extendedResources": [{"resource": "x/y", "quantity": "2"}]}}
    data, _ = merged(low, high)
    assert data["compute"]["extendedResources"] == [{"resource": "x/y", "quantity": "2"}]


def test_ports_key_is_container_port() -> None:
    low = {"ports": [{"container": 8888, "serviceType": "NodePort"}]}
    high = {"ports": [{"container": 8888, "serviceType": "ClusterIP"}, {"container": 22}]}
    data, _ = merged(low, high)
    assert data["ports"] == [{"container": 8888, "serviceType": "ClusterIP"}, {"container": 22}]


def test_plain_lists_replace_as_a_whole() -> None:
    data, prov = merged({"nodePools": ["a", "b"]}, {"nodePools": ["c"]})
    assert data == {"nodePools": ["c"]} and prov[("nodePools",)] == HIGH


def test_excluding_nothing_is_harmless() -> None:
    data, _ = merged({}, {"tolerations": [{"name": "t", "exclude": True}]})
    assert data == {"tolerations": []}


def test_master_and_worker_sections_merge_by_the_same_keys() -> None:
    low = {"worker": {"environmentVariables": [{"name": "A", "value": "1"}]}}
    high = {"worker": {"environmentVariables": [{"name": "B", "value": "2"}]}}
    data, _ = merged(low, high)
    assert [e["name"] for e in data["worker"]["environmentVariables"]] == ["A", "B"]
