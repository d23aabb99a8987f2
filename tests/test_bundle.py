"""The bundle contract: the ApplySet id, apply order, YAML that reads back the same."""
from __future__ import annotations

import io

import pytest
import yaml

from compiler.bundle import applyset_id, sort_key
from compiler.emit import dump_documents


def test_applyset_id_matches_kubectls_vector() -> None:
    assert applyset_id("my-set", "test", "Secret", "") == "applyset-0eFHV8ySqp7XoShsGvyWFQD3s96yqwHmzc4e0HR1dsY-v1"


def test_apply_order_puts_claims_and_services_before_controllers_and_ingress_last() -> None:
    objs = [{"apiVersion": a, "kind": k, "metadata": {"name": "x"}} for a, k in (
        ("networking.k8s.io/v1", "Ingress"), ("batch/v1", "Job"), ("v1", "Service"),
        ("v1", "PersistentVolumeClaim"))]
    assert [o["kind"] for o in sorted(objs, key=sort_key)] == ["PersistentVolumeClaim", "Service", "Job", "Ingress"]


AMBIGUOUS = ["yes", "no", "on", "off", "y", "n", "true", "False", "null", "~", "0.5", "1e3", "0o17", "0x1f",
             "012", "1_000", "1:20", ".inf", "-.inf", ".nan", "2024-01-01", "", "=", "<<", "+1", "-2.5"]


@pytest.mark.parametrize("value", AMBIGUOUS)
def test_strings_read_back_as_strings_in_yaml_1_1(value: str) -> None:
    text = dump_documents([{"v": value}])
    assert yaml.safe_load(text) == {"v": value}


@pytest.mark.parametrize("value", AMBIGUOUS)
def test_strings_read_back_as_strings_in_yaml_1_2(value: str) -> None:
    ruamel = pytest.importorskip("ruamel.yaml")
    text = dump_documents([{"v": value}])
    assert dict(ruamel.YAML(typ="safe", pure=True).load(io.StringIO(text))) == {"v": value}


def test_keys_are_sorted_and_lists_keep_order() -> None:
    assert dump_documents([{"b": [3, 1, 2], "a": 1}]) == "---\na: 1\nb:\n- 3\n- 1\n- 2\n"
