"""Shape rules of plain command arguments become 422s naming the field."""

from __future__ import annotations

import pytest

from domain import validation
from domain.errors import InvalidInput
from domain.values import CampaignStatus


def test_a_uuid_is_stored_in_canonical_lower_case_form() -> None:
    raw = "6F1C2A52-1D0B-4A52-9A43-0D5A3F0B7E11"

    assert validation.entity_id(raw) == raw.lower()
    assert validation.path_id(raw) == raw.lower()


def test_an_id_that_is_not_a_uuid_is_invalid_input_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as refusal:
        validation.entity_id("nope", "runId")

    assert refusal.value.errors[0].field == "runId"


def test_a_path_id_that_is_not_a_uuid_is_kept_to_be_not_found() -> None:
    assert validation.path_id("nope") == "nope"


def test_an_unknown_enum_name_lists_the_allowed_ones() -> None:
    with pytest.raises(InvalidInput) as refusal:
        validation.member_of(CampaignStatus, "Done", "status")

    assert "Draft" in refusal.value.errors[0].message
    assert validation.member_of(CampaignStatus, "Draft", "status") is CampaignStatus.DRAFT
