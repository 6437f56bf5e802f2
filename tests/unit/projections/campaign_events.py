"""A small builder of one campaign's recorded events (docs/events.md) and of the event documents
the store keeps for them (docs/storage.md), plus a scripted scenario that uses every event type.

Ids and timestamps are deterministic, so two runs of a scenario produce identical logs.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.recorded import RecordedEvent

_NAMESPACE = uuid.UUID("2f1d1d1e-8c1a-4a9e-9a55-3b0f0b5e6c11")
BRIEF = {"objective": "Sell more tea", "targetAudience": "Night owls", "productDetails": "Oolong"}
HASH = "a" * 64


def stable_id(*parts: object) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(str(part) for part in parts)))


class CampaignStream:
    """Appends events to one campaign: consecutive versions, one second apart."""

    def __init__(
        self,
        name: str = "Tea",
        *,
        tenant_id: str = "default",
        campaign_id: str | None = None,
        start: datetime = datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        create: bool = True,
    ) -> None:
        self.campaign_id = campaign_id or stable_id("campaign", name, tenant_id)
        self.tenant_id = tenant_id
        self.events: list[RecordedEvent] = []
        self._clock = start
        self._ids = 0
        if create:
            self.emit("CampaignCreated", tenantId=tenant_id, name=name, brief=dict(BRIEF))

    # --- raw -------------------------------------------------------------------------------

    def next_id(self, kind: str) -> str:
        self._ids += 1
        return stable_id(self.campaign_id, kind, self._ids)

    def emit(self, event_type: str, **data: Any) -> RecordedEvent:
        version = len(self.events) + 1
        event = RecordedEvent(
            campaign_id=self.campaign_id,
            version=version,
            type=event_type,
            data=data,
            metadata={
                "commandId": stable_id(self.campaign_id, "command", version),
                "correlationId": None,
                "causationId": None,
                "actor": "tests",
                "tenantId": self.tenant_id,
            },
            timestamp=self._clock.isoformat(),
        )
        self._clock += timedelta(seconds=1)
        self.events.append(event)
        return event

    # --- commands as events ----------------------------------------------------------------

    def artifact(self, artifact_type: str = "Copy") -> str:
        artifact_id = self.next_id("artifact")
        self.emit("ArtifactCreated", artifactId=artifact_id, artifactType=artifact_type)
        return artifact_id

    def version(
        self, artifact_id: str, content: str = "Drink tea.", *, run_id: str | None = None
    ) -> str:
        version_id = self.next_id("version")
        artifact_type = self._artifact_type(artifact_id)
        number = 1 + sum(
            1
            for event in self.events
            if event.type == "VersionCreated" and event.data["artifactId"] == artifact_id
        )
        self.emit(
            "VersionCreated",
            versionId=version_id,
            artifactId=artifact_id,
            artifactType=artifact_type,
            versionNumber=number,
            content=content,
            runId=run_id,
        )
        return version_id

    def audit(self, version_id: str, overall: str = "Pass") -> str:
        report_id = self.next_id("audit")
        self.emit(
            "AuditRecorded",
            auditReportId=report_id,
            versionId=version_id,
            artifactId=self._artifact_of(version_id),
            overallStatus=overall,
            categoryScores={"tone": {"score": 90 if overall == "Pass" else 40}},
            flaggedItems=[]
            if overall == "Pass"
            else [{"category": "tone", "severity": "High", "description": "too loud"}],
            recommendations=[{"category": "tone", "text": "softer", "priority": 1}],
            versionStatus="Generated" if overall == "Fail" else "Audited",
        )
        return report_id

    def long_audit(self, version_id: str, length: int) -> str:
        """A passing audit whose one recommendation is ``length`` characters long."""
        report_id = self.next_id("audit")
        self.emit(
            "AuditRecorded",
            auditReportId=report_id,
            versionId=version_id,
            artifactId=self._artifact_of(version_id),
            overallStatus="Pass",
            categoryScores={},
            flaggedItems=[],
            recommendations=[{"category": "tone", "text": "r" * length}],
            versionStatus="Audited",
        )
        return report_id

    def approve(self, version_id: str) -> None:
        self.emit("VersionApproved", versionId=version_id, artifactId=self._artifact_of(version_id))

    def archive(self, version_id: str) -> None:
        self.emit("VersionArchived", versionId=version_id, artifactId=self._artifact_of(version_id))

    def activate(self, version_id: str) -> None:
        artifact_id = self._artifact_of(version_id)
        self.emit(
            "ActiveVersionSet",
            artifactType=self._artifact_type(artifact_id),
            artifactId=artifact_id,
            versionId=version_id,
        )

    def feedback(
        self,
        old_version: str,
        new_version: str,
        text: str = "Warmer",
        *,
        revision_id: str | None = None,
    ) -> str:
        iteration_id = self.next_id("iteration")
        self.emit(
            "FeedbackLogged",
            iterationId=iteration_id,
            artifactId=self._artifact_of(new_version),
            oldVersionId=old_version,
            newVersionId=new_version,
            feedbackText=text,
            feedbackTags=["tone"],
            revisionId=revision_id,
        )
        return iteration_id

    def revision(
        self,
        reason: str = "user-feedback",
        *,
        text: str = "Make it warmer",
        artifact_ids: list[str] | None = None,
    ) -> str:
        """A revision as the aggregate appends it: the move to Generating, then the request."""
        revision_id = self.next_id("revision")
        self.status("Generating")
        number = 1 + sum(1 for event in self.events if event.type == "RevisionRequested")
        self.emit(
            "RevisionRequested",
            revisionId=revision_id,
            revisionNumber=number,
            reason=reason,
            feedbackText=text,
            specificChanges=["shorter intro"],
            artifactIds=list(artifact_ids or []),
        )
        return revision_id

    def status(self, to_status: str) -> None:
        current = "Draft"
        for event in self.events:
            if event.type == "StatusChanged":
                current = event.data["toStatus"]
        self.emit("StatusChanged", fromStatus=current, toStatus=to_status)

    def queue_run(self, *, base: dict[str, Any] | None = None) -> str:
        run_id = self.next_id("run")
        context = base or {"refs": {}, "artifacts": {}, "inputHashesByStep": {}}
        self.emit(
            "RunQueued",
            runId=run_id,
            executionMode="Sequential",
            workflowName="launch",
            trigger={"type": "manual", "initiatedBy": "ops"},
            baseRunId=None,
            **context,
        )
        return run_id

    def step(self, run_id: str, step_id: str = "plan") -> str:
        artifact_id = self.next_id("context-artifact")
        self.emit(
            "StepResultAttached",
            runId=run_id,
            stepId=step_id,
            inputHash=HASH,
            artifacts=[
                {"id": artifact_id, "type": "plan", "uri": "blob://plan.json", "hash": HASH}
            ],
            refs={"planArtifactId": artifact_id},
        )
        return artifact_id

    def quality_check(self, run_id: str, artifact_id: str, status: str = "passed") -> None:
        self.emit(
            "QualityCheckRecorded",
            runId=run_id,
            artifactId=artifact_id,
            checkType="schema",
            status=status,
            message=None,
            details={"checked": 3},
        )

    # --- helpers ---------------------------------------------------------------------------

    def _artifact_type(self, artifact_id: str) -> str:
        for event in self.events:
            if event.type == "ArtifactCreated" and event.data["artifactId"] == artifact_id:
                return str(event.data["artifactType"])
        raise KeyError(artifact_id)

    def _artifact_of(self, version_id: str) -> str:
        for event in self.events:
            if event.type == "VersionCreated" and event.data["versionId"] == version_id:
                return str(event.data["artifactId"])
        raise KeyError(version_id)

    def documents(self) -> list[dict[str, Any]]:
        return [event_document(event) for event in self.events]


CLASS_VERSIONS = {"AuditRecorded": 2, "FeedbackLogged": 2}
"""The current ``classVersion`` of the events that have more than one (docs/events.md)."""


def event_document(event: RecordedEvent) -> dict[str, Any]:
    """The event document of docs/storage.md, in the current form of its event type."""
    return {
        "id": f"e-{event.version:010d}",
        "partitionKey": event.campaign_id,
        "docType": "event",
        "streamId": event.campaign_id,
        "version": event.version,
        "type": event.type,
        "topic": f"domain.campaign:Campaign.{event.type}",
        "classVersion": CLASS_VERSIONS.get(event.type, 1),
        "data": event.data,
        "metadata": event.metadata,
        "timestamp": event.timestamp,
    }


def head_document(campaign_id: str, version: int) -> dict[str, Any]:
    return {
        "id": "head",
        "partitionKey": campaign_id,
        "docType": "head",
        "streamId": campaign_id,
        "version": version,
        "snapshot": {"topic": "domain.campaign:Campaign", "version": version, "state": {}},
        "lastCommandId": stable_id(campaign_id, "command", version),
    }


def scripted_scenario(tenant_id: str = "default") -> list[CampaignStream]:
    """Three campaigns that between them use every event type."""
    launch = CampaignStream("Launch", tenant_id=tenant_id)
    launch.emit("CampaignUpdated", name="Launch 2", brief=None)
    launch.status("Generating")
    copy = launch.artifact("Copy")
    short = launch.artifact("ShortCopy")
    first = launch.version(copy, "First draft")
    launch.audit(first, "Fail")
    second = launch.version(copy, "Second draft")
    launch.feedback(first, second)
    launch.audit(second, "Pass")
    launch.activate(second)
    launch.approve(second)
    launch.archive(first)
    tagline = launch.version(short, "Tea time")
    launch.activate(tagline)
    launch.audit(tagline, "Conditional")
    launch.status("Generated")
    run = launch.queue_run()
    launch.emit("RunStarted", runId=run)
    produced = launch.step(run)
    launch.quality_check(run, produced)
    launch.emit("RunCompleted", runId=run, artifactVersionIds=[second])
    retry = launch.queue_run(
        base={
            "refs": {"planArtifactId": produced},
            "artifacts": {
                produced: {
                    "type": "plan",
                    "uri": "blob://plan.json",
                    "hash": HASH,
                    "metadata": None,
                    "createdAt": launch.events[-3].timestamp,
                    "stepId": "plan",
                }
            },
            "inputHashesByStep": {"plan": HASH},
        }
    )
    launch.emit("RunStarted", runId=retry)
    launch.emit("RunFailed", runId=retry, errorMessage="model timed out")
    dropped = launch.queue_run()
    launch.emit("RunCancelled", runId=dropped)
    revision = launch.revision("audit-failed", artifact_ids=[copy])
    third = launch.version(copy, "Third draft")
    launch.feedback(second, third, revision_id=revision)

    paused = CampaignStream(
        "Paused", tenant_id=tenant_id, start=datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    )
    visual = paused.artifact("VisualConcept")
    paused.version(visual, "A teapot at dawn")
    paused.emit("CampaignDeleted", restoreUntil="2026-04-01T09:00:00+00:00")
    paused.emit("CampaignRestored")
    paused.status("Cancelled")

    gone = CampaignStream("Gone", tenant_id=tenant_id, start=datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    gone.artifact("Copy")
    gone.emit("CampaignDeleted", restoreUntil="2026-04-02T09:00:00+00:00")
    return [launch, paused, gone]


def interleaved_documents(streams: list[CampaignStream]) -> list[dict[str, Any]]:
    """The streams' event documents (with head documents) round-robin, as a change feed mixes
    partitions."""
    queues = [stream.documents() for stream in streams]
    mixed: list[dict[str, Any]] = []
    while any(queues):
        for queue in queues:
            if queue:
                document = queue.pop(0)
                mixed.append(document)
                mixed.append(head_document(document["partitionKey"], document["version"]))
    return mixed


def append_to_log(store: Any, stream: CampaignStream, up_to: int | None = None) -> int:
    """Write the stream's events not yet in ``events`` (up to version ``up_to``) the way the
    event store appends: event documents created and the head replaced, in one batch per event.
    Returns the head version afterwards."""
    from documentstore.port import EVENTS, Create, Replace

    head = store.read(EVENTS, stream.campaign_id, "head")
    written = 0 if head is None else int(head["version"])
    last = len(stream.events) if up_to is None else up_to
    for event in stream.events[written:last]:
        new_head = head_document(stream.campaign_id, event.version)
        head_operation = (
            Create(new_head) if head is None else Replace(new_head, if_match=head["_etag"])
        )
        results = store.execute_batch(
            EVENTS, stream.campaign_id, [Create(event_document(event)), head_operation]
        )
        head = results[-1]
    return last
