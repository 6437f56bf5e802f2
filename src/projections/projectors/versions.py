"""Projectors of an artifact's versions: the version entity (with its content), a version's
entry in its artifact's history, and one audit report.

Bodies (API.md):
- version: ``{id, artifactId, artifactType, versionNumber, content, status, createdAt, runId,
  auditReportIds}``; its ``state.latestAuditReport`` is the version's latest audit report, which
  the snapshot shows when the version becomes active.
- history entry (``entry.<artifactId>.<number>``): ``{id, versionNumber, createdAt, status,
  auditStatus, auditReportId}``; ``auditStatus`` is the latest audit's overallStatus. The history
  of an artifact is the range of its entries, in number order.
- audit report (``audit.<stream version>``): ``AuditReport`` plus ``artifactId`` and
  ``versionNumber``; ``versionId``, ``artifactId`` and ``overallStatus`` are also top-level, for
  the filters of the campaign's audit lineage and of one version's audits.
"""

from __future__ import annotations

from typing import Any

from domain.recorded import RecordedEvent
from projections.projectors.documents import (
    DocType,
    Document,
    audit_id,
    audit_report_body,
    entry_id,
    evolve,
    new_document,
    own_list,
    refuse,
    require,
    version_id,
)
from projections.projectors.lookup import EntityLookup

_STATUS_BY_EVENT = {"VersionApproved": "Approved", "VersionArchived": "Archived"}


def project_version(document: Document | None, event: RecordedEvent, _: EntityLookup) -> Document:
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
        created = new_document(version_id(data["versionId"]), DocType.VERSION, event, body)
        created["state"] = {"latestAuditReport": None}
        return created
    version = require(document, event, f"version {data.get('versionId')}")
    changed = evolve(version, event)
    body = changed["body"]
    if event.type == "AuditRecorded":
        body["status"] = data["versionStatus"]
        own_list(body, "auditReportIds").append(data["auditReportId"])
        changed["state"]["latestAuditReport"] = audit_report_body(event)
    elif event.type in _STATUS_BY_EVENT:
        body["status"] = _STATUS_BY_EVENT[event.type]
    else:
        raise refuse(event, "the version document does not apply this event")
    return changed


def project_version_entry(
    document: Document | None, event: RecordedEvent, lookup: EntityLookup
) -> Document:
    data = event.data
    if event.type == "VersionCreated":
        if document is not None:
            raise refuse(event, f"version {data['versionId']} already has a history entry")
        body = {
            "id": data["versionId"],
            "versionNumber": data["versionNumber"],
            "createdAt": event.timestamp,
            "status": "Generated",
            "auditStatus": None,
            "auditReportId": None,
        }
        created = new_document(
            entry_id(data["artifactId"], int(data["versionNumber"])),
            DocType.VERSION_ENTRY,
            event,
            body,
        )
        created["artifactId"] = data["artifactId"]
        return created
    entry = require(document, event, f"the history entry of version {data.get('versionId')}")
    changed = evolve(entry, event)
    body = changed["body"]
    if event.type == "AuditRecorded":
        body["status"] = data["versionStatus"]
        body["auditStatus"] = data["overallStatus"]
        body["auditReportId"] = data["auditReportId"]
    elif event.type in _STATUS_BY_EVENT:
        body["status"] = _STATUS_BY_EVENT[event.type]
    else:
        raise refuse(event, "the history entry does not apply this event")
    return changed


def project_audit_report(
    document: Document | None, event: RecordedEvent, lookup: EntityLookup
) -> Document:
    data = event.data
    if event.type != "AuditRecorded":
        raise refuse(event, "an audit report document applies only its own AuditRecorded")
    if document is not None:
        raise refuse(event, f"audit report {data['auditReportId']} already exists")
    version = lookup.version(data["versionId"])
    if version is None:
        raise refuse(event, f"version {data['versionId']} is not in the view")
    body: dict[str, Any] = audit_report_body(event)
    body["artifactId"] = data["artifactId"]
    body["versionNumber"] = version["body"]["versionNumber"]
    created = new_document(audit_id(event.version), DocType.AUDIT_REPORT, event, body)
    created["versionId"] = data["versionId"]
    created["artifactId"] = data["artifactId"]
    created["overallStatus"] = data["overallStatus"]
    return created


def version_number_of(event: RecordedEvent, lookup: EntityLookup) -> int:
    """The number of the version an event of that version names (from the version document)."""
    number = event.data.get("versionNumber")
    if number is not None:
        return int(number)
    version = lookup.version(event.data["versionId"])
    if version is None:
        raise refuse(event, f"version {event.data['versionId']} is not in the view")
    return int(version["body"]["versionNumber"])
