"""How a read of one campaign answers (``api.reads`` and the other read routes): the shared
query parameters and their constraints, the ``minVersion`` wait (holding no thread: the wait is
``api.version_waits``, the read runs in a worker thread), the ETag and 304, and the caching of
live and past answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import anyio.to_thread
from fastapi import Depends, Header, Query
from fastapi.responses import JSONResponse, Response

from api.dependencies import AppSettings, Reads
from api.past import IMMUTABLE
from api.ports import CampaignReads
from api.preconditions import is_not_modified, quote_entity_tag
from api.problems import problem_responses
from api.version_waits import VersionWait
from projections.reads import View

MAX_TOKEN = 1024
TOKEN_PATTERN = r"^[A-Za-z0-9_-]+$"
"""A continuation token's alphabet (unpadded base64url)."""
MAX_SAFE_INTEGER = 2**53 - 1
"""The largest integer every JSON client reads exactly; bounds versions given in a query."""

_READ_HEADERS: dict[str, Any] = {
    "ETag": {"description": "Opaque; send it as If-None-Match.", "schema": {"type": "string"}},
    "X-Projection-Stale": {
        "description": "'true' when minVersion was not reached in time.",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "Cache-Control": {
        "description": f"'private, no-cache'; a past answer that never changes: '{IMMUTABLE}'.",
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
        max_length=MAX_TOKEN,
        description="The token of the previous page (400 invalid-continuation if not ours).",
        json_schema_extra={"pattern": TOKEN_PATTERN},
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
    ``wait_seconds``, holding no thread), then reads the view in a worker thread and answers
    it with its ETag, or 304."""

    reads: CampaignReads
    wait_seconds: float

    async def answer(
        self,
        tenant: str,
        campaign_id: str,
        read: Callable[[CampaignReads], View],
        min_version: int | None,
        if_none_match: str | None,
    ) -> Response:
        reached = True
        if min_version:
            wait = VersionWait(self.reads, self.wait_seconds)
            reached = await wait.reached(tenant, campaign_id, min_version)
        view = await anyio.to_thread.run_sync(read, self.reads)
        etag = quote_entity_tag(view.etag)
        return conditional_answer(
            view.body, etag, if_none_match, stale=not reached, immutable=view.immutable
        )


async def view_reader(reads: Reads, settings: AppSettings) -> ViewReader:
    return ViewReader(reads, settings.ledger_read_wait_seconds)


Views = Annotated[ViewReader, Depends(view_reader)]
