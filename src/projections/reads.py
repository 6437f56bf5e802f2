"""The read side as the HTTP layer and the CLI see it: each method is one point read of a
projection document in the live generation of ``views`` (the list: one query on the tenant index).

INTERFACE DRAFT: the signatures below are the contract the HTTP layer builds on; bodies are
filled in by the "Projections" work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class View:
    """A read answer: ``body`` is the API.md response body (camelCase, ready to send),
    ``version`` the last stream version the document applied, ``etag`` opaque and changing
    whenever the body changes."""

    body: dict[str, Any]
    version: int
    etag: str


@dataclass(frozen=True)
class CampaignPage:
    """One page of the tenant's campaign list; ``continuation`` is None on the last page."""

    items: list[dict[str, Any]]
    continuation: str | None


class ReadModel:
    """Reads of the materialized views. Unknown, foreign-tenant and soft-deleted campaigns raise
    ``CampaignNotFound``; an unknown entity of a visible campaign raises ``EntityNotFound``."""

    def campaign(self, tenant_id: str, campaign_id: str) -> View:
        raise NotImplementedError

    def version_history(self, tenant_id: str, campaign_id: str, artifact_id: str) -> View:
        raise NotImplementedError

    def version(self, tenant_id: str, campaign_id: str, version_id: str) -> View:
        raise NotImplementedError

    def audits(self, tenant_id: str, campaign_id: str, version_id: str) -> View:
        raise NotImplementedError

    def iterations(
        self, tenant_id: str, campaign_id: str, artifact_id: str | None = None
    ) -> View:
        raise NotImplementedError

    def run(self, tenant_id: str, campaign_id: str, run_id: str) -> View:
        raise NotImplementedError

    def list_campaigns(
        self,
        tenant_id: str,
        *,
        status: str | None = None,
        limit: int = 20,
        continuation: str | None = None,
    ) -> CampaignPage:
        """Newest first (``createdAt`` descending, then ``id``); deleted campaigns left out.
        ``continuation`` is this method's own opaque token; a malformed one raises
        ``InvalidInput`` with code ``invalid-continuation``."""
        raise NotImplementedError

    def wait_for(self, campaign_id: str, min_version: int, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until the campaign's projection has applied
        ``min_version``; True when it has."""
        raise NotImplementedError

    def projection_status(self) -> dict[str, Any]:
        """Per projection and feed range: events and seconds behind, checkpoint, dead letters."""
        raise NotImplementedError
