"""Shared test fixtures: the Cosmos DB endpoint (skip, or fail under REQUIRE_COSMOS=1)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class CosmosEndpoint:
    url: str
    key: str


@pytest.fixture(scope="session")
def cosmos_endpoint() -> CosmosEndpoint:
    """The Cosmos DB API server to test against; CI starts one and sets REQUIRE_COSMOS=1."""
    url = os.environ.get("COSMOS_ENDPOINT", "")
    key = os.environ.get("COSMOS_KEY", "")
    if not url or not key:
        reason = "no COSMOS_ENDPOINT/COSMOS_KEY: start ../shared/cosmos-test-server"
        if os.environ.get("REQUIRE_COSMOS") == "1":
            pytest.fail(f"REQUIRE_COSMOS=1 but {reason}")
        pytest.skip(reason)
    return CosmosEndpoint(url=url, key=key)
