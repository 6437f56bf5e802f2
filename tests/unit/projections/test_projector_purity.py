"""Projectors never change the documents they are given: a projector works on a copy that shares
what it does not change (copy-on-write), so an event that fails half-way, or the comparison of a
campaign's documents with what was loaded, can never see a half-applied change."""

from __future__ import annotations

from projections.campaign_views import CampaignViews, load_nothing
from projections.projectors import ViewKey, snapshot_key
from projections.stored_views import canonical_bytes
from tests.unit.projections.campaign_events import CampaignStream, scripted_scenario

Document = dict[str, object]


def busy_campaign() -> CampaignStream:
    """Events that change nested parts of documents: active versions replaced, audits of an
    active version, a spilled-over run context, several steps and checks, deletion."""
    stream = CampaignStream("Busy")
    copy = stream.artifact("Copy")
    first = stream.version(copy, "one")
    stream.audit(first, "Pass")
    stream.activate(first)
    second = stream.version(copy, "two")
    stream.feedback(first, second)
    stream.audit(second, "Conditional")
    stream.activate(second)
    stream.audit(second, "Pass")
    stream.approve(second)
    stream.archive(first)
    stream.activate(second)
    run = stream.queue_run()
    stream.emit("RunStarted", runId=run)
    plan = stream.step(run, "plan")
    stream.step(run, "intro")
    stream.quality_check(run, plan)
    stream.quality_check(run, plan, "warning")
    stream.emit("RunCompleted", runId=run, artifactVersionIds=[second])
    stream.emit("CampaignDeleted", restoreUntil="2026-04-01T09:00:00+00:00")
    stream.emit("CampaignRestored")
    return stream


def test_applying_any_event_leaves_every_document_it_was_given_byte_for_byte_unchanged() -> None:
    streams = [*scripted_scenario(), busy_campaign()]
    checked = 0
    for stream in streams:
        views = CampaignViews(stream.campaign_id, load_nothing)
        for event in stream.events:
            given: dict[ViewKey, tuple[Document, bytes]] = {
                key: (document, canonical_bytes(document))
                for key, document in views.documents().items()
            }
            assert views.apply(event) is None, event.type
            for key, (document, before) in given.items():
                assert canonical_bytes(document) == before, (event.type, key)
                checked += 1
    assert checked > 100


def test_a_later_event_does_not_change_what_an_earlier_event_produced() -> None:
    stream = busy_campaign()
    views = CampaignViews(stream.campaign_id, load_nothing)
    produced: list[tuple[Document, bytes]] = []
    for event in stream.events:
        views.apply(event)
        produced += [(doc, canonical_bytes(doc)) for doc in views.documents().values()]
    assert all(canonical_bytes(document) == before for document, before in produced)


def test_a_projected_event_shares_every_part_of_a_document_it_does_not_change() -> None:
    stream = CampaignStream("Shared")
    first = stream.version(stream.artifact("Copy"), "one")
    second = stream.version(stream.artifact("ShortCopy"), "two")
    stream.activate(first)
    stream.activate(second)
    views = CampaignViews(stream.campaign_id, load_nothing)
    for event in stream.events:
        views.apply(event)
    key = snapshot_key(stream.campaign_id)
    before = views.documents()[key]

    views.apply(stream.emit("AuditRecorded", **audit_of(stream, second)))

    after = views.documents()[key]
    assert after is not before
    active_after, active_before = after["body"]["activeVersions"], before["body"]["activeVersions"]
    assert active_after["Copy"] is active_before["Copy"]
    assert active_after["ShortCopy"] is not active_before["ShortCopy"]
    assert after["body"]["brief"] is before["body"]["brief"]
    assert after["body"]["artifacts"] is before["body"]["artifacts"]


def audit_of(stream: CampaignStream, version_id: str) -> dict[str, object]:
    return {
        "auditReportId": stream.next_id("audit"),
        "versionId": version_id,
        "artifactId": stream.events[1].data["artifactId"],
        "overallStatus": "Pass",
        "categoryScores": {},
        "flaggedItems": [],
        "recommendations": [],
        "versionStatus": "Audited",
    }
