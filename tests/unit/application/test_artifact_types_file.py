"""The artifact-types file's text becomes a registry, or a configuration error naming the file."""

from __future__ import annotations

import pytest

from application.artifact_types import load_artifact_types, parse_artifact_types
from domain.artifact_types import STANDARD_ARTIFACT_TYPES
from domain.errors import ConfigurationError


def test_without_a_file_only_the_standard_types_are_known() -> None:
    assert load_artifact_types(None).names == STANDARD_ARTIFACT_TYPES


def test_the_file_text_registers_its_custom_types() -> None:
    registry = parse_artifact_types(
        '{"customTypes": [{"name": "voice_over", "description": "Narration track"}]}'
    )

    assert registry.is_known("voice_over")
    assert registry.reference_name("voice_over") == "voiceOverArtifactId"


def test_text_that_is_not_json_is_a_configuration_error_naming_the_file() -> None:
    with pytest.raises(ConfigurationError) as refusal:
        parse_artifact_types('{"customTypes": [', source="types.json")

    assert refusal.value.detail.startswith("types.json: not valid JSON")
    assert "line 1" in refusal.value.detail


def test_a_rule_broken_in_the_file_is_a_configuration_error_naming_the_file() -> None:
    with pytest.raises(ConfigurationError) as refusal:
        parse_artifact_types(
            '{"customTypes": [{"name": "plan", "description": "x"}]}', source="types.json"
        )

    assert refusal.value.detail == "types.json: customTypes[0].name: 'plan' is a standard type"
