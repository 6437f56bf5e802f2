"""The tenant's campaign list (``GET /api/campaigns``): one range query on the tenant index.

The index documents (``campaign.<time key>.<campaignId>`` in ``tenant:<tenantId>``) sort in
list order, newest first; a page is the documents after the last id seen, filtered on the
top-level ``campaignDeleted`` (the live campaigns, or with ``deleted`` the soft-deleted ones,
whose items carry ``deletedAt`` and ``restorableUntil``) and ``status``. The continuation is
this module's own opaque token, base64url of ``{"after": <logical id of the last item>}``: it
depends neither on the store's tokens nor on the generation.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from documentstore.port import JsonScalar, Query
from domain.errors import InvalidContinuation, InvalidInput
from projections.generations import stored_id
from projections.live_views import LiveViews
from projections.projectors.documents import CAMPAIGN_INDEX_PREFIX, tenant_partition

_CONTINUATION = re.compile(r"^campaign\.[0-9]{17}\.[A-Za-z0-9-]{1,64}$")
MAX_CAMPAIGN_PAGE = 100


@dataclass(frozen=True)
class CampaignPage:
    """One page of the tenant's campaign list; ``continuation`` is None on the last page."""

    items: list[dict[str, Any]]
    continuation: str | None


def campaign_page(
    views: LiveViews,
    tenant_id: str,
    *,
    status: str | None,
    deleted: bool,
    limit: int,
    continuation: str | None,
) -> CampaignPage:
    """Newest first (``createdAt`` descending, then ``id``): the live campaigns, or with
    ``deleted`` the soft-deleted ones only. A malformed token raises ``InvalidContinuation``."""
    if not 1 <= limit <= MAX_CAMPAIGN_PAGE:
        raise InvalidInput(f"limit must be 1 to {MAX_CAMPAIGN_PAGE}", code="validation-failed")
    after = _decode_continuation(continuation)
    generation = views.generation()
    equals: dict[str, JsonScalar] = {"docType": "campaignIndex", "campaignDeleted": deleted}
    if status is not None:
        equals["status"] = status
    query = Query(
        partition_key=tenant_partition(tenant_id),
        equals=equals,
        id_gt=stored_id(generation, after or CAMPAIGN_INDEX_PREFIX),
        id_lte=stored_id(generation, CAMPAIGN_INDEX_PREFIX + "~"),
        order_by=(("id", False),),
        limit=limit + 1,
    )
    found = views.query_all(query, page_size=limit + 1)
    items = [dict(document["body"]) for document in found[:limit]]
    more = len(found) > limit
    last_id = str(found[limit - 1]["id"]).split(".", 1)[1] if more else None
    return CampaignPage(items=items, continuation=_encode_continuation(last_id))


def _encode_continuation(last_id: str | None) -> str | None:
    if last_id is None:
        return None
    raw = json.dumps({"after": last_id}, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode_continuation(token: str | None) -> str | None:
    if token is None:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        after = decoded["after"]
        if not isinstance(after, str) or not _CONTINUATION.fullmatch(after):
            raise ValueError(after)
        return after
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeEncodeError):
        raise InvalidContinuation("the continuation token is malformed") from None
