"""How the reads of one campaign answer (API.md, "Reads"): the query parameters they share
(``minVersion``, ``limit``, ``continuation``, ``If-None-Match``), their documented headers, and
``ViewReader``, which waits for ``minVersion``, then answers the view with its ``ETag`` and
caching headers, or 304. Used by ``api.reads`` and ``api.campaign_lists``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Query
from fastapi.responses import JSONResponse, Response

from api.dependencies import AppSettings, Reads
from api.past import IMMUTABLE
from api.ports import CampaignReads
from api.preconditions import is_not_modified, quote_entity_tag
from api.problems import problem_responses
from projections.reads import View

MAX_SAFE_INTEGER = 2**53 - 1
"""The largest integer every JSON client reads exactly; bounds versions given in a query."""

_READ_HEADERS: dict[str, Any] = {
    "ETag": {"description": "Opaque; send it as If-None-Match.", "schema": {"type": "string"}},
    "X-Projection-Stale": {
        "description": "'true' when minVersion was not reached in time.",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "Cache-Control": {
        "description": "'private, no-cache' (revalidate with If-None-Match); a read of the past "
        f"that can never change: '{IMMUTABLE}'.",
        "schema": {"type": "string"},
    },
}
_CACHING = {"Cache-Control": "private, no-cache", "Vary": "X-Tenant-Id, X-Api-Key, Authorization"}
_REFUSALS = (400, 401, 403, 404, 413, 422, 429, 500, 503)


def read_responses(*refusals: int) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"headers": _READ_HEADERS},
        304: {"description": "Not Modified: If-None-Match names the current ETag."},
        **problem_responses(*(refusals or _REFUSALS)),
    }


MinVersion = Annotated[
    int | None,
    Query(
        alias="minVersion",
        ge=0,
        le=MAX_SAFE_INTEGER,
        description="Wait briefly until the projection reflects at least this stream version.",
    ),
]


def page_limit(default: int) -> Any:
    """The ``limit`` of a campaign's paged list (API.md round 2: 1 to 1,000)."""
    return Query(ge=1, le=1_000, description=f"Items per page (1 to 1,000, default {default}).")


PageLimit = Annotated[int, page_limit(1_000)]
Continuation = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=1_024,
        description="The token of the previous page (400 invalid-continuation if not ours).",
    ),
]

IfNoneMatch = Annotated[
    str | None,
    Header(alias="If-None-Match", description="An ETag from an earlier answer (304 if current)."),
]


def conditional_answer(
    body: Any, etag: str, if_none_match: str | None, *, stale: bool = False, immutable: bool = False
) -> Response:
    headers = {"ETag": etag, **_CACHING}
    if immutable:
        headers["Cache-Control"] = IMMUTABLE
    if stale:
        headers["X-Projection-Stale"] = "true"
    if is_not_modified(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return JSONResponse(body, headers=headers)


@dataclass(frozen=True)
class ViewReader:
    """Answers a read of one campaign's projection: waits for ``minVersion`` first (up to
    ``wait_seconds``), then answers the view with its ETag, or 304; a view that can never
    change (a read of the past) may be cached for good."""

    reads: CampaignReads
    wait_seconds: float

    def answer(
        self,
        campaign_id: str,
        read: Callable[[CampaignReads], View],
        min_version: int | None,
        if_none_match: str | None,
    ) -> Response:
        reached = True
        if min_version:
            reached = self.reads.wait_for(campaign_id, min_version, self.wait_seconds)
        view = read(self.reads)
        return conditional_answer(
            view.body,
            quote_entity_tag(view.etag),
            if_none_match,
            stale=not reached,
            immutable=view.immutable,
        )


async def view_reader(reads: Reads, settings: AppSettings) -> ViewReader:
    return ViewReader(reads, settings.ledger_read_wait_seconds)


Views = Annotated[ViewReader, Depends(view_reader)]
