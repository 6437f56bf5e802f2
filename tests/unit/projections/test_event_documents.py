"""Event documents as the projections read them: one decoder, older forms upcast the way the
aggregate upcasts them."""

from __future__ import annotations

from typing import Any

import pytest

from documentstore.memory import InMemoryDocumentStore
from domain.campaign import Campaign
from projections.dead_letters import DeadLetterBox
from projections.events import parse_event_document, read_campaign_events
from projections.reads import ReadModel
from projections.runner import ProjectionRunner
from tests.unit.projections.campaign_events import CampaignStream, append_to_log


def as_version_1(document: dict[str, Any]) -> dict[str, Any]:
    """An ``AuditRecorded`` document as it was stored before v2 added ``versionStatus``."""
    data = {key: value for key, value in document["data"].items() if key != "versionStatus"}
    return {**document, "classVersion": 1, "data": data}


@pytest.mark.parametrize(
    ("overall", "version_status"),
    [("Pass", "Audited"), ("Conditional", "Audited"), ("Fail", "Generated")],
)
def test_a_stored_v1_audit_is_projected_with_the_version_status_the_aggregate_derives(
    overall: str, version_status: str
) -> None:
    store = InMemoryDocumentStore()
    stream = CampaignStream()
    copy = stream.artifact("Copy")
    version = stream.version(copy)
    stream.audit(version, overall)
    documents = stream.documents()
    documents[-1] = as_version_1(documents[-1])

    outcome = ProjectionRunner(store).project(documents)

    assert outcome.dead_lettered == 0
    assert DeadLetterBox(store).list() == []
    body = ReadModel(store).version("default", stream.campaign_id, version).body
    assert body["status"] == version_status


@pytest.mark.parametrize("overall", ["Pass", "Conditional", "Fail"])
def test_the_projections_upcast_a_v1_audit_exactly_as_the_aggregate_does(overall: str) -> None:
    stream = CampaignStream()
    copy = stream.artifact("Copy")
    stream.audit(stream.version(copy), overall)
    stored = as_version_1(stream.documents()[-1])
    library_state: dict[str, Any] = {"overall_status": overall}

    Campaign.AuditRecorded.upcast_v1_v2(library_state)

    assert parse_event_document(stored).data["versionStatus"] == library_state["version_status"]


def test_an_event_in_its_current_form_is_read_as_stored() -> None:
    stream = CampaignStream()
    copy = stream.artifact("Copy")
    stream.audit(stream.version(copy), "Fail")
    [*_, audit] = stream.events

    assert parse_event_document(stream.documents()[-1]) == audit


def test_a_campaigns_events_are_read_from_the_log_between_two_versions() -> None:
    store = InMemoryDocumentStore()
    stream = CampaignStream()
    for _ in range(4):
        stream.artifact("Copy")
    append_to_log(store, stream)

    read = list(read_campaign_events(store, stream.campaign_id, after=1, up_to=3))

    assert [document["version"] for document in read] == [2, 3]
