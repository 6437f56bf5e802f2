"""Hosts for the function tests: a ``FunctionsServices`` made of the parts a test gives."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from domain.errors import CampaignNotFound
from functions.live_updates import CampaignAccess
from operations.purge import CampaignPurge
from projections.reads import View
from projections.runner import ProjectionRunner


def never_built() -> Any:
    pytest.fail("built before the first invocation")


class VisibleCampaigns:
    """Reads that find a campaign exactly when ``is_visible(tenant, campaign)`` says so."""

    def __init__(self, is_visible: CampaignAccess) -> None:
        self._is_visible = is_visible

    def campaign(self, tenant_id: str, campaign_id: str) -> View:
        if not self._is_visible(tenant_id, campaign_id):
            raise CampaignNotFound(f"campaign {campaign_id} not found")
        return View(body={"id": campaign_id}, version=1, etag="e")


@dataclass
class RecordedLag:
    """A lag recorder that keeps the batches it was given (in order)."""

    batches: list[list[Mapping[str, Any]]] = field(default_factory=list)

    def record(self, documents: Sequence[Mapping[str, Any]]) -> None:
        self.batches.append(list(documents))


@dataclass
class PartsHost:
    """Each part comes from the factory a test gave, on every use; asking for a part that was
    not given fails the test (so indexing an app must ask for nothing)."""

    runner_factory: Callable[[], ProjectionRunner] = never_built
    campaign_access: Callable[[], CampaignAccess] = never_built
    api_keys_factory: Callable[[], Mapping[str, str]] = never_built
    purge_factory: Callable[[], CampaignPurge] = never_built
    lag: RecordedLag = field(default_factory=RecordedLag)

    def runner(self) -> ProjectionRunner:
        return self.runner_factory()

    def reads(self) -> Any:
        return VisibleCampaigns(self.campaign_access())

    def api_keys(self) -> Mapping[str, str]:
        return self.api_keys_factory()

    def purge(self) -> CampaignPurge:
        return self.purge_factory()

    def trigger_lag(self) -> RecordedLag:
        return self.lag
