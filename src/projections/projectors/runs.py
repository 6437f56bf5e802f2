"""Projector of an orchestration run with its context, exactly as ``GET /runs/{rid}`` answers:

    {id, status, executionMode, startedAt, completedAt, artifactVersionIds, errorMessage,
     context: {campaignId, runId, workflowName, trigger: {type, payload?, initiatedBy?,
               timestamp}, refs,
               artifacts: {artifactId: {type, uri, hash, metadata, createdAt, stepId}},
               computed: {inputHashesByStep: {stepId: hash},
                          qualityChecks: [{artifactId, checkType, status, message, details,
                                           timestamp}]}}}

``completedAt`` is the time the run reached a final status (completed, failed or cancelled).
The run document keeps, top-level, ``queuedAtVersion``: the stream version that queued it, which
names its entry in the campaign's run list (``runs.<stream version>``: ``{id, status,
executionMode, workflowName, startedAt, completedAt}``, with ``status`` also top-level for the
filter), so that the list is one range query in the order runs were queued.
"""

from __future__ import annotations

from typing import Any

from domain.recorded import RecordedEvent
from projections.projectors.documents import (
    DocType,
    Document,
    evolve,
    json_copy,
    new_document,
    own_dict,
    own_list,
    refuse,
    require,
    run_entry_id,
    run_id,
)
from projections.projectors.lookup import EntityLookup

_FINAL_STATUS = {"RunCompleted": "Completed", "RunFailed": "Failed", "RunCancelled": "Cancelled"}
RUN_LIST_EVENTS = frozenset({"RunQueued", "RunStarted", *_FINAL_STATUS})
"""The events that change a run's list entry (steps and checks change only the run)."""


def project_run(document: Document | None, event: RecordedEvent, _: EntityLookup) -> Document:
    data = event.data
    if event.type == "RunQueued":
        if document is not None:
            raise refuse(event, f"run {data['runId']} already exists")
        created = new_document(run_id(data["runId"]), DocType.RUN, event, _queued_body(event))
        created["queuedAtVersion"] = event.version
        return created
    run = require(document, event, f"run {data.get('runId')}")
    changed = evolve(run, event)
    body = changed["body"]
    if event.type == "RunStarted":
        body["status"] = "Running"
        body["startedAt"] = event.timestamp
    elif event.type == "StepResultAttached":
        context = own_dict(body, "context")
        artifacts = own_dict(context, "artifacts")
        for artifact in data.get("artifacts") or []:
            artifacts[artifact["id"]] = {
                "type": artifact["type"],
                "uri": artifact["uri"],
                "hash": artifact["hash"],
                "metadata": json_copy(artifact.get("metadata")),
                "createdAt": event.timestamp,
                "stepId": data["stepId"],
            }
        own_dict(context, "refs").update(data.get("refs") or {})
        if data.get("inputHash") is not None:
            computed = own_dict(context, "computed")
            own_dict(computed, "inputHashesByStep")[data["stepId"]] = data["inputHash"]
    elif event.type == "QualityCheckRecorded":
        computed = own_dict(own_dict(body, "context"), "computed")
        own_list(computed, "qualityChecks").append(
            {
                "artifactId": data["artifactId"],
                "checkType": data["checkType"],
                "status": data["status"],
                "message": data.get("message"),
                "details": json_copy(data.get("details")),
                "timestamp": event.timestamp,
            }
        )
    elif event.type in _FINAL_STATUS:
        body["status"] = _FINAL_STATUS[event.type]
        body["completedAt"] = event.timestamp
        if event.type == "RunCompleted":
            body["artifactVersionIds"] = list(data.get("artifactVersionIds") or [])
        elif event.type == "RunFailed":
            body["errorMessage"] = data["errorMessage"]
    else:
        raise refuse(event, "the run document does not apply this event")
    return changed


def project_run_entry(document: Document | None, event: RecordedEvent, _: EntityLookup) -> Document:
    data = event.data
    if event.type == "RunQueued":
        if document is not None:
            raise refuse(event, f"run {data['runId']} is already listed")
        body = {
            "id": data["runId"],
            "status": "Queued",
            "executionMode": data["executionMode"],
            "workflowName": data.get("workflowName"),
            "startedAt": None,
            "completedAt": None,
        }
        created = new_document(run_entry_id(event.version), DocType.RUN_ENTRY, event, body)
        created["status"] = "Queued"
        return created
    entry = require(document, event, f"the list entry of run {data.get('runId')}")
    if event.type not in ("RunStarted", *_FINAL_STATUS):
        raise refuse(event, "a run's list entry does not apply this event")
    changed = evolve(entry, event)
    body = changed["body"]
    if event.type == "RunStarted":
        body["status"] = "Running"
        body["startedAt"] = event.timestamp
    else:
        body["status"] = _FINAL_STATUS[event.type]
        body["completedAt"] = event.timestamp
    changed["status"] = body["status"]
    return changed


def queued_at_version(event: RecordedEvent, lookup: EntityLookup) -> int:
    """The stream version that queued the run an event names (from the run document)."""
    if event.type == "RunQueued":
        return event.version
    run = lookup.run(event.data["runId"])
    if run is None:
        raise refuse(event, f"run {event.data['runId']} is not in the view")
    return int(run["queuedAtVersion"])


def _trigger(event: RecordedEvent) -> dict[str, Any]:
    """The run's trigger as given, with its ``timestamp``: the client's, else the time the run
    was queued."""
    trigger: dict[str, Any] = json_copy(event.data.get("trigger") or {"type": "api"})
    trigger.setdefault("timestamp", event.timestamp)
    return trigger


def _queued_body(event: RecordedEvent) -> dict[str, Any]:
    data = event.data
    return {
        "id": data["runId"],
        "status": "Queued",
        "executionMode": data["executionMode"],
        "startedAt": None,
        "completedAt": None,
        "artifactVersionIds": [],
        "errorMessage": None,
        "context": {
            "campaignId": event.campaign_id,
            "runId": data["runId"],
            "workflowName": data.get("workflowName"),
            "trigger": _trigger(event),
            "refs": dict(data.get("refs") or {}),
            "artifacts": json_copy(data.get("artifacts") or {}),
            "computed": {
                "inputHashesByStep": dict(data.get("inputHashesByStep") or {}),
                "qualityChecks": [],
            },
        },
    }
