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

import json
import math
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

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
MAX_EXACT_INTEGER = 2**53
"""The largest integer magnitude an IEEE double (a Cosmos DB number) holds exactly."""

INTEGER_OUT_OF_RANGE = f"must be an integer from -{MAX_EXACT_INTEGER} to {MAX_EXACT_INTEGER}"
NOT_A_FINITE_NUMBER = "must be a finite number within the range of a double (about ±1.8e308)"

JsonPath = tuple[str | int, ...]
"""Where a value sits inside a JSON value: object keys and list indexes, outermost first."""

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


def number_breach(value: Any) -> str | None:
    """Why the JSON number ``value`` cannot be stored exactly, or None when it can."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and abs(value) > MAX_EXACT_INTEGER:
        return INTEGER_OUT_OF_RANGE
    if isinstance(value, float) and not math.isfinite(value):
        return NOT_A_FINITE_NUMBER
    return None


def _json_path_text(path: JsonPath) -> str:
    """``("sizes", 3, "w")`` -> ``sizes[3].w``: a path as the error messages name it."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def _members(value: Any) -> Iterator[tuple[str | int, Any]]:
    if isinstance(value, dict):
        return iter(value.items())
    if isinstance(value, list):
        return enumerate(value)
    return iter(())


def walk_json(value: Any) -> Iterator[tuple[JsonPath, Any]]:
    """``value`` and everything inside it with its path, depth first.

    Iterative (no ``RecursionError`` however deep the nesting) and lazy (it keeps only the chain
    of containers above the current value).
    """
    yield (), value
    stack: list[tuple[JsonPath, Iterator[tuple[Any, Any]]]] = [((), _members(value))]
    while stack:
        path, members = stack[-1]
        member = next(members, None)
        if member is None:
            stack.pop()
            continue
        key, item = member
        item_path = (*path, key)
        yield item_path, item
        if isinstance(item, dict | list):
            stack.append((item_path, _members(item)))


def _json_breach(value: Any) -> tuple[JsonPath, str] | None:
    """The first place where ``value`` is not JSON that a document store keeps exactly."""
    for path, item in walk_json(value):
        if len(path) > MAX_JSON_DEPTH:
            return path, f"must not nest more than {MAX_JSON_DEPTH} levels deep"
        if isinstance(item, dict):
            if not all(isinstance(key, str) for key in item):
                return path, "must have text keys"
        elif isinstance(item, int | float) and not isinstance(item, bool):
            reason = number_breach(item)
            if reason is not None:
                return path, reason
        elif not (item is None or isinstance(item, str | bool | list)):
            return path, f"must hold only JSON values, not {type(item).__name__}"
    return None


def _storable_json_object(value: dict[str, Any]) -> dict[str, Any]:
    breach = _json_breach(value)
    if breach is not None:
        path, reason = breach
        raise ValueError(f"{_json_path_text(path)}: {reason}" if path else reason)
    try:
        size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    except UnicodeEncodeError:
        raise ValueError("must hold only text without lone surrogates") from None
    if size > MAX_JSON_OBJECT_BYTES:
        raise ValueError(f"must be at most {MAX_JSON_OBJECT_BYTES} bytes as JSON, not {size}")
    return value


EntityId = Annotated[str, AfterValidator(_canonical_uuid)]
"""A UUID given as a string, stored in canonical lower-case form."""

NonBlank = Annotated[str, AfterValidator(_not_blank)]
Name = Annotated[str, StringConstraints(max_length=MAX_NAME), AfterValidator(_not_blank)]
BriefText = Annotated[str, StringConstraints(max_length=MAX_BRIEF_TEXT), AfterValidator(_not_blank)]
Label = Annotated[str, StringConstraints(max_length=MAX_LABEL), AfterValidator(_not_blank)]
"""A short label that must say something (a category, a check type, a step id)."""
ShortText = Annotated[str, StringConstraints(max_length=MAX_LABEL)]
"""A short label that may be empty (a tag, a channel, a workflow name, who initiated a run)."""
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT), AfterValidator(_not_blank)]
"""A free text that must say something (feedback, a description)."""
FreeText = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
"""A free text that may be empty (notes, an excerpt, a message, a tone guideline)."""
HexColour = Annotated[str, AfterValidator(_hex_colour)]
ContentHash = Annotated[str, AfterValidator(_sha256_hex)]
Content = Annotated[str, StringConstraints(max_length=MAX_CONTENT)]
ErrorMessage = Annotated[
    str, StringConstraints(max_length=MAX_ERROR_MESSAGE), AfterValidator(_not_blank)
]
Uri = Annotated[str, StringConstraints(min_length=1, max_length=MAX_URI)]
ExactInteger = Annotated[int, Field(ge=-MAX_EXACT_INTEGER, le=MAX_EXACT_INTEGER)]
"""An integer every JSON reader and document store holds exactly."""
JsonObject = Annotated[
    dict[str, Any],
    AfterValidator(_storable_json_object),
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
    max_words: Annotated[int, Field(gt=0, le=MAX_EXACT_INTEGER)] | None = None
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
    score: Annotated[float, Field(ge=0, le=100)]
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
