"""The projections on Cosmos DB (the test server; skipped without COSMOS_ENDPOINT, failing
under REQUIRE_COSMOS=1)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from documentstore.port import DocumentStore
from tests.conftest import CosmosEndpoint
from tests.integration.documentstore.stores import cosmos_database
from tests.integration.projections.views_on_a_store import ViewsOnAStore, ledger

__all__ = ["ledger"]

pytestmark = [
    pytest.mark.cosmos,
    pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning"),
]


class TestViewsOnCosmos(ViewsOnAStore):
    @pytest.fixture
    def store(self, cosmos_endpoint: CosmosEndpoint) -> Iterator[DocumentStore]:
        with cosmos_database(cosmos_endpoint.url, cosmos_endpoint.key) as cosmos:
            yield cosmos
