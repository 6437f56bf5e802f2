"""Request bodies of the command routes, built from the domain's value objects so that every rule
of shape (API.md, "Rules") is checked once, before the service is called; a breach becomes 422
with one entry per field. The fields declared here are bounded like the domain's (a step id is
a label of at most ``MAX_LABEL`` characters, a workflow name at most 255, a list has at most
``MAX_LIST_ITEMS`` items). Unknown fields are ignored; field names are camelCase on the wire.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from domain.values import (
    MAX_LIST_ITEMS,
    ArtifactType,
    AuditReport,
    Brief,
    CampaignStatus,
    Content,
    ContentHash,
    ContextArtifact,
    EntityId,
    ErrorMessage,
    ExecutionMode,
    Iteration,
    Label,
    Name,
    Revision,
    Trigger,
    Value,
    WorkflowName,
)

_ID_DESCRIPTION = "The new entity's id (UUID); repeat it to make the create idempotent."


class CreateCampaign(Value):
    id: EntityId | None = Field(default=None, description=_ID_DESCRIPTION)
    name: Name
    brief: Brief


class UpdateCampaign(Value):
    """At least one of ``name`` and ``brief``; ``brief`` replaces the whole brief."""

    name: Name | None = None
    brief: Brief | None = None

    @model_validator(mode="after")
    def _names_something(self) -> UpdateCampaign:
        if self.name is None and self.brief is None:
            raise ValueError("give name, brief or both")
        return self


class ChangeStatus(Value):
    status: CampaignStatus


class CreateArtifact(Value):
    id: EntityId | None = Field(default=None, description=_ID_DESCRIPTION)
    type: ArtifactType


class CreateVersion(Value):
    id: EntityId | None = Field(default=None, description=_ID_DESCRIPTION)
    content: Content
    run_id: EntityId | None = None


class RecordAudit(AuditReport):
    id: EntityId | None = Field(default=None, description=_ID_DESCRIPTION)

    def report(self) -> AuditReport:
        """The audit report itself, without the id that travels beside it."""
        return AuditReport.model_validate(self.model_dump(exclude={"id"}))


class SetActiveVersion(Value):
    version_id: EntityId


class LogIteration(Iteration):
    id: EntityId | None = Field(default=None, description=_ID_DESCRIPTION)

    def iteration(self) -> Iteration:
        """The iteration itself, without the id that travels beside it."""
        return Iteration.model_validate(self.model_dump(exclude={"id"}))


class RequestRevision(Revision):
    id: EntityId | None = Field(default=None, description=_ID_DESCRIPTION)

    def revision(self) -> Revision:
        """The revision itself, without the id that travels beside it."""
        return Revision.model_validate(self.model_dump(exclude={"id"}))


class QueueRun(Value):
    id: EntityId | None = Field(default=None, description=_ID_DESCRIPTION)
    execution_mode: ExecutionMode
    workflow_name: WorkflowName | None = None
    trigger: Trigger | None = Field(default=None, description="Default: {type: api}.")
    base_run_id: EntityId | None = None


class AttachStepResult(Value):
    step_id: Label
    input_hash: ContentHash | None = None
    artifacts: list[ContextArtifact]


class CompleteRun(Value):
    artifact_version_ids: Annotated[list[EntityId], Field(max_length=MAX_LIST_ITEMS)] | None = None


class FailRun(Value):
    error_message: ErrorMessage
