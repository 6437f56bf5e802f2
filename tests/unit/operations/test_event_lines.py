"""The JSON Lines form of an exported event: exactly the contract's fields, checked on import."""

from __future__ import annotations

import json
from typing import Any

import pytest

from domain.errors import InvalidInput
from domain.recorded import RecordedEvent
from operations.event_lines import EventLine

CID = "0f8fad5b-d9cb-469f-a165-70867728950e"


def line(**changes: Any) -> dict[str, Any]:
    return {
        "campaignId": CID,
        "tenantId": "acme",
        "version": 1,
        "type": "CampaignCreated",
        "data": {"tenantId": "acme", "name": "Spring", "brief": {}},
        "metadata": {"commandId": "c-1", "actor": "ana", "tenantId": "acme"},
        "recordedAt": "2026-01-01T12:00:00.123456+00:00",
        **changes,
    }


def test_a_line_round_trips_through_its_compact_text() -> None:
    parsed = EventLine.parse(json.dumps(line()))

    assert json.loads(parsed.text()) == line()
    assert "\n" not in parsed.text()
    assert EventLine.parse(parsed.text()) == parsed


def test_a_line_is_made_from_an_event_of_the_log_with_its_campaigns_tenant() -> None:
    event = RecordedEvent(
        campaign_id=CID,
        version=3,
        type="CampaignUpdated",
        data={"name": "Summer", "brief": None},
        metadata={"tenantId": "acme"},
        timestamp="2026-01-01T12:00:00+00:00",
    )

    assert EventLine.of(event, "acme").to_json() == {
        "campaignId": CID,
        "tenantId": "acme",
        "version": 3,
        "type": "CampaignUpdated",
        "data": {"name": "Summer", "brief": None},
        "metadata": {"tenantId": "acme"},
        "recordedAt": "2026-01-01T12:00:00+00:00",
    }


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not json", "not JSON"),
        ("[1]", "not a JSON object"),
        (json.dumps({k: v for k, v in line().items() if k != "metadata"}), "missing ['metadata']"),
        (json.dumps(line(extra=1)), "unexpected ['extra']"),
        (json.dumps(line(campaignId=CID.upper())), "campaignId"),
        (json.dumps(line(version=0)), "version"),
        (json.dumps(line(version=True)), "version"),
        (json.dumps(line(data=[])), "data is not a JSON object"),
        (json.dumps(line(recordedAt="2026-01-01T12:00:00")), "recordedAt"),
        (json.dumps(line(recordedAt="yesterday")), "recordedAt"),
    ],
)
def test_a_line_that_is_not_exactly_an_exported_event_is_refused(text: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason.replace("[", r"\[").replace("]", r"\]")) as bad:
        EventLine.parse(text)

    assert bad.value.code == "invalid-event-line"


def test_the_event_document_of_a_line_is_the_event_stores_at_the_current_class_version() -> None:
    audit = EventLine.from_json(line(type="AuditRecorded", version=5))

    document = audit.event_document(append_id="a-1")

    assert document["id"] == "e-0000000005"
    assert document["topic"] == "domain.campaign:Campaign.AuditRecorded"
    assert document["classVersion"] == 2
    assert document["timestamp"] == "2026-01-01T12:00:00.123456+00:00"
    assert document["metadata"]["actor"] == "ana"


def test_an_event_type_a_campaign_does_not_have_has_no_document() -> None:
    for name in ("Snapshot", "Created", "NoSuchEvent", "__class__"):
        with pytest.raises(InvalidInput, match="not an event type"):
            EventLine.from_json(line(type=name)).event_document(append_id="a")
