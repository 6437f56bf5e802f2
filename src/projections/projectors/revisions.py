"""Projector of one revision of the campaign (``revision.<stream version>``): ``{id,
revisionNumber, reason, feedbackText, specificChanges, artifactIds, requestedAt}`` (API.md round
2, "Revisions"). The campaign's revisions are the range of these documents, in the order they
were requested; the snapshot's ``revisions.latest`` is the last of them."""

from __future__ import annotations

from typing import Any

from domain.recorded import RecordedEvent
from projections.projectors.documents import (
    DocType,
    Document,
    new_document,
    refuse,
    revision_id,
)
from projections.projectors.lookup import EntityLookup


def revision_body(event: RecordedEvent) -> dict[str, Any]:
    """A revision as ``GET …/revisions`` lists it, from its ``RevisionRequested`` event."""
    data = event.data
    return {
        "id": data["revisionId"],
        "revisionNumber": data["revisionNumber"],
        "reason": data["reason"],
        "feedbackText": data["feedbackText"],
        "specificChanges": list(data.get("specificChanges") or []),
        "artifactIds": list(data.get("artifactIds") or []),
        "requestedAt": event.timestamp,
    }


def project_revision(document: Document | None, event: RecordedEvent, _: EntityLookup) -> Document:
    if event.type != "RevisionRequested":
        raise refuse(event, "a revision document applies only its own RevisionRequested")
    if document is not None:
        raise refuse(event, f"revision {event.data['revisionId']} already exists")
    created = new_document(
        revision_id(event.version), DocType.REVISION, event, revision_body(event)
    )
    created["reason"] = event.data["reason"]
    return created
