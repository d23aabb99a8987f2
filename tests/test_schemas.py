"""The input JSON Schemas: valid draft 2020-12, documented, closed, offline, and up to date."""
from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from compiler import schemas
from compiler.config import target_settings
from compiler.load import parse_documents
from compiler.model import NATIVE_KINDS, Target
from compiler.validate import validate_doc

FOLDER = schemas.schema_dir()
FILES = sorted(p.name for p in FOLDER.glob("*.schema.json"))
REPO = Path(__file__).resolve().parent.parent


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FOLDER / name).read_text(encoding="utf-8"))
    return data


def subschemas(node: Any, where: str = "") -> Iterator[tuple[str, Any]]:
    """Every dict in a schema tree with its JSON-pointer-ish location."""
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from subschemas(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from subschemas(value, f"{where}/{i}")


def test_there_is_one_schema_per_kind_and_a_common_one() -> None:
    extra = ["common.schema.json", "document.schema.json"]
    assert FILES == sorted([f"{k}.schema.json" for k in NATIVE_KINDS] + extra)


def test_the_document_schema_picks_the_schema_of_the_kind() -> None:
    validator = Draft202012Validator(load("document.schema.json"), registry=schemas.registry())
    good = {"apiVersion": "wlc.dev/v1alpha1", "kind": "Department", "metadata": {"name": "a"}}
    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "metadata": {"name": "A"}})
    assert not validator.is_valid({**good, "kind": "Pod"})


@pytest.mark.parametrize("name", FILES)
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    schema = load(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("name", FILES)
def test_every_property_has_a_description(name: str) -> None:
    missing = [f"{where}/properties/{prop}" for where, node in subschemas(load(name))
               if isinstance(node.get("properties"), dict) and not where.endswith("/properties")
               for prop, sub in node["properties"].items()
               if "description" not in sub and sub not in ({}, True, False)
               and "/if/" not in f"{where}/"]
    assert missing == []


@pytest.mark.parametrize("name", [f for f in FILES if f != "document.schema.json"])
def test_every_object_with_properties_is_closed(name: str) -> None:
    open_objects = [where for where, node in subschemas(load(name))
                    if node.get("type") == "object" and "properties" in node
                    and node.get("additionalProperties") is not False]
    assert open_objects == []


@pytest.mark.parametrize("name", FILES)
def test_nothing_but_a_description_sits_beside_a_ref(name: str) -> None:
    # the compiled fast validator reads $ref as draft-07 does and ignores its siblings
    crowded = [where for where, node in subschemas(load(name))
               if "$ref" in node and set(node) - {"$ref", "description", "default"}]
    assert crowded == []


@pytest.mark.parametrize("name", FILES)
def test_every_ref_resolves_offline(name: str) -> None:
    resolver = schemas.registry().resolver(base_uri=name)
    refs = [node["$ref"] for _, node in subschemas(load(name)) if isinstance(node.get("$ref"), str)]
    assert refs
    for ref in refs:
        assert resolver.lookup(ref).contents is not None


@pytest.mark.parametrize("kind", NATIVE_KINDS)
def test_schema_for_every_kind(kind: str) -> None:
    assert schemas.node(schemas.schema_for(kind), "properties", "kind")["enum"] == [kind]
    assert schemas.validator_for(kind) is schemas.validator_for(kind)


def test_schema_for_an_unknown_kind_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        schemas.schema_for("Pod")


def test_target_defaults_are_the_compilers() -> None:
    target = schemas.node(schemas.common_defs(), "target", "properties")
    props = {key: schemas.node(prop) for key, prop in target.items()}
    documented = {key: prop["default"] for key, prop in props.items() if "default" in prop}
    assert documented == target_settings(Target())
    assert set(target) - set(documented) == {"s3"}  # unset by default: S3 data sources are refused


def test_schema_files_are_generated_from_generate_py() -> None:
    spec = importlib.util.spec_from_file_location("generate_schemas", FOLDER / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    stale = [name for name, content in module.all_files().items()
             if (FOLDER / name).read_text(encoding="utf-8") != content]
    assert stale == [], "run: python schemas/generate.py"


def test_the_projects_own_inputs_are_valid() -> None:
    files = [REPO / "wlc.yaml"] + [path for folder in ("examples", "policies", "overlays")
                                   for path in sorted((REPO / folder).rglob("*.yaml"))]
    found = []
    for path in files:
        docs, problems = parse_documents(path.read_text(encoding="utf-8"), path.name)
        found += [p.text() for p in problems] + [p.text() for d in docs for p in validate_doc(d)]
    assert found == []
