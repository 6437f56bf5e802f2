"""Projector of one iteration of the campaign's feedback log (``iteration.<stream version>``):
``{id, artifactId, oldVersionId, newVersionId, feedbackText, feedbackTags, revisionId,
createdAt}`` (API.md; ``revisionId`` the revision the feedback belongs to, or null),
with ``artifactId`` also top-level for the filter. The log is the range of these documents, in
the order the iterations were logged."""

from __future__ import annotations

from domain.recorded import RecordedEvent
from projections.projectors.documents import (
    DocType,
    Document,
    iteration_id,
    new_document,
    refuse,
)
from projections.projectors.lookup import EntityLookup


def project_iteration(document: Document | None, event: RecordedEvent, _: EntityLookup) -> Document:
    data = event.data
    if event.type != "FeedbackLogged":
        raise refuse(event, "an iteration document applies only its own FeedbackLogged")
    if document is not None:
        raise refuse(event, f"iteration {data['iterationId']} already exists")
    body = {
        "id": data["iterationId"],
        "artifactId": data["artifactId"],
        "oldVersionId": data["oldVersionId"],
        "newVersionId": data["newVersionId"],
        "feedbackText": data["feedbackText"],
        "feedbackTags": list(data.get("feedbackTags") or []),
        "revisionId": data.get("revisionId"),
        "createdAt": event.timestamp,
    }
    created = new_document(iteration_id(event.version), DocType.ITERATION, event, body)
    created["artifactId"] = data["artifactId"]
    return created
