"""Fixtures of the domain tests."""

from __future__ import annotations

import pytest

from tests.unit.domain.builders import Scenario


@pytest.fixture
def scenario() -> Scenario:
    return Scenario()
