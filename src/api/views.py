"""Schemas of the read answers (API.md, "Reads"), for the OpenAPI document.

The read model hands the API ready-made bodies; the read routes send them as they are (no second
validation of up to a megabyte of content per request), and these models describe them. The
end-to-end and fuzz tests check the real answers against this schema, so a drift between the
projections and the contract shows up as a failing test, not as a client surprise.
Unknown extra fields are allowed: the contract may grow.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from domain.values import (
    ArtifactType,
    AuditStatus,
    Brief,
    CampaignStatus,
    CategoryScore,
    ExecutionMode,
    FlaggedItem,
    QualityCheckStatus,
    Recommendation,
    RevisionReason,
    RunStatus,
    Trigger,
    VersionStatus,
)
from projections.status import LagSource

Timestamp = str
"""ISO 8601 with offset (UTC)."""


class View(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")


class AuditReportView(View):
    id: str
    version_id: str
    overall_status: AuditStatus
    category_scores: dict[str, CategoryScore]
    flagged_items: list[FlaggedItem]
    recommendations: list[Recommendation]
    created_at: Timestamp


class ActiveVersionView(View):
    id: str
    artifact_id: str
    version_number: int
    status: VersionStatus
    content: str
    created_at: Timestamp
    audit_report_id: str | None


class ArtifactSummary(View):
    id: str
    type: ArtifactType
    version_count: int
    latest_version_id: str | None


class RunSummary(View):
    id: str
    status: RunStatus
    execution_mode: ExecutionMode
    started_at: Timestamp | None
    completed_at: Timestamp | None


class RevisionItem(View):
    id: str
    revision_number: int
    reason: RevisionReason
    feedback_text: str
    specific_changes: list[str]
    artifact_ids: list[str]
    requested_at: Timestamp


class RevisionsBlock(View):
    count: int = Field(description="How many revisions the campaign has had.")
    consecutive_audit_retries: int = Field(
        description="audit-failed revisions in a row, since the last user-feedback revision or "
        "the last time the campaign reached Completed."
    )
    latest: RevisionItem | None


class CampaignSnapshot(View):
    id: str
    tenant_id: str
    name: str
    brief: Brief
    status: CampaignStatus
    created_at: Timestamp
    updated_at: Timestamp
    is_deleted: bool
    version: int = Field(description="The stream version this snapshot reflects.")
    active_versions: dict[str, ActiveVersionView] = Field(
        description="By artifact type (Copy, ShortCopy, VisualConcept)."
    )
    audit_reports: dict[str, AuditReportView] = Field(
        description="By version id: the latest report of each active version."
    )
    artifacts: list[ArtifactSummary]
    runs: list[RunSummary] = Field(description="The latest 50 runs queued (GET …/runs has all).")
    run_count: int = Field(description="How many runs the campaign has.")
    revisions: RevisionsBlock


class CampaignSummary(View):
    id: str
    name: str
    status: CampaignStatus
    created_at: Timestamp
    updated_at: Timestamp
    deleted_at: Timestamp | None = Field(
        default=None, description="With deleted=true only: when it was soft-deleted."
    )
    restorable_until: Timestamp | None = Field(
        default=None, description="With deleted=true only: the end of its restore window."
    )


class CampaignList(View):
    items: list[CampaignSummary]
    continuation: str | None = Field(description="Pass it back for the next page; null at the end.")


class ArtifactView(View):
    id: str
    type: ArtifactType
    created_at: Timestamp
    version_count: int
    latest_version_id: str | None = Field(description="The highest-numbered version; null: none.")
    active_version_id: str | None = Field(description="The active version of its type; or null.")


class ArtifactList(View):
    items: list[ArtifactView] = Field(description="In creation order (at most one per type).")


class VersionSummary(View):
    id: str
    version_number: int
    created_at: Timestamp
    status: VersionStatus
    audit_status: AuditStatus | None = Field(description="The latest audit's overallStatus.")
    audit_report_id: str | None


class VersionHistory(View):
    artifact_id: str
    type: ArtifactType
    versions: list[VersionSummary]
    continuation: PageToken


class VersionDetail(View):
    id: str
    artifact_id: str
    artifact_type: ArtifactType
    version_number: int
    content: str
    status: VersionStatus
    created_at: Timestamp
    run_id: str | None
    audit_report_ids: list[str]


PageToken = Annotated[
    str | None,
    Field(description="Pass it back as `continuation` for the next page; null at the end."),
]


class AuditList(View):
    items: list[AuditReportView]
    continuation: PageToken


class CampaignAuditView(AuditReportView):
    artifact_id: str
    version_number: int


class CampaignAuditList(View):
    items: list[CampaignAuditView]
    continuation: PageToken


class RunListItem(View):
    id: str
    status: RunStatus
    execution_mode: ExecutionMode
    workflow_name: str | None
    started_at: Timestamp | None
    completed_at: Timestamp | None


class RunList(View):
    items: list[RunListItem]
    continuation: PageToken


class IterationView(View):
    id: str
    artifact_id: str
    old_version_id: str
    new_version_id: str
    feedback_text: str
    feedback_tags: list[str]
    revision_id: str | None = Field(default=None, description="The revision it belongs to.")
    created_at: Timestamp


class IterationList(View):
    items: list[IterationView]
    continuation: PageToken


class RevisionList(View):
    items: list[RevisionItem]
    continuation: PageToken


class ContextArtifactView(View):
    type: str
    uri: str
    hash: str
    metadata: dict[str, Any] | None
    created_at: Timestamp
    step_id: str


class QualityCheckView(View):
    artifact_id: str
    check_type: str
    status: QualityCheckStatus
    message: str | None
    details: dict[str, Any] | None
    timestamp: Timestamp


class ComputedContext(View):
    input_hashes_by_step: dict[str, str]
    quality_checks: list[QualityCheckView]


class RunContext(View):
    campaign_id: str
    run_id: str
    workflow_name: str | None
    trigger: Trigger
    refs: dict[str, str] = Field(description="Reference name (introImageArtifactId...) -> id.")
    artifacts: dict[str, ContextArtifactView]
    computed: ComputedContext


class RunDetail(View):
    id: str
    status: RunStatus
    execution_mode: ExecutionMode
    started_at: Timestamp | None
    completed_at: Timestamp | None
    artifact_version_ids: list[str]
    error_message: str | None
    context: RunContext


class EventView(View):
    version: int
    type: str
    data: dict[str, Any]
    metadata: dict[str, Any]
    recorded_at: Timestamp


class EventList(View):
    items: list[EventView]


class Health(View):
    status: Literal["ok"]
    store: Literal["sqlite", "cosmos"]


class DeadLetterView(View):
    id: str
    campaign_id: str
    tenant_id: str | None = None
    version: int | None
    event_type: str | None
    error: str
    error_code: str
    generation: int
    first_failed_at: Timestamp
    last_failed_at: Timestamp
    attempts: int


class DeadLetters(View):
    count: int
    items: list[DeadLetterView] = Field(description="The first hundred.")


class FeedRangeStatus(View):
    feed_range: str
    source: LagSource = Field(
        description="Who follows this range: the in-process processor (lag measured here) or "
        "the Azure Functions trigger (lag not measurable here: null figures)."
    )
    checkpoint: str | None = Field(
        description="The local processor's position; null: none yet, and always for a "
        "tenant (it follows every tenant's writes)."
    )
    checkpoint_updated_at: Timestamp | None
    events_behind: int | None = Field(description="The caller's tenant's events not yet projected.")
    events_behind_is_lower_bound: bool
    seconds_behind: float | None = Field(
        description="Age of the oldest of the tenant's events not yet projected."
    )


class ProjectionLag(View):
    name: str
    live_generation: int
    building_generation: int | None
    lease_prefix: str = Field(description="The trigger's lease prefix for the live generation.")
    source: LagSource
    feed_ranges: list[FeedRangeStatus]
    events_behind: int | None
    dead_letters: DeadLetters


class ProjectionStatus(View):
    """Per projection and feed range: events and seconds behind, checkpoint, dead letters."""

    projections: list[ProjectionLag]
