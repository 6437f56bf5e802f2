"""Value objects of the campaign domain and their rules of shape (API.md, "Rules").

They are pydantic models so that one definition validates everywhere: the HTTP layer uses them as
request bodies (a breach becomes 422 with per-field messages) and the domain accepts only
validated instances. Field names are snake_case in Python and camelCase on the wire
(``model_dump(by_alias=True)``), which is also how they are stored inside events.
"""

from __future__ import annotations

import re
import uuid
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

MAX_BRIEF_TEXT = 4_000
MAX_NAME = 200
MAX_CONTENT = 1_048_576
MAX_URI = 2_048
MAX_ERROR_MESSAGE = 4_000

_HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_SHA256_HEX = re.compile(r"^[0-9a-fA-F]{64}$")


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _canonical_uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        raise ValueError("must be a UUID") from None


def _hex_colour(value: str) -> str:
    if not _HEX_COLOUR.match(value):
        raise ValueError("must be a colour as #RGB or #RRGGBB")
    return value


def _sha256_hex(value: str) -> str:
    if not _SHA256_HEX.match(value):
        raise ValueError("must be 64 hexadecimal characters")
    return value.lower()


EntityId = Annotated[str, AfterValidator(_canonical_uuid)]
"""A UUID given as a string, stored in canonical lower-case form."""

NonBlank = Annotated[str, AfterValidator(_not_blank)]
Name = Annotated[str, StringConstraints(max_length=MAX_NAME), AfterValidator(_not_blank)]
BriefText = Annotated[str, StringConstraints(max_length=MAX_BRIEF_TEXT), AfterValidator(_not_blank)]
HexColour = Annotated[str, AfterValidator(_hex_colour)]
ContentHash = Annotated[str, AfterValidator(_sha256_hex)]
Content = Annotated[str, StringConstraints(max_length=MAX_CONTENT)]
ErrorMessage = Annotated[
    str, StringConstraints(max_length=MAX_ERROR_MESSAGE), AfterValidator(_not_blank)
]
Uri = Annotated[str, StringConstraints(min_length=1, max_length=MAX_URI)]


class Value(BaseModel):
    """Base of the value objects: immutable, camelCase on the wire, unknown fields ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        extra="ignore",
    )

    def to_json(self) -> dict[str, Any]:
        """The stored form: camelCase keys, JSON values, absent optionals left out."""
        return self.model_dump(by_alias=True, mode="json", exclude_none=True)


class CampaignStatus(StrEnum):
    DRAFT = "Draft"
    GENERATING = "Generating"
    GENERATED = "Generated"
    AUDITING = "Auditing"
    COMPLETED = "Completed"
    CANCELLED = "Cancelled"


class ArtifactType(StrEnum):
    COPY = "Copy"
    SHORT_COPY = "ShortCopy"
    VISUAL_CONCEPT = "VisualConcept"


class VersionStatus(StrEnum):
    GENERATED = "Generated"
    AUDITED = "Audited"
    APPROVED = "Approved"
    ARCHIVED = "Archived"


class AuditStatus(StrEnum):
    PASS = "Pass"
    CONDITIONAL = "Conditional"
    FAIL = "Fail"


class Severity(StrEnum):
    LOW = "Low"
    MEDIUM = "Medium"
    HIGH = "High"
    CRITICAL = "Critical"


class ExecutionMode(StrEnum):
    PARALLEL = "Parallel"
    SEQUENTIAL = "Sequential"


class RunStatus(StrEnum):
    QUEUED = "Queued"
    RUNNING = "Running"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELLED = "Cancelled"


class TriggerType(StrEnum):
    MANUAL = "manual"
    SCHEDULED = "scheduled"
    API = "api"


class QualityCheckStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    WARNING = "warning"


class Constraints(Value):
    rules: list[str] | None = None
    max_words: Annotated[int, Field(gt=0)] | None = None
    channels: list[str] | None = None


class Brief(Value):
    """The campaign brief; an update replaces the whole brief."""

    objective: BriefText
    target_audience: BriefText
    product_details: BriefText
    tone_guidelines: list[str] | None = None
    brand_palette: list[HexColour] | None = None
    constraints: Constraints | None = None


class CategoryScore(Value):
    score: Annotated[float, Field(ge=0, le=100)]
    notes: str | None = None


class FlaggedItem(Value):
    category: NonBlank
    severity: Severity
    description: NonBlank
    excerpt: str | None = None


class Recommendation(Value):
    category: NonBlank
    text: NonBlank
    priority: int | None = None


class AuditReport(Value):
    """What an audit says about one version (the ids travel beside it)."""

    overall_status: AuditStatus
    category_scores: dict[str, CategoryScore]
    flagged_items: list[FlaggedItem] = Field(default_factory=list)
    recommendations: list[Recommendation] = Field(default_factory=list)


class Iteration(Value):
    """One round of human feedback from an old version to a newer one of the same artifact."""

    artifact_id: EntityId
    old_version_id: EntityId
    new_version_id: EntityId
    feedback_text: NonBlank
    feedback_tags: list[str] = Field(default_factory=list)


class Trigger(Value):
    type: TriggerType = TriggerType.API
    payload: dict[str, Any] | None = None
    initiated_by: str | None = None


class ContextArtifact(Value):
    """An artifact a workflow step produced; ``type`` is checked against the registry."""

    id: EntityId
    type: NonBlank
    uri: Uri
    hash: ContentHash
    metadata: dict[str, Any] | None = None


class QualityCheck(Value):
    artifact_id: EntityId
    check_type: NonBlank
    status: QualityCheckStatus
    message: str | None = None
    details: dict[str, Any] | None = None
