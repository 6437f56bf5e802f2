"""The parameters of reading the past (API.md round 2): ``?atVersion=N`` or ``?asOf=<instant>``
on ``GET /api/campaigns/{cid}`` and ``GET …/artifacts/{aid}/versions``.

``atVersion`` is an integer of 1 or more; ``asOf`` an RFC 3339 timestamp (ISO 8601 with its
offset, ``Z`` or ``±hh:mm``; a ``+`` must be sent percent-encoded, ``%2B``). Anything else, or
both at once, is 422 ``validation-failed`` naming the parameter. The read model answers 404
``version-not-found`` for a past the campaign does not have. ``campaign_read`` and
``history_read`` pick the live read or the read of the past for the two routes (``api.reads``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Query

from api.ports import CampaignReads
from domain.errors import FieldError, InvalidInput
from domain.values import MAX_EXACT_INTEGER
from projections.reads import Moment, View

_RFC3339 = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$"
)
IMMUTABLE = "private, max-age=31536000, immutable"
"""The ``Cache-Control`` of a past answer that can never change."""

AtVersion = Annotated[
    int | None,
    Query(
        alias="atVersion",
        ge=1,
        le=MAX_EXACT_INTEGER - 1,
        description="Answer as it stood when the campaign's stream version was this (1 or "
        "more; above the current version: 404 version-not-found). Not with asOf.",
    ),
]
AsOf = Annotated[
    str | None,
    Query(
        alias="asOf",
        min_length=20,
        max_length=40,
        pattern=_RFC3339.pattern,
        description="Answer as it stood at the last event recorded at or before this instant "
        "(RFC 3339 with offset, e.g. 2026-03-01T09:00:00Z; before the campaign's creation: 404 "
        "version-not-found). Not with atVersion.",
        json_schema_extra={"format": "date-time"},
    ),
]


def moment_of(at_version: int | None, as_of: str | None) -> Moment | None:
    """The moment a read asks for, None for a live read; 422 for an instant that is not a
    date or for both parameters at once."""
    if at_version is not None and as_of is not None:
        message = "give atVersion or asOf, not both"
        raise InvalidInput(message, [FieldError("asOf", message)])
    if at_version is not None:
        return Moment(version=at_version)
    if as_of is not None:
        return Moment(instant=parse_instant(as_of))
    return None


def parse_instant(text: str) -> datetime:
    """An RFC 3339 timestamp as an aware datetime (fractions beyond microseconds truncated,
    which compares exactly with the events' microsecond timestamps); else ``InvalidInput``."""
    found = _RFC3339.match(text)
    message = "must be an RFC 3339 timestamp with offset, e.g. 2026-03-01T09:00:00Z"
    if found is None:
        raise InvalidInput(f"asOf: {message}", [FieldError("asOf", message)])
    date, time, fraction, offset = found.groups()
    micros = "" if fraction is None else "." + fraction[:6].ljust(6, "0")
    zone = "+00:00" if offset in ("Z", "z") else offset
    try:
        return datetime.fromisoformat(f"{date}T{time}{micros}{zone}")
    except ValueError:
        raise InvalidInput(f"asOf: {message}", [FieldError("asOf", message)]) from None


def campaign_read(
    tenant: str, campaign_id: str, moment: Moment | None
) -> Callable[[CampaignReads], View]:
    """The read of ``GET /api/campaigns/{cid}``: live, or at ``moment``."""
    if moment is None:
        return lambda reads: reads.campaign(tenant, campaign_id)
    return lambda reads: reads.campaign_at(tenant, campaign_id, moment)


def history_read(
    tenant: str,
    campaign_id: str,
    artifact_id: str,
    moment: Moment | None,
    *,
    limit: int,
    continuation: str | None,
) -> Callable[[CampaignReads], View]:
    """The read of ``GET …/artifacts/{aid}/versions``: live, or at ``moment``; paged alike."""
    if moment is None:
        return lambda reads: reads.version_history(
            tenant, campaign_id, artifact_id, limit=limit, continuation=continuation
        )
    return lambda reads: reads.version_history_at(
        tenant, campaign_id, artifact_id, moment, limit=limit, continuation=continuation
    )
