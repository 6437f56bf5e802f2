"""The Campaign aggregate: the consistency boundary of everything done to one campaign.

Artifacts, versions, audit reports, iteration logs and orchestration runs are entities inside
it, so every rule of API.md is checked here, in memory, before anything is written. Each command
method checks its rules, then triggers one event; the event's ``apply`` is the only code that
changes state, so replaying the log rebuilds exactly the same aggregate.

The aggregate keeps only what its rules need: ids, types, numbers, statuses, links, the run
contexts (at most 50 artifacts each) and, per created entity, a receipt (the fingerprint of the
creating command and the stream version of its answer) that makes creates idempotent. Version
content, audit details and feedback text live only in the events. All state is plain JSON
(dicts, lists, str, int, bool, None) so that ``Campaign.Snapshot`` survives the JSON transcoder.

Its state has two parts, so that no stored document grows with the campaign's history:

* the **core** (tenant, status, deletion, the artifacts with their version counts, the active
  versions, how many revisions exist and how many automatic ones came in a row, the campaign's
  own receipt): bounded, kept in ``Campaign.Snapshot``;
* one **entity state** per version, run, revision, audit report, iteration and artifact (its
  record and its receipt), kept beside the core (``entity_states``) and loaded by id
  (``admit``): a command works on the core plus the entities it names, which is all its rules
  look at. An entity the command names and that was not admitted does not exist.

Event attributes are the snake_case of the data keys in docs/events.md; the store camelCases
them. Every event also carries ``metadata`` (commandId, correlationId, causationId, actor,
tenantId). Values are JSON-native: ids are canonical lower-case UUID strings.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypedDict, cast
from uuid import UUID

from eventsourcing.domain import Aggregate, OriginatorVersionError
from eventsourcing.domain import Snapshot as AggregateSnapshot

from domain import validation
from domain.artifact_types import ArtifactTypeRegistry
from domain.artifacts import (
    Artifact,
    ArtifactRecord,
    Version,
    VersionRecord,
    new_artifact_record,
    new_version_record,
)
from domain.errors import (
    CampaignNotFound,
    EntityNotFound,
    FieldError,
    IdConflict,
    InvalidInput,
    RuleViolation,
    UnknownReference,
)
from domain.fingerprint import fingerprint
from domain.lifecycle import check_campaign_transition
from domain.metadata import CommandMetadata
from domain.revisions import (
    RevisionRecord,
    consecutive_after,
    ensure_retry_allowed,
    ensure_revisable,
    new_revision_record,
)
from domain.runs import ContextEntry, Run, RunRecord, new_run_record, step_artifacts
from domain.upcasting import upcast_library_state
from domain.values import (
    ArtifactType,
    AuditReport,
    Brief,
    CampaignStatus,
    ContextArtifact,
    ExecutionMode,
    Iteration,
    QualityCheck,
    Revision,
    RunStatus,
    Trigger,
    VersionStatus,
)


@dataclass(frozen=True)
class Outcome:
    """What a command answers: the entity it created or addressed and the stream version.

    For a repeated create, ``version`` is the version of the first answer and ``repeated`` is
    True; ``appended`` is False whenever the command appended nothing (a repeat, or an effect
    already in place). ``command_id`` and ``correlation_id`` name, for a repeat, the ids the
    first command was recorded under (the service fills them in from the log).
    """

    id: str
    version: int
    status: str | None = None
    version_number: int | None = None
    appended: bool = True
    revision_number: int | None = None
    repeated: bool = False
    command_id: str | None = None
    correlation_id: str | None = None


class Receipt(TypedDict):
    """What the aggregate remembers of the command that created an entity."""

    fingerprint: str
    version: int


class EntityState(TypedDict):
    """One entity's part of the aggregate's state, stored beside the core snapshot.

    ``kind`` is ``version``, ``run``, ``revision`` (with the entity's record) or ``receipt`` (an
    artifact, audit report or iteration, whose only state outside the core is the receipt of its
    creation).
    """

    kind: str
    record: dict[str, Any] | None
    receipt: Receipt | None


ENTITY_STATE_KINDS = ("version", "run", "revision", "receipt")


def _campaign_fingerprint(tenant_id: str, name: str, brief: dict[str, Any]) -> str:
    return fingerprint("campaign", {"tenantId": tenant_id, "name": name, "brief": brief})


def _artifact_fingerprint(artifact_type: str) -> str:
    return fingerprint("artifact", {"artifactType": artifact_type})


def _version_fingerprint(artifact_id: str, content: str, run_id: str | None) -> str:
    return fingerprint("version", {"artifactId": artifact_id, "content": content, "runId": run_id})


def _audit_fingerprint(version_id: str, report: dict[str, Any]) -> str:
    return fingerprint("audit", {"versionId": version_id, "report": report})


def _iteration_fingerprint(iteration: dict[str, Any]) -> str:
    return fingerprint("iteration", iteration)


def _revision_fingerprint(revision: dict[str, Any]) -> str:
    return fingerprint("revision", revision)


def _run_fingerprint(
    execution_mode: str, workflow_name: str | None, trigger: dict[str, Any], base_run_id: str | None
) -> str:
    return fingerprint(
        "run",
        {
            "executionMode": execution_mode,
            "workflowName": workflow_name,
            "trigger": trigger,
            "baseRunId": base_run_id,
        },
    )


def _step_fingerprint(input_hash: str | None, artifacts: list[dict[str, Any]]) -> str:
    return fingerprint("step", {"inputHash": input_hash, "artifacts": artifacts})


def _check_fingerprint(check: dict[str, Any]) -> str:
    return fingerprint("quality-check", check)


def _outcome_fingerprint(status: RunStatus, payload: dict[str, Any]) -> str:
    return fingerprint(f"run-{status.value.lower()}", payload)


class Campaign(Aggregate):
    """One campaign and every entity inside it."""

    class_version = 4

    if TYPE_CHECKING:  # state attributes, set by the events' apply methods (JSON values only)
        tenant_id: str
        status: str
        restore_until: str | None
        artifacts: dict[str, ArtifactRecord]
        artifact_ids_by_type: dict[str, str]
        versions: dict[str, VersionRecord]
        active_versions: dict[str, str]
        runs: dict[str, RunRecord]
        revisions: dict[str, RevisionRecord]
        revision_count: int
        consecutive_audit_retries: int
        receipts: dict[str, Receipt]

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Snapshot state v1 had no index of artifacts by type; v2 derives it."""
        state["artifact_ids_by_type"] = {
            record["type"]: artifact_id for artifact_id, record in state["artifacts"].items()
        }

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        """v2 listed every version id of an artifact and every audit report id of a version;
        v3 keeps counts and the latest ids. A v2 snapshot held every entity in one document:
        its ``versions``, ``runs`` and ``receipts`` stay whole here, for the store to move
        beside the core (``entity_states``)."""
        for artifact in state["artifacts"].values():
            version_ids = artifact.pop("version_ids")
            artifact["version_count"] = len(version_ids)
            artifact["latest_version_id"] = version_ids[-1] if version_ids else None
        for version in state["versions"].values():
            audit_ids = version.pop("audit_report_ids")
            version["audit_count"] = len(audit_ids)
            version["latest_audit_report_id"] = audit_ids[-1] if audit_ids else None

    @staticmethod
    def upcast_v3_v4(state: dict[str, Any]) -> None:
        """v4 added revisions: a campaign stored before them has none."""
        state["revisions"] = {}
        state["revision_count"] = 0
        state["consecutive_audit_retries"] = 0

    class Snapshot(AggregateSnapshot):
        """The aggregate's core state at a stream version (kept in the stream's head document):
        the entity states are left out (``Campaign.entity_states`` holds them)."""

        @classmethod
        def take(cls, aggregate: Any) -> Any:
            snapshot = super().take(aggregate)
            own_id = str(aggregate.id)
            state = snapshot.state
            state["versions"] = {}
            state["runs"] = {}
            state["revisions"] = {}
            state["receipts"] = {
                key: receipt for key, receipt in state["receipts"].items() if key == own_id
            }
            return snapshot

    class Event(Aggregate.Event):
        """Base of the campaign's events: every one carries the command's metadata."""

        metadata: dict[str, str]

    # -- campaign -------------------------------------------------------------------------

    class CampaignCreated(Event):
        tenant_id: str
        name: str
        brief: dict[str, Any]

        def mutate(self, aggregate: Any) -> Any:
            """Start a stream: build the aggregate from this first event alone."""
            if aggregate is not None:
                raise OriginatorVersionError(self.originator_version, aggregate.version + 1)
            campaign = object.__new__(Campaign)
            campaign.__base_init__(self.originator_id, self.originator_version, self.timestamp)
            self.apply(campaign)
            return campaign

        def apply(self, aggregate: Campaign) -> None:
            aggregate.tenant_id = self.tenant_id
            aggregate.status = CampaignStatus.DRAFT.value
            aggregate.restore_until = None
            aggregate.artifacts = {}
            aggregate.artifact_ids_by_type = {}
            aggregate.versions = {}
            aggregate.active_versions = {}
            aggregate.runs = {}
            aggregate.revisions = {}
            aggregate.revision_count = 0
            aggregate.consecutive_audit_retries = 0
            aggregate.receipts = {}
            aggregate.remember(
                str(self.originator_id),
                _campaign_fingerprint(self.tenant_id, self.name, self.brief),
                self.originator_version,
            )

    class CampaignUpdated(Event):
        name: str | None
        brief: dict[str, Any] | None

    class StatusChanged(Event):
        from_status: str
        to_status: str

        def apply(self, aggregate: Campaign) -> None:
            aggregate.status = self.to_status
            if self.to_status == CampaignStatus.COMPLETED.value:
                aggregate.consecutive_audit_retries = 0  # reaching Completed ends a retry run

    class CampaignDeleted(Event):
        restore_until: str

        def apply(self, aggregate: Campaign) -> None:
            aggregate.restore_until = self.restore_until

    class CampaignRestored(Event):
        def apply(self, aggregate: Campaign) -> None:
            aggregate.restore_until = None

    # -- artifacts and versions -----------------------------------------------------------

    class ArtifactCreated(Event):
        artifact_id: str
        artifact_type: str

        def apply(self, aggregate: Campaign) -> None:
            aggregate.artifacts[self.artifact_id] = new_artifact_record(self.artifact_type)
            aggregate.artifact_ids_by_type[self.artifact_type] = self.artifact_id
            aggregate.remember(
                self.artifact_id,
                _artifact_fingerprint(self.artifact_type),
                self.originator_version,
            )

    class VersionCreated(Event):
        version_id: str
        artifact_id: str
        artifact_type: str
        version_number: int
        content: str
        run_id: str | None

        def apply(self, aggregate: Campaign) -> None:
            aggregate.artifact(self.artifact_id).add_version(self.version_id, self.version_number)
            aggregate.versions[self.version_id] = new_version_record(
                self.artifact_id, self.version_number, self.run_id
            )
            aggregate.remember(
                self.version_id,
                _version_fingerprint(self.artifact_id, self.content, self.run_id),
                self.originator_version,
            )

    class AuditRecorded(Event):
        """v2 added ``version_status`` (the version's status after the audit)."""

        class_version = 2

        audit_report_id: str
        version_id: str
        artifact_id: str
        overall_status: str
        category_scores: dict[str, Any]
        flagged_items: list[dict[str, Any]]
        recommendations: list[dict[str, Any]]
        version_status: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            upcast_library_state("AuditRecorded", 1, state)

        def apply(self, aggregate: Campaign) -> None:
            # The report is added to its version's lineage: without the version there is
            # nowhere to put it, so an orphan report cannot come into being.
            aggregate.artifact_version(self.version_id).record_audit(
                self.audit_report_id, self.overall_status, self.version_status
            )
            aggregate.remember(
                self.audit_report_id,
                _audit_fingerprint(self.version_id, self.report()),
                self.originator_version,
            )

        def report(self) -> dict[str, Any]:
            return {
                "overallStatus": self.overall_status,
                "categoryScores": self.category_scores,
                "flaggedItems": self.flagged_items,
                "recommendations": self.recommendations,
            }

    class VersionApproved(Event):
        version_id: str
        artifact_id: str

        def apply(self, aggregate: Campaign) -> None:
            aggregate.artifact_version(self.version_id).approve()

    class VersionArchived(Event):
        version_id: str
        artifact_id: str

        def apply(self, aggregate: Campaign) -> None:
            aggregate.artifact_version(self.version_id).archive()

    class ActiveVersionSet(Event):
        artifact_type: str
        artifact_id: str
        version_id: str

        def apply(self, aggregate: Campaign) -> None:
            aggregate.active_versions[self.artifact_type] = self.version_id

    class FeedbackLogged(Event):
        """v2 added ``revision_id`` (the revision the feedback belongs to, or None)."""

        class_version = 2

        iteration_id: str
        artifact_id: str
        old_version_id: str
        new_version_id: str
        feedback_text: str
        feedback_tags: list[str]
        revision_id: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            upcast_library_state("FeedbackLogged", 1, state)

        def apply(self, aggregate: Campaign) -> None:
            iteration = {
                "artifactId": self.artifact_id,
                "oldVersionId": self.old_version_id,
                "newVersionId": self.new_version_id,
                "feedbackText": self.feedback_text,
                "feedbackTags": self.feedback_tags,
            }
            if self.revision_id is not None:
                iteration["revisionId"] = self.revision_id
            aggregate.remember(
                self.iteration_id, _iteration_fingerprint(iteration), self.originator_version
            )

    class RevisionRequested(Event):
        """A revision of the campaign's artifacts was asked for (its feedback saved first)."""

        revision_id: str
        revision_number: int
        reason: str
        feedback_text: str
        specific_changes: list[str]
        artifact_ids: list[str]

        def apply(self, aggregate: Campaign) -> None:
            aggregate.revisions[self.revision_id] = new_revision_record(self.revision_number)
            aggregate.revision_count = self.revision_number
            aggregate.consecutive_audit_retries = consecutive_after(
                aggregate.consecutive_audit_retries, self.reason
            )
            aggregate.remember(
                self.revision_id, _revision_fingerprint(self.request()), self.originator_version
            )

        def request(self) -> dict[str, Any]:
            """The request as ``Revision.to_json`` gives it (what the fingerprint covers)."""
            return {
                "reason": self.reason,
                "feedbackText": self.feedback_text,
                "specificChanges": self.specific_changes,
                "artifactIds": self.artifact_ids,
            }

    # -- runs -----------------------------------------------------------------------------

    class RunQueued(Event):
        run_id: str
        execution_mode: str
        workflow_name: str | None
        trigger: dict[str, Any]
        base_run_id: str | None
        refs: dict[str, str]
        artifacts: dict[str, ContextEntry]
        input_hashes_by_step: dict[str, str]

        def apply(self, aggregate: Campaign) -> None:
            aggregate.runs[self.run_id] = new_run_record(
                copy.deepcopy(self.refs),
                copy.deepcopy(self.artifacts),
                copy.deepcopy(self.input_hashes_by_step),
            )
            aggregate.remember(
                self.run_id,
                _run_fingerprint(
                    self.execution_mode, self.workflow_name, self.trigger, self.base_run_id
                ),
                self.originator_version,
            )

    class RunStarted(Event):
        run_id: str

        def apply(self, aggregate: Campaign) -> None:
            aggregate.run(self.run_id).move_to(RunStatus.RUNNING)

    class StepResultAttached(Event):
        run_id: str
        step_id: str
        input_hash: str | None
        artifacts: list[dict[str, Any]]
        refs: dict[str, str]

        def apply(self, aggregate: Campaign) -> None:
            aggregate.run(self.run_id).attach_step_result(
                self.step_id,
                input_hash=self.input_hash,
                artifacts=copy.deepcopy(self.artifacts),
                refs=dict(self.refs),
                created_at=self.timestamp.isoformat(),
                step_fingerprint=_step_fingerprint(self.input_hash, self.artifacts),
            )

    class QualityCheckRecorded(Event):
        run_id: str
        artifact_id: str
        check_type: str
        status: str
        message: str | None
        details: dict[str, Any] | None

        def apply(self, aggregate: Campaign) -> None:
            aggregate.run(self.run_id).record_quality_check(_check_fingerprint(self.check()))

        def check(self) -> dict[str, Any]:
            return {
                "artifactId": self.artifact_id,
                "checkType": self.check_type,
                "status": self.status,
                "message": self.message,
                "details": self.details,
            }

    class RunCompleted(Event):
        run_id: str
        artifact_version_ids: list[str]

        def apply(self, aggregate: Campaign) -> None:
            aggregate.run(self.run_id).move_to(
                RunStatus.COMPLETED,
                _outcome_fingerprint(
                    RunStatus.COMPLETED, {"artifactVersionIds": self.artifact_version_ids}
                ),
            )

    class RunFailed(Event):
        run_id: str
        error_message: str

        def apply(self, aggregate: Campaign) -> None:
            aggregate.run(self.run_id).move_to(
                RunStatus.FAILED,
                _outcome_fingerprint(RunStatus.FAILED, {"errorMessage": self.error_message}),
            )

    class RunCancelled(Event):
        run_id: str

        def apply(self, aggregate: Campaign) -> None:
            aggregate.run(self.run_id).move_to(
                RunStatus.CANCELLED, _outcome_fingerprint(RunStatus.CANCELLED, {})
            )

    # -- creation and access --------------------------------------------------------------

    @classmethod
    def create(
        cls, campaign_id: str, *, name: str, brief: Brief, meta: CommandMetadata
    ) -> Campaign:
        """A new campaign owned by the command's tenant, in status Draft."""
        fields: dict[str, Any] = {
            "originator_id": UUID(campaign_id),
            "originator_version": cls.INITIAL_VERSION,
            "timestamp": meta.at,
            "metadata": meta.event_metadata(),
            "tenant_id": meta.tenant_id,
            "name": validation.campaign_name(name),
            "brief": brief.to_json(),
        }
        event = cls.CampaignCreated(**fields)
        campaign: Campaign = event.mutate(None)
        campaign.pending_events.append(event)
        return campaign

    def answer_repeated_creation(self, *, name: str, brief: Brief, tenant_id: str) -> Outcome:
        """A create naming this campaign's id again: the first answer, or ``IdConflict``; a name
        that breaks its rule of shape is ``InvalidInput`` (422), as it is for a first create."""
        expected = _campaign_fingerprint(tenant_id, validation.campaign_name(name), brief.to_json())
        receipt = self._receipt_matching(str(self.id), expected)
        version = self.INITIAL_VERSION if receipt is None else receipt["version"]
        return Outcome(id=str(self.id), version=version, appended=False, repeated=True)

    @property
    def is_deleted(self) -> bool:
        return self.restore_until is not None

    def ensure_owned_by(self, tenant_id: str) -> None:
        """A campaign of another tenant is answered like one that does not exist."""
        if self.tenant_id != tenant_id:
            raise CampaignNotFound(f"campaign {self.id} not found")

    def ensure_visible_to(self, tenant_id: str) -> None:
        """Owned by the tenant and not soft-deleted; else ``CampaignNotFound``."""
        self.ensure_owned_by(tenant_id)
        if self.is_deleted:
            raise CampaignNotFound(f"campaign {self.id} not found")

    def ensure_restorable_by(self, tenant_id: str, at: datetime) -> None:
        """Owned by the tenant and not deleted, or deleted but still restorable at ``at`` (its
        log stays readable for an operator deciding to restore it); else ``CampaignNotFound``."""
        self.ensure_owned_by(tenant_id)
        if self.restore_until is not None and at > datetime.fromisoformat(self.restore_until):
            raise CampaignNotFound(f"campaign {self.id} not found")

    def artifact(self, artifact_id: str) -> Artifact:
        """The artifact named in a path; ``EntityNotFound`` if the campaign has none such."""
        record = self.artifacts.get(artifact_id)
        if record is None:
            raise EntityNotFound(f"artifact {artifact_id} not found")
        return Artifact(artifact_id, record)

    def artifact_version(self, version_id: str) -> Version:
        """The version named in a path; ``EntityNotFound`` if the campaign has none such."""
        record = self.versions.get(version_id)
        if record is None:
            raise EntityNotFound(f"version {version_id} not found")
        return Version(version_id, record)

    def run(self, run_id: str) -> Run:
        """The run named in a path; ``EntityNotFound`` if the campaign has none such."""
        record = self.runs.get(run_id)
        if record is None:
            raise EntityNotFound(f"run {run_id} not found")
        return Run(run_id, record)

    def entity_states(self) -> dict[str, EntityState]:
        """Every entity held in memory (admitted or created since), by id: the state a store
        keeps beside the core snapshot, one document per entity."""
        own_id = str(self.id)
        states: dict[str, EntityState] = {}
        held = self.receipts.keys() | self.versions.keys() | self.runs.keys()
        for entity_id in held | self.revisions.keys():
            if entity_id == own_id:
                continue
            record: dict[str, Any] | None
            if entity_id in self.versions:
                kind, record = "version", dict(self.versions[entity_id])
            elif entity_id in self.runs:
                kind, record = "run", dict(self.runs[entity_id])
            elif entity_id in self.revisions:
                kind, record = "revision", dict(self.revisions[entity_id])
            else:
                kind, record = "receipt", None
            states[entity_id] = {
                "kind": kind,
                "record": record,
                "receipt": self.receipts.get(entity_id),
            }
        return states

    def admit(self, states: dict[str, EntityState]) -> None:
        """Take in the stored states of entities a command names (see ``entity_states``)."""
        for entity_id, state in states.items():
            record = state["record"]
            if state["kind"] == "version" and record is not None:
                self.versions[entity_id] = cast(VersionRecord, record)
            elif state["kind"] == "run" and record is not None:
                self.runs[entity_id] = cast(RunRecord, record)
            elif state["kind"] == "revision" and record is not None:
                self.revisions[entity_id] = cast(RevisionRecord, record)
            receipt = state["receipt"]
            if receipt is not None:
                self.receipts[entity_id] = receipt

    def remember(self, entity_id: str, payload_fingerprint: str, version: int) -> None:
        """Keep the receipt of an entity's creation (called by the creating event only)."""
        self.receipts[entity_id] = {"fingerprint": payload_fingerprint, "version": version}

    # -- campaign commands ----------------------------------------------------------------

    def update(self, *, name: str | None, brief: Brief | None, meta: CommandMetadata) -> Outcome:
        """Rename and/or replace the whole brief (at least one of them)."""
        if name is None and brief is None:
            raise InvalidInput(
                "give a name, a brief or both",
                [FieldError("body", "at least one of name and brief is required")],
            )
        checked_name = None if name is None else validation.campaign_name(name)
        self._ensure_not_cancelled("update")
        self._trigger(
            self.CampaignUpdated,
            meta,
            name=checked_name,
            brief=None if brief is None else brief.to_json(),
        )
        return self._answer(str(self.id))

    def change_status(self, target: CampaignStatus, meta: CommandMetadata) -> Outcome:
        """Move along the campaign status machine; asking for the current status is a no-op."""
        if self.status == target.value:
            return self._unchanged(str(self.id), status=self.status)
        check_campaign_transition(self.status, target)
        self._trigger(self.StatusChanged, meta, from_status=self.status, to_status=target.value)
        return self._answer(str(self.id), status=self.status)

    def delete(self, restore_window: timedelta, meta: CommandMetadata) -> Outcome:
        """Soft delete: hidden until restored, restorable until ``restoreUntil``."""
        if self.is_deleted:
            raise CampaignNotFound(f"campaign {self.id} not found")
        restore_until = (meta.at + restore_window).isoformat()
        self._trigger(self.CampaignDeleted, meta, restore_until=restore_until)
        return self._answer(str(self.id))

    def restore(self, meta: CommandMetadata) -> Outcome:
        """Undo a soft delete within the retention window."""
        if self.restore_until is None:
            raise RuleViolation(f"campaign {self.id} is not deleted", code="campaign-not-deleted")
        if meta.at > datetime.fromisoformat(self.restore_until):
            raise RuleViolation(
                f"campaign {self.id} could be restored until {self.restore_until}",
                code="restore-window-expired",
            )
        self._trigger(self.CampaignRestored, meta)
        return self._answer(str(self.id))

    # -- artifact and version commands ----------------------------------------------------

    def create_artifact(
        self, artifact_id: str, artifact_type: ArtifactType, meta: CommandMetadata
    ) -> Outcome:
        """Add the campaign's artifact of a type (at most one per type)."""
        receipt = self._receipt_matching(artifact_id, _artifact_fingerprint(artifact_type.value))
        if receipt is not None:
            return self._repeated(artifact_id, receipt)
        self._ensure_not_cancelled("create an artifact")
        existing = self.artifact_ids_by_type.get(artifact_type.value)
        if existing is not None:
            raise RuleViolation(
                f"the campaign already has a {artifact_type.value} artifact ({existing})",
                code="duplicate-artifact-type",
            )
        self._trigger(
            self.ArtifactCreated, meta, artifact_id=artifact_id, artifact_type=artifact_type.value
        )
        return self._answer(artifact_id)

    def create_version(
        self,
        version_id: str,
        artifact_id: str,
        *,
        content: str,
        run_id: str | None,
        meta: CommandMetadata,
    ) -> Outcome:
        """Add the next numbered version of an artifact (status Generated)."""
        artifact = self.artifact(artifact_id)
        content = validation.version_content(content)
        receipt = self._receipt_matching(
            version_id, _version_fingerprint(artifact_id, content, run_id)
        )
        if receipt is not None:
            return self._repeated(
                version_id, receipt, version_number=self.versions[version_id]["number"]
            )
        self._ensure_not_cancelled("create a version")
        if run_id is not None and run_id not in self.runs:
            raise UnknownReference(f"runId {run_id} is not a run of this campaign")
        number = artifact.next_version_number
        self._trigger(
            self.VersionCreated,
            meta,
            version_id=version_id,
            artifact_id=artifact_id,
            artifact_type=artifact.type,
            version_number=number,
            content=content,
            run_id=run_id,
        )
        return self._answer(version_id, version_number=number)

    def record_audit(
        self,
        audit_report_id: str,
        version_id: str,
        report: AuditReport,
        meta: CommandMetadata,
    ) -> Outcome:
        """Add an audit report to a version's lineage; it becomes the version's audit state."""
        version = self.artifact_version(version_id)
        report_json = report.to_json()
        receipt = self._receipt_matching(
            audit_report_id, _audit_fingerprint(version_id, report_json)
        )
        if receipt is not None:
            return self._repeated(audit_report_id, receipt)
        self._ensure_not_cancelled("record an audit")
        version.ensure_auditable()
        self._trigger(
            self.AuditRecorded,
            meta,
            audit_report_id=audit_report_id,
            version_id=version.id,
            artifact_id=version.artifact_id,
            overall_status=report_json["overallStatus"],
            category_scores=report_json["categoryScores"],
            flagged_items=report_json["flaggedItems"],
            recommendations=report_json["recommendations"],
            version_status=Version.status_after_audit(report.overall_status).value,
        )
        return self._answer(audit_report_id)

    def approve_version(self, version_id: str, meta: CommandMetadata) -> Outcome:
        """Approve a version whose latest audit passes; approving it again is a no-op."""
        version = self.artifact_version(version_id)
        if version.status is VersionStatus.APPROVED:
            return self._unchanged(version_id, status=version.status.value)
        self._ensure_not_cancelled("approve a version")
        version.ensure_approvable()
        self._trigger(
            self.VersionApproved, meta, version_id=version_id, artifact_id=version.artifact_id
        )
        return self._answer(version_id, status=VersionStatus.APPROVED.value)

    def archive_version(self, version_id: str, meta: CommandMetadata) -> Outcome:
        """Archive a version that is not active; archiving it again is a no-op."""
        version = self.artifact_version(version_id)
        if version.status is VersionStatus.ARCHIVED:
            return self._unchanged(version_id, status=version.status.value)
        artifact = self.artifact(version.artifact_id)
        if self.active_versions.get(artifact.type) == version_id:
            raise RuleViolation(
                f"version {version_id} is the active {artifact.type} version",
                code="active-version-cannot-be-archived",
            )
        self._trigger(
            self.VersionArchived, meta, version_id=version_id, artifact_id=version.artifact_id
        )
        return self._answer(version_id, status=VersionStatus.ARCHIVED.value)

    def set_active_version(
        self, artifact_type: ArtifactType, version_id: str, meta: CommandMetadata
    ) -> Outcome:
        """Make a version of the artifact of that type the active one (not archived)."""
        version = self._referenced_version(version_id, "versionId")
        if self.active_versions.get(artifact_type.value) == version_id:
            return self._unchanged(version_id)
        self._ensure_not_cancelled("set the active version")
        artifact = self.artifact(version.artifact_id)
        if artifact.type != artifact_type.value:
            raise RuleViolation(
                f"version {version_id} belongs to the {artifact.type} artifact, "
                f"not to {artifact_type.value}",
                code="version-artifact-mismatch",
            )
        version.ensure_not_archived()
        self._trigger(
            self.ActiveVersionSet,
            meta,
            artifact_type=artifact_type.value,
            artifact_id=artifact.id,
            version_id=version_id,
        )
        return self._answer(version_id)

    def log_iteration(
        self, iteration_id: str, iteration: Iteration, meta: CommandMetadata
    ) -> Outcome:
        """Log feedback that led from an older version of an artifact to a newer one."""
        iteration_json = iteration.to_json()
        receipt = self._receipt_matching(iteration_id, _iteration_fingerprint(iteration_json))
        if receipt is not None:
            return self._repeated(iteration_id, receipt)
        self._ensure_not_cancelled("log an iteration")
        if iteration.artifact_id not in self.artifacts:
            raise UnknownReference(
                f"artifactId {iteration.artifact_id} is not an artifact of this campaign"
            )
        old = self._referenced_version(iteration.old_version_id, "oldVersionId")
        new = self._referenced_version(iteration.new_version_id, "newVersionId")
        for field, version in (("oldVersionId", old), ("newVersionId", new)):
            if version.artifact_id != iteration.artifact_id:
                raise RuleViolation(
                    f"{field} {version.id} is not a version of artifact {iteration.artifact_id}",
                    code="version-artifact-mismatch",
                )
        if new.number <= old.number:
            raise RuleViolation(
                f"newVersionId is version {new.number}, not after version {old.number}",
                code="iteration-order",
            )
        if iteration.revision_id is not None and iteration.revision_id not in self.revisions:
            raise UnknownReference(
                f"revisionId {iteration.revision_id} is not a revision of this campaign"
            )
        self._trigger(
            self.FeedbackLogged,
            meta,
            iteration_id=iteration_id,
            artifact_id=iteration_json["artifactId"],
            old_version_id=iteration_json["oldVersionId"],
            new_version_id=iteration_json["newVersionId"],
            feedback_text=iteration_json["feedbackText"],
            feedback_tags=iteration_json["feedbackTags"],
            revision_id=iteration.revision_id,
        )
        return self._answer(iteration_id)

    def request_revision(
        self,
        revision_id: str,
        revision: Revision,
        *,
        max_audit_retries: int,
        meta: CommandMetadata,
    ) -> Outcome:
        """Save a revision's feedback and move the campaign back to Generating, in one append.

        ``max_audit_retries`` bounds the ``audit-failed`` revisions in a row
        (``domain.revisions``). The status change comes first, so the revision's own event
        carries the stream version the command answers."""
        request = revision.to_json()
        receipt = self._receipt_matching(revision_id, _revision_fingerprint(request))
        if receipt is not None:
            return self._repeated(
                revision_id,
                receipt,
                revision_number=self.revisions[revision_id]["number"],
            )
        ensure_revisable(self.status)
        for artifact_id in revision.artifact_ids:
            if artifact_id not in self.artifacts:
                raise UnknownReference(
                    f"artifactIds {artifact_id} is not an artifact of this campaign"
                )
        ensure_retry_allowed(self.consecutive_audit_retries, revision.reason, max_audit_retries)
        self._trigger(
            self.StatusChanged,
            meta,
            from_status=self.status,
            to_status=CampaignStatus.GENERATING.value,
        )
        number = self.revision_count + 1
        self._trigger(
            self.RevisionRequested,
            meta,
            revision_id=revision_id,
            revision_number=number,
            reason=request["reason"],
            feedback_text=request["feedbackText"],
            specific_changes=request["specificChanges"],
            artifact_ids=request["artifactIds"],
        )
        return Outcome(id=revision_id, version=self.version, revision_number=number)

    # -- run commands ---------------------------------------------------------------------

    def queue_run(
        self,
        run_id: str,
        *,
        execution_mode: ExecutionMode,
        workflow_name: str | None,
        trigger: Trigger,
        base_run_id: str | None,
        meta: CommandMetadata,
    ) -> Outcome:
        """Queue a run; with ``base_run_id`` its context starts as a copy of that run's."""
        trigger_json = trigger.to_json()
        receipt = self._receipt_matching(
            run_id,
            _run_fingerprint(execution_mode.value, workflow_name, trigger_json, base_run_id),
        )
        if receipt is not None:
            return self._repeated(run_id, receipt, status=RunStatus.QUEUED.value)
        self._ensure_not_cancelled("queue a run")
        refs: dict[str, str] = {}
        artifacts: dict[str, ContextEntry] = {}
        input_hashes: dict[str, str] = {}
        if base_run_id is not None:
            if base_run_id not in self.runs:
                raise UnknownReference(f"baseRunId {base_run_id} is not a run of this campaign")
            base = self.run(base_run_id)
            refs = copy.deepcopy(base.refs)
            artifacts = copy.deepcopy(base.context_artifacts)
            input_hashes = copy.deepcopy(base.input_hashes_by_step)
        self._trigger(
            self.RunQueued,
            meta,
            run_id=run_id,
            execution_mode=execution_mode.value,
            workflow_name=workflow_name,
            trigger=trigger_json,
            base_run_id=base_run_id,
            refs=refs,
            artifacts=artifacts,
            input_hashes_by_step=input_hashes,
        )
        return self._answer(run_id, status=RunStatus.QUEUED.value)

    def start_run(self, run_id: str, meta: CommandMetadata) -> Outcome:
        """Queued -> Running; starting a Running run again is a no-op."""
        run = self.run(run_id)
        if run.status is RunStatus.RUNNING:
            return self._unchanged(run_id, status=run.status.value)
        self._ensure_not_cancelled("start a run")
        run.ensure_transition(RunStatus.RUNNING)
        self._trigger(self.RunStarted, meta, run_id=run_id)
        return self._answer(run_id, status=RunStatus.RUNNING.value)

    def attach_step_result(
        self,
        run_id: str,
        *,
        step_id: str,
        input_hash: str | None,
        artifacts: list[ContextArtifact],
        registry: ArtifactTypeRegistry,
        meta: CommandMetadata,
    ) -> Outcome:
        """Add a step's artifacts to a Running run's context; the same result again is a
        no-op."""
        run = self.run(run_id)
        step_id = validation.non_blank(step_id, "stepId")
        if input_hash is not None:
            input_hash = validation.non_blank(input_hash, "inputHash")
        produced = step_artifacts(artifacts)
        step_fingerprint = _step_fingerprint(input_hash, produced)
        if run.has_step_result(step_id, step_fingerprint):
            return self._unchanged(run_id)
        self._ensure_not_cancelled("attach a step result")
        run.ensure_running("step result")
        run.check_step_artifacts(artifacts, registry)
        self._trigger(
            self.StepResultAttached,
            meta,
            run_id=run_id,
            step_id=step_id,
            input_hash=input_hash,
            artifacts=produced,
            refs=Run.refs_set_by(artifacts, registry),
        )
        return self._answer(run_id)

    def record_quality_check(
        self, run_id: str, check: QualityCheck, meta: CommandMetadata
    ) -> Outcome:
        """Record a check of an artifact in a Running run's context; the same check again is
        a no-op."""
        run = self.run(run_id)
        check_json = {
            "artifactId": check.artifact_id,
            "checkType": check.check_type,
            "status": check.status.value,
            "message": check.message,
            "details": check.details,
        }
        if run.has_quality_check(_check_fingerprint(check_json)):
            return self._unchanged(run_id)
        self._ensure_not_cancelled("record a quality check")
        run.ensure_running("quality check")
        if not run.has_in_context(check.artifact_id):
            raise UnknownReference(
                f"artifactId {check.artifact_id} is not in the context of run {run_id}"
            )
        self._trigger(
            self.QualityCheckRecorded,
            meta,
            run_id=run_id,
            artifact_id=check_json["artifactId"],
            check_type=check_json["checkType"],
            status=check_json["status"],
            message=check_json["message"],
            details=check_json["details"],
        )
        return self._answer(run_id)

    def complete_run(
        self, run_id: str, artifact_version_ids: list[str], meta: CommandMetadata
    ) -> Outcome:
        """Running -> Completed, naming the versions the run produced."""
        run = self.run(run_id)
        outcome = _outcome_fingerprint(
            RunStatus.COMPLETED, {"artifactVersionIds": artifact_version_ids}
        )
        if run.status is RunStatus.COMPLETED and run.outcome_fingerprint == outcome:
            return self._unchanged(run_id, status=run.status.value)
        run.ensure_transition(RunStatus.COMPLETED)
        for version_id in artifact_version_ids:
            self._referenced_version(version_id, "artifactVersionIds")
        self._trigger(
            self.RunCompleted, meta, run_id=run_id, artifact_version_ids=list(artifact_version_ids)
        )
        return self._answer(run_id, status=RunStatus.COMPLETED.value)

    def fail_run(self, run_id: str, error_message: str, meta: CommandMetadata) -> Outcome:
        """Running -> Failed, with what went wrong."""
        run = self.run(run_id)
        error_message = validation.error_message(error_message)
        outcome = _outcome_fingerprint(RunStatus.FAILED, {"errorMessage": error_message})
        if run.status is RunStatus.FAILED and run.outcome_fingerprint == outcome:
            return self._unchanged(run_id, status=run.status.value)
        run.ensure_transition(RunStatus.FAILED)
        self._trigger(self.RunFailed, meta, run_id=run_id, error_message=error_message)
        return self._answer(run_id, status=RunStatus.FAILED.value)

    def cancel_run(self, run_id: str, meta: CommandMetadata) -> Outcome:
        """Queued or Running -> Cancelled; cancelling it again is a no-op."""
        run = self.run(run_id)
        if run.status is RunStatus.CANCELLED:
            return self._unchanged(run_id, status=run.status.value)
        run.ensure_transition(RunStatus.CANCELLED)
        self._trigger(self.RunCancelled, meta, run_id=run_id)
        return self._answer(run_id, status=RunStatus.CANCELLED.value)

    # -- helpers --------------------------------------------------------------------------

    def _trigger(
        self, event_class: type[Campaign.Event], meta: CommandMetadata, **data: Any
    ) -> None:
        self.trigger_event(event_class, timestamp=meta.at, metadata=meta.event_metadata(), **data)

    def _receipt_matching(self, entity_id: str, payload_fingerprint: str) -> Receipt | None:
        """The receipt of a repeated create, None for a new id, ``IdConflict`` for an id used
        with another payload."""
        receipt = self.receipts.get(entity_id)
        if receipt is not None and receipt["fingerprint"] != payload_fingerprint:
            raise IdConflict(f"id {entity_id} was already used with a different payload")
        return receipt

    def _referenced_version(self, version_id: str, field: str) -> Version:
        """A version named in a body; ``UnknownReference`` if the campaign has none such."""
        record = self.versions.get(version_id)
        if record is None:
            raise UnknownReference(f"{field} {version_id} is not a version of this campaign")
        return Version(version_id, record)

    def _ensure_not_cancelled(self, what: str) -> None:
        """A Cancelled campaign is final: it takes no new work or content."""
        if self.status == CampaignStatus.CANCELLED.value:
            raise RuleViolation(
                f"campaign {self.id} is cancelled; cannot {what}", code="campaign-cancelled"
            )

    def _answer(
        self, entity_id: str, *, status: str | None = None, version_number: int | None = None
    ) -> Outcome:
        return Outcome(
            id=entity_id, version=self.version, status=status, version_number=version_number
        )

    def _unchanged(self, entity_id: str, *, status: str | None = None) -> Outcome:
        return Outcome(id=entity_id, version=self.version, status=status, appended=False)

    @staticmethod
    def _repeated(
        entity_id: str,
        receipt: Receipt,
        *,
        status: str | None = None,
        version_number: int | None = None,
        revision_number: int | None = None,
    ) -> Outcome:
        return Outcome(
            id=entity_id,
            version=receipt["version"],
            status=status,
            version_number=version_number,
            appended=False,
            revision_number=revision_number,
            repeated=True,
        )
