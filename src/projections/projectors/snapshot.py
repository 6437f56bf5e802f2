"""Projector of the campaign snapshot: everything ``GET /api/campaigns/{cid}`` answers, in one
document, so the dashboard's read is one point read.

Body (API.md): ``{id, tenantId, name, brief, status, createdAt, updatedAt, isDeleted, version,
activeVersions: {type: {id, artifactId, versionNumber, status, content, createdAt,
auditReportId}}, auditReports: {versionId: AuditReport}, artifacts: [{id, type, versionCount,
latestVersionId}], runs: [{id, status, executionMode, startedAt, completedAt}], runCount,
revisions: {count, consecutiveAuditRetries, latest}}`` (``latest``: the last revision as
``GET …/revisions`` lists it, or null).

The snapshot sees every event of its campaign (``updatedAt`` and ``version`` move each time), so
its ``appliedVersion`` is the campaign's projection watermark. It never grows with the
campaign's history: it lists at most ``LISTED_RUNS`` runs (the latest queued; ``runCount``
says how many there are, and ``GET /api/campaigns/{cid}/runs`` lists them all), and keeps no
per-version state. When an event makes a version active, the version's metadata, content and
latest audit report come from the version's own document through an ``EntityLookup`` (the
working set as it stands before the event, so a replay sees the same).

A version's content may be up to a million characters; to keep the snapshot within a document's
size, an active version's content is inlined only while all inlined content stays under
``INLINE_CONTENT_BUDGET`` bytes. A version over that budget is listed in
``state.spilledContent`` and its ``content`` is null here: the read model then adds it from the
version document (one more point read, for such campaigns only).

``state.artifactsCreatedAt`` (artifact id -> the time it was created) completes, with
``activeVersions``, what ``GET …/artifacts`` answers of each artifact (at most three).
"""

from __future__ import annotations

import json
from typing import Any

from domain.recorded import RecordedEvent
from domain.revisions import consecutive_after
from projections.projectors.contributions import TALLIED
from projections.projectors.documents import (
    SNAPSHOT_ID,
    DocType,
    Document,
    audit_report_body,
    evolve,
    json_copy,
    new_document,
    own_dict,
    own_list,
    refuse,
    require,
)
from projections.projectors.lookup import EntityLookup
from projections.projectors.revisions import revision_body

INLINE_CONTENT_BUDGET = 1_200_000
"""Bytes of JSON (ASCII-escaped) that the inlined content of active versions may take."""
LISTED_RUNS = 50
"""How many runs the snapshot lists (the latest queued); the run list route has them all."""


def project_snapshot(
    document: Document | None, event: RecordedEvent, lookup: EntityLookup
) -> Document:
    if event.type == "CampaignCreated":
        if document is not None:
            raise refuse(event, "the campaign snapshot already exists")
        return _created(event)
    snapshot = evolve(require(document, event, "the campaign snapshot"), event)
    body = snapshot["body"]
    body["updatedAt"] = event.timestamp
    body["version"] = event.version
    handler = _HANDLERS.get(event.type)
    if handler is not None:
        handler(snapshot, event, lookup)
    return snapshot


def _created(event: RecordedEvent) -> Document:
    data = event.data
    tenant_id = str(data.get("tenantId") or event.tenant_id)
    body = {
        "id": event.campaign_id,
        "tenantId": tenant_id,
        "name": data["name"],
        "brief": json_copy(data["brief"]),
        "status": "Draft",
        "createdAt": event.timestamp,
        "updatedAt": event.timestamp,
        "isDeleted": False,
        "version": event.version,
        "activeVersions": {},
        "auditReports": {},
        "artifacts": [],
        "runs": [],
        "runCount": 0,
        "revisions": _no_revisions(),
    }
    snapshot = new_document(SNAPSHOT_ID, DocType.SNAPSHOT, event, body)
    snapshot["tenantId"] = tenant_id
    snapshot["campaignDeleted"] = False
    snapshot["state"] = {"spilledContent": [], "artifactsCreatedAt": {}, TALLIED: True}
    return snapshot


def _updated(snapshot: Document, event: RecordedEvent, _: EntityLookup) -> None:
    body = snapshot["body"]
    if event.data.get("name") is not None:
        body["name"] = event.data["name"]
    if event.data.get("brief") is not None:
        body["brief"] = json_copy(event.data["brief"])


def _status_changed(snapshot: Document, event: RecordedEvent, _: EntityLookup) -> None:
    snapshot["body"]["status"] = event.data["toStatus"]
    if event.data["toStatus"] == "Completed":
        _own_revisions(snapshot)["consecutiveAuditRetries"] = 0


def _deleted(snapshot: Document, event: RecordedEvent, _: EntityLookup) -> None:
    deleted = event.type == "CampaignDeleted"
    snapshot["body"]["isDeleted"] = deleted
    snapshot["campaignDeleted"] = deleted


def _artifact_created(snapshot: Document, event: RecordedEvent, _: EntityLookup) -> None:
    artifact_id = event.data["artifactId"]
    if any(artifact["id"] == artifact_id for artifact in snapshot["body"]["artifacts"]):
        raise refuse(event, f"artifact {artifact_id} already exists")
    own_list(snapshot["body"], "artifacts").append(
        {
            "id": artifact_id,
            "type": event.data["artifactType"],
            "versionCount": 0,
            "latestVersionId": None,
        }
    )
    created_at = dict(snapshot["state"].get("artifactsCreatedAt", {}))
    created_at[artifact_id] = event.timestamp
    snapshot["state"]["artifactsCreatedAt"] = created_at


def _version_created(snapshot: Document, event: RecordedEvent, _: EntityLookup) -> None:
    data = event.data
    artifact = _artifact(snapshot, data["artifactId"], event)
    artifact["versionCount"] += 1
    artifact["latestVersionId"] = data["versionId"]


def _audit_recorded(snapshot: Document, event: RecordedEvent, _: EntityLookup) -> None:
    data = event.data
    active = _active_entry(snapshot, data["versionId"])
    if active is not None:
        active["status"] = data["versionStatus"]
        active["auditReportId"] = data["auditReportId"]
        own_dict(snapshot["body"], "auditReports")[data["versionId"]] = audit_report_body(event)


def _version_status(snapshot: Document, event: RecordedEvent, _: EntityLookup) -> None:
    status = "Approved" if event.type == "VersionApproved" else "Archived"
    active = _active_entry(snapshot, event.data["versionId"])
    if active is not None:
        active["status"] = status


def _active_version_set(snapshot: Document, event: RecordedEvent, lookup: EntityLookup) -> None:
    data = event.data
    body = snapshot["body"]
    new_id = data["versionId"]
    document = lookup.version(new_id)
    if document is None:
        raise refuse(event, f"version {new_id} is not in the view")
    version: dict[str, Any] = document["body"]
    latest_report: dict[str, Any] | None = document["state"]["latestAuditReport"]
    active: dict[str, Any] = own_dict(body, "activeVersions")
    reports: dict[str, Any] = own_dict(body, "auditReports")
    spilled: list[str] = own_list(snapshot["state"], "spilledContent")
    previous = active.get(data["artifactType"])
    if previous is not None:
        reports.pop(previous["id"], None)
        if previous["id"] in spilled:
            spilled.remove(previous["id"])
        del active[data["artifactType"]]
    content = str(version["content"])
    inline = _inlined_bytes(body) + _json_bytes(content) <= INLINE_CONTENT_BUDGET
    if not inline:
        spilled.append(new_id)
    active[data["artifactType"]] = {
        "id": new_id,
        "artifactId": version["artifactId"],
        "versionNumber": version["versionNumber"],
        "status": version["status"],
        "content": content if inline else None,
        "createdAt": version["createdAt"],
        "auditReportId": None if latest_report is None else latest_report["id"],
    }
    body["activeVersions"] = dict(sorted(active.items()))
    if latest_report is not None:
        reports[new_id] = json_copy(latest_report)


def _run_queued(snapshot: Document, event: RecordedEvent, _: EntityLookup) -> None:
    body = snapshot["body"]
    runs = own_list(body, "runs")
    runs.append(
        {
            "id": event.data["runId"],
            "status": "Queued",
            "executionMode": event.data["executionMode"],
            "startedAt": None,
            "completedAt": None,
        }
    )
    del runs[:-LISTED_RUNS]
    body["runCount"] += 1


def _run_changed(snapshot: Document, event: RecordedEvent, _: EntityLookup) -> None:
    run_id = event.data["runId"]
    runs = own_list(snapshot["body"], "runs")
    for index, entry in enumerate(runs):
        if entry["id"] == run_id:
            run = own_dict(runs, index)
            break
    else:
        return  # an older run than the snapshot lists: its own documents have the change
    if event.type == "RunStarted":
        run["status"] = "Running"
        run["startedAt"] = event.timestamp
        return
    run["status"] = {"RunCompleted": "Completed", "RunFailed": "Failed"}.get(
        event.type, "Cancelled"
    )
    run["completedAt"] = event.timestamp


def _no_revisions() -> dict[str, Any]:
    return {"count": 0, "consecutiveAuditRetries": 0, "latest": None}


def _own_revisions(snapshot: Document) -> dict[str, Any]:
    """The snapshot's own copy of its ``revisions`` block (made for a snapshot projected before
    revisions existed, whose campaign had none)."""
    body = snapshot["body"]
    body.setdefault("revisions", _no_revisions())
    return own_dict(body, "revisions")


def _revision_requested(snapshot: Document, event: RecordedEvent, _: EntityLookup) -> None:
    """The same counting rule as the aggregate's (``domain.revisions``): an ``audit-failed``
    revision adds one to the run of automatic retries, any other ends it."""
    revisions = _own_revisions(snapshot)
    revisions["count"] = event.data["revisionNumber"]
    revisions["consecutiveAuditRetries"] = consecutive_after(
        revisions["consecutiveAuditRetries"], event.data["reason"]
    )
    revisions["latest"] = revision_body(event)


def _artifact(snapshot: Document, artifact_id: str, event: RecordedEvent) -> dict[str, Any]:
    """The snapshot's own copy of an artifact entry, to change."""
    artifacts = own_list(snapshot["body"], "artifacts")
    for index, artifact in enumerate(artifacts):
        if artifact["id"] == artifact_id:
            return own_dict(artifacts, index)
    raise refuse(event, f"artifact {artifact_id} is not in the snapshot")


def _active_entry(snapshot: Document, version_id: str) -> dict[str, Any] | None:
    """The snapshot's own copy of the active-version entry of ``version_id``, if it is active."""
    active: dict[str, dict[str, Any]] = snapshot["body"]["activeVersions"]
    for artifact_type, entry in active.items():
        if entry["id"] == version_id:
            return own_dict(own_dict(snapshot["body"], "activeVersions"), artifact_type)
    return None


def _json_bytes(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=True))


def _inlined_bytes(body: dict[str, Any]) -> int:
    return sum(
        _json_bytes(entry["content"])
        for entry in body["activeVersions"].values()
        if entry["content"] is not None
    )


_HANDLERS = {
    "CampaignUpdated": _updated,
    "StatusChanged": _status_changed,
    "CampaignDeleted": _deleted,
    "CampaignRestored": _deleted,
    "ArtifactCreated": _artifact_created,
    "VersionCreated": _version_created,
    "AuditRecorded": _audit_recorded,
    "VersionApproved": _version_status,
    "VersionArchived": _version_status,
    "ActiveVersionSet": _active_version_set,
    "RunQueued": _run_queued,
    "RunStarted": _run_changed,
    "RunCompleted": _run_changed,
    "RunFailed": _run_changed,
    "RunCancelled": _run_changed,
    "RevisionRequested": _revision_requested,
}
