"""The comparison for the snapshot read: the same dashboard answer assembled repository-style
from entity documents, as a store without materialized views would keep them.

Layout (one partition per campaign, in a store of its own): a ``campaign`` document with the
campaign's fields, its artifact list (with counts and latest ids) and the id of each active
version; one ``version.<id>`` document per version (content, status, ``auditReportIds``); one
``audit.<id>`` document per audit report. Assembling the snapshot is a point read of the
campaign, then one per active version and one per audit report of those versions (the latest
is the answer's ``auditReports`` entry; earlier ones are read to know which is latest, as a
repository that keeps audit lineage must)."""

from __future__ import annotations

from typing import Any

from documentstore.port import VIEWS, Create, Document, DocumentStore
from projections.generations import FIRST_GENERATION
from projections.projectors import snapshot_key
from projections.stored_views import read_campaign_views

CAMPAIGN_ID = "campaign"


def copy_entities(views: DocumentStore, repository: DocumentStore, campaign_id: str) -> int:
    """Write the campaign's entity documents into ``repository`` (from its live views, which
    hold the very same facts); returns how many."""
    stored = read_campaign_views(views, FIRST_GENERATION, campaign_id)
    snapshot = stored[snapshot_key(campaign_id)].document["body"]
    campaign = {
        key: value
        for key, value in snapshot.items()
        if key not in ("activeVersions", "auditReports")
    }
    campaign["activeVersionIds"] = {
        artifact_type: entry["id"] for artifact_type, entry in snapshot["activeVersions"].items()
    }
    documents: list[Document] = [_document(campaign_id, CAMPAIGN_ID, campaign)]
    for key, view in stored.items():
        body = view.document["body"]
        if key.id.startswith("version."):
            documents.append(_document(campaign_id, f"version.{body['id']}", body))
        elif key.id.startswith("audit."):  # one report per view document, by recorded order
            report = {k: v for k, v in body.items() if k not in ("artifactId", "versionNumber")}
            documents.append(_document(campaign_id, f"audit.{report['id']}", report))
    for start in range(0, len(documents), 100):
        batch = [Create(document) for document in documents[start : start + 100]]
        repository.execute_batch(VIEWS, campaign_id, batch)
    return len(documents)


def assemble_snapshot(repository: DocumentStore, campaign_id: str) -> dict[str, Any]:
    """The snapshot body of API.md, from entity documents (see the module docstring)."""
    campaign = _body(repository.read(VIEWS, campaign_id, CAMPAIGN_ID))
    answer = {key: value for key, value in campaign.items() if key != "activeVersionIds"}
    active: dict[str, Any] = {}
    reports: dict[str, Any] = {}
    for artifact_type, version_id in campaign["activeVersionIds"].items():
        version = _body(repository.read(VIEWS, campaign_id, f"version.{version_id}"))
        lineage = [
            _body(repository.read(VIEWS, campaign_id, f"audit.{report_id}"))
            for report_id in version["auditReportIds"]
        ]
        latest = lineage[-1] if lineage else None
        active[artifact_type] = {
            "id": version["id"],
            "artifactId": version["artifactId"],
            "versionNumber": version["versionNumber"],
            "status": version["status"],
            "content": version["content"],
            "createdAt": version["createdAt"],
            "auditReportId": None if latest is None else latest["id"],
        }
        if latest is not None:
            reports[version_id] = latest
    answer["activeVersions"] = active
    answer["auditReports"] = reports
    return answer


def _document(campaign_id: str, document_id: str, body: dict[str, Any]) -> Document:
    return {"id": document_id, "partitionKey": campaign_id, "body": body}


def _body(document: Document | None) -> dict[str, Any]:
    if document is None:
        raise LookupError("an entity document is missing")
    body: dict[str, Any] = document["body"]
    return body
