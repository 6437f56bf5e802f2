"""Projectors of an artifact's versions: the version history per artifact, the version entity
(with its content) and the audit reports of one version.

Bodies (API.md):
- history: ``{artifactId, type, versions: [{id, versionNumber, createdAt, status, auditStatus,
  auditReportId}]}`` ascending by number; ``auditStatus`` is the latest audit's overallStatus.
- version: ``{id, artifactId, artifactType, versionNumber, content, status, createdAt, runId,
  auditReportIds}``.
- audits: ``{items: [AuditReport]}`` oldest first.
"""

from __future__ import annotations

from typing import Any

from domain.recorded import RecordedEvent
from projections.projectors.documents import (
    DocType,
    Document,
    audit_report_body,
    audits_id,
    evolve,
    history_id,
    mark_deleted,
    new_document,
    own_dict,
    own_list,
    refuse,
    require,
    version_id,
)

_STATUS_BY_EVENT = {"VersionApproved": "Approved", "VersionArchived": "Archived"}


def project_version_history(document: Document | None, event: RecordedEvent) -> Document:
    data = event.data
    if event.type == "ArtifactCreated":
        if document is not None:
            raise refuse(event, f"artifact {data['artifactId']} already has a history")
        body = {"artifactId": data["artifactId"], "type": data["artifactType"], "versions": []}
        return new_document(history_id(data["artifactId"]), DocType.VERSION_HISTORY, event, body)
    history = require(document, event, f"the history of artifact {data.get('artifactId')}")
    if event.type in ("CampaignDeleted", "CampaignRestored"):
        return mark_deleted(history, event, deleted=event.type == "CampaignDeleted")
    changed = evolve(history, event)
    versions: list[dict[str, Any]] = own_list(changed["body"], "versions")
    if event.type == "VersionCreated":
        versions.append(
            {
                "id": data["versionId"],
                "versionNumber": data["versionNumber"],
                "createdAt": event.timestamp,
                "status": "Generated",
                "auditStatus": None,
                "auditReportId": None,
            }
        )
        versions.sort(key=lambda entry: int(entry["versionNumber"]))
        return changed
    entry = _entry(versions, data["versionId"], event)
    if event.type == "AuditRecorded":
        entry["status"] = data["versionStatus"]
        entry["auditStatus"] = data["overallStatus"]
        entry["auditReportId"] = data["auditReportId"]
    elif event.type in _STATUS_BY_EVENT:
        entry["status"] = _STATUS_BY_EVENT[event.type]
    else:
        raise refuse(event, "the version history does not apply this event")
    return changed


def _entry(versions: list[dict[str, Any]], wanted: str, event: RecordedEvent) -> dict[str, Any]:
    """The history's own copy of one version's entry (``versions`` is already its own)."""
    for index, entry in enumerate(versions):
        if entry["id"] == wanted:
            return own_dict(versions, index)
    raise refuse(event, f"version {wanted} is not in its artifact's history")


def project_version(document: Document | None, event: RecordedEvent) -> Document:
    data = event.data
    if event.type == "VersionCreated":
        if document is not None:
            raise refuse(event, f"version {data['versionId']} already exists")
        body = {
            "id": data["versionId"],
            "artifactId": data["artifactId"],
            "artifactType": data["artifactType"],
            "versionNumber": data["versionNumber"],
            "content": data["content"],
            "status": "Generated",
            "createdAt": event.timestamp,
            "runId": data.get("runId"),
            "auditReportIds": [],
        }
        return new_document(version_id(data["versionId"]), DocType.VERSION, event, body)
    version = require(document, event, f"version {data.get('versionId')}")
    if event.type in ("CampaignDeleted", "CampaignRestored"):
        return mark_deleted(version, event, deleted=event.type == "CampaignDeleted")
    changed = evolve(version, event)
    body = changed["body"]
    if event.type == "AuditRecorded":
        body["status"] = data["versionStatus"]
        own_list(body, "auditReportIds").append(data["auditReportId"])
    elif event.type in _STATUS_BY_EVENT:
        body["status"] = _STATUS_BY_EVENT[event.type]
    else:
        raise refuse(event, "the version document does not apply this event")
    return changed


def project_audits(document: Document | None, event: RecordedEvent) -> Document:
    data = event.data
    if event.type == "VersionCreated":
        if document is not None:
            raise refuse(event, f"the audits of version {data['versionId']} already exist")
        return new_document(audits_id(data["versionId"]), DocType.AUDITS, event, {"items": []})
    audits = require(document, event, f"the audits of version {data.get('versionId')}")
    if event.type in ("CampaignDeleted", "CampaignRestored"):
        return mark_deleted(audits, event, deleted=event.type == "CampaignDeleted")
    if event.type != "AuditRecorded":
        raise refuse(event, "the audits document does not apply this event")
    changed = evolve(audits, event)
    own_list(changed["body"], "items").append(audit_report_body(event))
    return changed
