"""Projector of the campaign's iteration log: ``{items: [{id, artifactId, oldVersionId,
newVersionId, feedbackText, feedbackTags, createdAt}]}`` oldest first (API.md). One document per
campaign, created with the campaign so an empty log reads as ``{items: []}``."""

from __future__ import annotations

from domain.recorded import RecordedEvent
from projections.projectors.documents import (
    ITERATIONS_ID,
    DocType,
    Document,
    evolve,
    mark_deleted,
    new_document,
    own_list,
    refuse,
    require,
)


def project_iterations(document: Document | None, event: RecordedEvent) -> Document:
    data = event.data
    if event.type == "CampaignCreated":
        if document is not None:
            raise refuse(event, "the iteration log already exists")
        return new_document(ITERATIONS_ID, DocType.ITERATIONS, event, {"items": []})
    log = require(document, event, "the iteration log")
    if event.type in ("CampaignDeleted", "CampaignRestored"):
        return mark_deleted(log, event, deleted=event.type == "CampaignDeleted")
    if event.type != "FeedbackLogged":
        raise refuse(event, "the iteration log does not apply this event")
    changed = evolve(log, event)
    own_list(changed["body"], "items").append(
        {
            "id": data["iterationId"],
            "artifactId": data["artifactId"],
            "oldVersionId": data["oldVersionId"],
            "newVersionId": data["newVersionId"],
            "feedbackText": data["feedbackText"],
            "feedbackTags": list(data.get("feedbackTags") or []),
            "createdAt": event.timestamp,
        }
    )
    return changed
