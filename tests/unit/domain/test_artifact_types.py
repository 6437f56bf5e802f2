"""The registry of context-artifact types and the reference names of types."""

from __future__ import annotations

from typing import Any

import pytest

from domain.artifact_types import (
    STANDARD_ARTIFACT_TYPES,
    ArtifactTypeRegistry,
    reference_name,
)
from domain.errors import ConfigurationError, InvalidArtifactType


@pytest.mark.parametrize(
    ("artifact_type", "ref"),
    [
        ("plan", "planArtifactId"),
        ("intro_image", "introImageArtifactId"),
        ("outcome_win_video", "outcomeWinVideoArtifactId"),
        ("sfx", "sfxArtifactId"),
    ],
)
def test_a_reference_name_is_the_camel_cased_type_plus_artifact_id(
    artifact_type: str, ref: str
) -> None:
    assert reference_name(artifact_type) == ref


def test_the_standard_registry_knows_the_twelve_standard_types() -> None:
    registry = ArtifactTypeRegistry.standard()

    assert len(STANDARD_ARTIFACT_TYPES) == 12
    assert registry.names == STANDARD_ARTIFACT_TYPES
    assert registry.is_known("campaign_manifest")
    assert not registry.is_known("hologram")


def test_an_unknown_type_is_an_invalid_artifact_type() -> None:
    with pytest.raises(InvalidArtifactType) as refusal:
        ArtifactTypeRegistry.standard().ensure_known("Plan")

    assert refusal.value.code == "invalid-artifact-type"


def test_custom_types_from_the_config_are_known_beside_the_standard_ones() -> None:
    registry = ArtifactTypeRegistry.from_config(
        {"customTypes": [{"name": "voice_over", "description": "Narration track"}]}
    )

    assert registry.is_known("voice_over")
    assert registry.is_known("plan")
    assert registry.reference_name("voice_over") == "voiceOverArtifactId"
    assert registry.custom_types[0].description == "Narration track"


def test_a_config_without_custom_types_gives_the_standard_registry() -> None:
    assert ArtifactTypeRegistry.from_config({"customTypes": []}).names == STANDARD_ARTIFACT_TYPES


@pytest.mark.parametrize(
    ("config", "complaint"),
    [
        ([], "expected a JSON object"),
        ({}, "'customTypes' must be a list"),
        ({"customTypes": {}}, "'customTypes' must be a list"),
        ({"customTypes": [], "extra": 1}, "unknown keys ['extra']"),
        ({"customTypes": ["voice"]}, "customTypes[0]: expected an object"),
        ({"customTypes": [{"name": "Voice", "description": "d"}]}, "customTypes[0].name"),
        ({"customTypes": [{"name": "1voice", "description": "d"}]}, "must be a string matching"),
        ({"customTypes": [{"name": "plan", "description": "d"}]}, "is a standard type"),
        ({"customTypes": [{"name": "voice"}]}, "customTypes[0].description"),
        ({"customTypes": [{"name": "voice", "description": " "}]}, "non-blank"),
        (
            {"customTypes": [{"name": "voice", "description": "d", "colour": "red"}]},
            "unknown keys ['colour']",
        ),
        (
            {
                "customTypes": [
                    {"name": "voice", "description": "d"},
                    {"name": "voice", "description": "e"},
                ]
            },
            "listed twice",
        ),
        (
            {
                "customTypes": [
                    {"name": "a_b", "description": "d"},
                    {"name": "a__b", "description": "e"},
                ]
            },
            "share the reference name 'aBArtifactId'",
        ),
    ],
)
def test_a_bad_config_is_a_configuration_error_saying_where(config: Any, complaint: str) -> None:
    with pytest.raises(ConfigurationError) as refusal:
        ArtifactTypeRegistry.from_config(config, source="types.json")

    assert complaint in refusal.value.detail
    assert refusal.value.detail.startswith("types.json")


def test_a_schema_reference_in_the_config_is_accepted_and_ignored() -> None:
    config = {
        "$schema": "./artifact-types.schema.json",
        "customTypes": [{"name": "custom_asset", "description": "Custom asset type"}],
    }

    registry = ArtifactTypeRegistry.from_config(config)

    assert registry.names == (*STANDARD_ARTIFACT_TYPES, "custom_asset")


def test_a_schema_reference_that_is_not_text_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError) as refusal:
        ArtifactTypeRegistry.from_config({"$schema": 1, "customTypes": []}, source="types.json")

    assert "'$schema' must be a string" in refusal.value.detail


def test_the_registry_lists_the_standard_types_in_order_then_the_custom_ones_in_file_order() -> (
    None
):
    config = {
        "customTypes": [
            {"name": "voice_over", "description": "Narration"},
            {"name": "asset", "description": "Anything else"},
        ]
    }

    entries = [entry.to_json() for entry in ArtifactTypeRegistry.from_config(config).entries()]

    assert [entry["name"] for entry in entries] == [*STANDARD_ARTIFACT_TYPES, "voice_over", "asset"]
    assert entries[1] == {
        "name": "intro_image",
        "refName": "introImageArtifactId",
        "standard": True,
        "description": "The intro image",
    }
    assert entries[-2] == {
        "name": "voice_over",
        "refName": "voiceOverArtifactId",
        "standard": False,
        "description": "Narration",
    }
    assert all(entry["description"] for entry in entries)
