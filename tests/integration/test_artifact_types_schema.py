"""The JSON Schema the project ships for the artifact-types file agrees with the loader: what the
schema refuses, the service refuses at start-up, and the other way round, except the two rules
across entries that JSON Schema cannot say (and the schema's description names)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from application.artifact_types import load_artifact_types
from domain.artifact_types import STANDARD_ARTIFACT_TYPES, ArtifactTypeRegistry
from domain.errors import ConfigurationError

CONFIG = Path(__file__).resolve().parents[2] / "config"
SCHEMA = json.loads((CONFIG / "artifact-types.schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema_rs.validator_for(SCHEMA)

BEYOND_JSON_SCHEMA = ("listed twice", "share the reference name")
"""The loader's rules across entries: the schema accepts what breaks them."""


def loader_accepts(config: Any) -> bool:
    try:
        ArtifactTypeRegistry.from_config(config)
    except ConfigurationError as refusal:
        # a rule the schema cannot say counts as accepted (checked at start-up only)
        return any(rule in refusal.detail for rule in BEYOND_JSON_SCHEMA)
    return True


def test_the_shipped_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema_rs.meta.validate(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert all(rule in SCHEMA["description"] for rule in ("distinct", "reference names"))


def test_the_data_models_example_file_follows_the_schema_and_loads() -> None:
    path = CONFIG / "artifact-types.json"
    example = json.loads(path.read_text(encoding="utf-8"))

    assert example == {
        "$schema": "./artifact-types.schema.json",
        "customTypes": [
            {"name": "custom_asset", "description": "Custom asset type for specific workflows"}
        ],
    }
    assert VALIDATOR.is_valid(example)
    assert load_artifact_types(path).names == (*STANDARD_ARTIFACT_TYPES, "custom_asset")


CASES: list[Any] = [
    {"customTypes": []},
    {"$schema": "x", "customTypes": [{"name": "voice", "description": "d"}]},
    [],
    {},
    {"customTypes": {}},
    {"customTypes": [], "extra": 1},
    {"$schema": 1, "customTypes": []},
    {"customTypes": ["voice"]},
    {"customTypes": [{"name": "Voice", "description": "d"}]},
    {"customTypes": [{"name": "1voice", "description": "d"}]},
    {"customTypes": [{"name": "voice\n", "description": "d"}]},
    {"customTypes": [{"name": "plan", "description": "d"}]},
    {"customTypes": [{"name": "voice"}]},
    {"customTypes": [{"name": "voice", "description": " "}]},
    {"customTypes": [{"name": "voice", "description": 3}]},
    {"customTypes": [{"name": 3, "description": "d"}]},
    {"customTypes": [{"name": "voice", "description": "d", "colour": "red"}]},
    {"customTypes": [{"name": "voice", "description": "d"}, {"name": "voice", "description": "e"}]},
    {"customTypes": [{"name": "a_b", "description": "d"}, {"name": "a__b", "description": "e"}]},
]


@pytest.mark.parametrize("config", CASES, ids=[json.dumps(case)[:60] for case in CASES])
def test_the_schema_and_the_loader_accept_and_refuse_the_same_files(config: Any) -> None:
    assert VALIDATOR.is_valid(config) == loader_accepts(config)


names = st.one_of(
    st.sampled_from(STANDARD_ARTIFACT_TYPES),
    st.from_regex(r"[a-zA-Z0-9_]{0,12}", fullmatch=True),
    st.text(alphabet="abc_\n -1", max_size=6),
)
descriptions = st.one_of(st.text(alphabet="ab \t\n", max_size=5), st.integers(), st.none())
entries = st.one_of(
    st.fixed_dictionaries({"name": names, "description": descriptions}),
    st.fixed_dictionaries({"name": names}),
    st.fixed_dictionaries({"name": names, "description": descriptions, "colour": st.just("red")}),
    st.text(max_size=3),
)
configs = st.one_of(
    st.fixed_dictionaries({"customTypes": st.lists(entries, max_size=4)}),
    st.fixed_dictionaries(
        {"$schema": st.one_of(st.text(max_size=5), st.integers()), "customTypes": st.lists(entries)}
    ),
    st.fixed_dictionaries({"customTypes": st.one_of(st.none(), st.text(), st.integers())}),
    st.lists(entries, max_size=2),
)


@given(configs)
@settings(max_examples=300, deadline=None)
def test_any_file_is_accepted_by_the_schema_exactly_when_the_loader_accepts_it(
    config: Any,
) -> None:
    assert VALIDATOR.is_valid(config) == loader_accepts(config)
