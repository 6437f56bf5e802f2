"""Value objects of the campaign domain and their rules of shape (API.md, "Rules").

They are pydantic models so that one definition validates everywhere: the HTTP layer uses them as
request bodies (a breach becomes 422 with per-field messages) and the domain accepts only
validated instances. Field names are snake_case in Python and camelCase on the wire
(``model_dump(by_alias=True)``), which is also how they are stored inside events.

Every text, list and free-form object is bounded (the constants below; ``docs/errors.md`` lists
them), so that no single command can make a campaign's views outgrow a store item. Free-form
objects (a trigger's ``payload``, an artifact's ``metadata``, a check's ``details``) hold only
JSON values that a JSON document store keeps exactly: finite numbers and integers within
±2^53 (Cosmos DB numbers are IEEE doubles); anything else could never be projected.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from domain.blank_text import is_blank, not_blank_pattern
from domain.formats import canonical_uuid
from domain.json_values import (
    INTEGER_OUT_OF_RANGE,
    MAX_EXACT_INTEGER,
    NOT_A_FINITE_NUMBER,
    json_number,
    storable_json_object,
)

__all__ = ["INTEGER_OUT_OF_RANGE", "MAX_EXACT_INTEGER", "NOT_A_FINITE_NUMBER"]

MAX_NAME = 200
MAX_LABEL = 200
"""Short labels: tags, categories, check types, step ids, workflow names, channels, types."""
MAX_TEXT = 4_000
"""Free texts: feedback, notes, descriptions, excerpts, messages, tone guidelines, rules."""
MAX_BRIEF_TEXT = MAX_TEXT
MAX_ERROR_MESSAGE = MAX_TEXT
MAX_CONTENT = 1_048_576
MAX_URI = 2_048
MAX_LIST_ITEMS = 200
"""Items of any list (and entries of ``categoryScores``) in one request."""
MAX_WORKFLOW_NAME = 255
MAX_SPECIFIC_CHANGES = 50
"""Items of a revision's ``specificChanges``."""
MAX_SPECIFIC_CHANGE = 1_000
"""Characters of one of a revision's ``specificChanges``."""
MAX_JSON_OBJECT_BYTES = 65_536
"""A free-form object serialized as compact UTF-8 JSON."""
MAX_JSON_DEPTH = 32
"""Nesting levels of a free-form object (Cosmos DB refuses documents nested past 128)."""
MAX_COMMAND_BYTES = 1_835_008
"""A command's body written as compact JSON with every non-ASCII character escaped (``\\uXXXX``,
as the store's batches count it) takes at most 1.75 MiB: the rest of a 2 MiB batch is left for
what a command writes beside its data (event metadata, the head, entity states). Beyond it the
command is 413 ``command-too-large``."""

_HEX_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")


def _not_blank(value: str) -> str:
    if is_blank(value):
        raise ValueError("must not be blank")
    return value


def _canonical_uuid(value: str) -> str:
    canonical = canonical_uuid(value)
    if canonical is None:
        raise ValueError("must be a UUID")
    return canonical


def _hex_colour(value: str) -> str:
    if not _HEX_COLOUR.fullmatch(value):
        raise ValueError("must be a colour as #RGB or #RRGGBB")
    return value


def _sha256_hex(value: str) -> str:
    if not _SHA256_HEX.fullmatch(value):
        raise ValueError("must be 64 hexadecimal characters")
    return value.lower()


@dataclass(frozen=True)
class _DocumentedPattern:
    """Adds ``pattern`` to a type's JSON Schema without checking it a second time: the type's
    own validator is the rule, the pattern says the same to clients."""

    pattern: str | None = None

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["pattern"] = self.pattern or not_blank_pattern()
        return schema


_SAYS_SOMETHING = _DocumentedPattern()
"""A text that must not be blank (``domain.blank_text``)."""


EntityId = Annotated[
    str, AfterValidator(_canonical_uuid), Field(json_schema_extra={"format": "uuid"})
]
"""A UUID given as a string, stored in canonical lower-case form."""

NonBlank = Annotated[str, AfterValidator(_not_blank), _SAYS_SOMETHING]
Name = Annotated[
    str, StringConstraints(max_length=MAX_NAME), AfterValidator(_not_blank), _SAYS_SOMETHING
]
BriefText = Annotated[
    str, StringConstraints(max_length=MAX_BRIEF_TEXT), AfterValidator(_not_blank), _SAYS_SOMETHING
]
Label = Annotated[
    str, StringConstraints(max_length=MAX_LABEL), AfterValidator(_not_blank), _SAYS_SOMETHING
]
"""A short label that must say something (a category, a check type, a step id)."""
ShortText = Annotated[str, StringConstraints(max_length=MAX_LABEL)]
"""A short label that may be empty (a tag, a channel, a workflow name, who initiated a run)."""
Text = Annotated[
    str, StringConstraints(max_length=MAX_TEXT), AfterValidator(_not_blank), _SAYS_SOMETHING
]
"""A free text that must say something (feedback, a description)."""
FreeText = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
"""A free text that may be empty (notes, an excerpt, a message, a tone guideline)."""
HexColour = Annotated[
    str, AfterValidator(_hex_colour), _DocumentedPattern(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
]
ContentHash = Annotated[str, AfterValidator(_sha256_hex), _DocumentedPattern(r"^[0-9a-fA-F]{64}$")]
Content = Annotated[str, StringConstraints(max_length=MAX_CONTENT)]
ErrorMessage = Annotated[
    str,
    StringConstraints(max_length=MAX_ERROR_MESSAGE),
    AfterValidator(_not_blank),
    _SAYS_SOMETHING,
]
Uri = Annotated[str, StringConstraints(min_length=1, max_length=MAX_URI)]
JsonNumber = BeforeValidator(json_number)
"""Refuses ``true``, ``false`` and text where a number is expected (pydantic's lax mode would
read ``true`` as 1 and ``"5"`` as 5)."""
ExactInteger = Annotated[int, Field(ge=-MAX_EXACT_INTEGER, le=MAX_EXACT_INTEGER), JsonNumber]
"""An integer every JSON reader and document store holds exactly."""
JsonObject = Annotated[
    dict[str, Any],
    AfterValidator(
        functools.partial(
            storable_json_object, max_depth=MAX_JSON_DEPTH, max_bytes=MAX_JSON_OBJECT_BYTES
        )
    ),
    Field(
        description=(
            f"Free-form JSON object: at most {MAX_JSON_OBJECT_BYTES} bytes as compact UTF-8 "
            f"JSON, nested at most {MAX_JSON_DEPTH} levels, integers within ±2^53, "
            "finite numbers."
        )
    ),
]
"""A free-form object that a JSON document store keeps exactly and that fits a view."""

WorkflowName = Annotated[str, StringConstraints(max_length=MAX_WORKFLOW_NAME)]
"""A run's workflow name (API.md round 2: at most 255 characters, may be empty)."""
SpecificChange = Annotated[str, StringConstraints(max_length=MAX_SPECIFIC_CHANGE)]


def _utc_timestamp(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("must be an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        raise ValueError("must carry its offset from UTC")
    return moment.astimezone(UTC).isoformat()


UtcTimestamp = Annotated[
    str,
    StringConstraints(max_length=64),
    AfterValidator(_utc_timestamp),
    Field(json_schema_extra={"format": "date-time"}),
]
"""An instant in ISO 8601 with its offset, kept in UTC (``…+00:00``)."""

Labels = Annotated[list[ShortText], Field(max_length=MAX_LIST_ITEMS)]
Texts = Annotated[list[FreeText], Field(max_length=MAX_LIST_ITEMS)]
HexColours = Annotated[list[HexColour], Field(max_length=MAX_LIST_ITEMS)]


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


class RevisionReason(StrEnum):
    """Why a revision was asked for: a person's feedback, or a failed compliance check (an
    automatic retry, of which a campaign may have ``max_audit_retries`` in a row)."""

    USER_FEEDBACK = "user-feedback"
    AUDIT_FAILED = "audit-failed"


class QualityCheckStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    WARNING = "warning"


class Constraints(Value):
    rules: Texts | None = None
    max_words: Annotated[int, Field(gt=0, le=MAX_EXACT_INTEGER), JsonNumber] | None = None
    channels: Labels | None = None


class Brief(Value):
    """The campaign brief; an update replaces the whole brief."""

    objective: BriefText
    target_audience: BriefText
    product_details: BriefText
    tone_guidelines: Texts | None = None
    brand_palette: HexColours | None = None
    constraints: Constraints | None = None


class CategoryScore(Value):
    score: Annotated[float, Field(ge=0, le=100), JsonNumber]
    notes: FreeText | None = None


class FlaggedItem(Value):
    category: Label
    severity: Severity
    description: Text
    excerpt: FreeText | None = None


class Recommendation(Value):
    category: Label
    text: Text
    priority: ExactInteger | None = None


class AuditReport(Value):
    """What an audit says about one version (the ids travel beside it)."""

    overall_status: AuditStatus
    category_scores: dict[ShortText, CategoryScore] = Field(max_length=MAX_LIST_ITEMS)
    flagged_items: list[FlaggedItem] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    recommendations: list[Recommendation] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)


class Iteration(Value):
    """One round of human feedback from an old version to a newer one of the same artifact."""

    artifact_id: EntityId
    old_version_id: EntityId
    new_version_id: EntityId
    feedback_text: Text
    feedback_tags: Labels = Field(default_factory=list)
    revision_id: EntityId | None = None
    """The revision this round of feedback belongs to (a revision of the same campaign)."""


class Revision(Value):
    """A request to regenerate: the feedback is saved before the artifacts are regenerated."""

    reason: RevisionReason
    feedback_text: Text
    specific_changes: Annotated[list[SpecificChange], Field(max_length=MAX_SPECIFIC_CHANGES)] = (
        Field(default_factory=list)
    )
    artifact_ids: Annotated[list[EntityId], Field(max_length=MAX_LIST_ITEMS)] = Field(
        default_factory=list
    )


class Trigger(Value):
    type: TriggerType = TriggerType.API
    payload: JsonObject | None = None
    initiated_by: ShortText | None = None
    timestamp: UtcTimestamp | None = Field(
        default=None, description="When the run was triggered; default: when it was queued."
    )


class ContextArtifact(Value):
    """An artifact a workflow step produced; ``type`` is checked against the registry."""

    id: EntityId
    type: Label
    uri: Uri
    hash: ContentHash
    metadata: JsonObject | None = None


class QualityCheck(Value):
    artifact_id: EntityId
    check_type: Label
    status: QualityCheckStatus
    message: FreeText | None = None
    details: JsonObject | None = None
