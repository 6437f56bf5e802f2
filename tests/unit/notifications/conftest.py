"""Fixtures of the notification tests: the in-memory store (no I/O)."""

from __future__ import annotations

import pytest

from documentstore.memory import InMemoryDocumentStore


@pytest.fixture
def store() -> InMemoryDocumentStore:
    return InMemoryDocumentStore()
