"""The projections on the embedded SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from documentstore.port import DocumentStore
from tests.integration.documentstore.stores import open_sqlite
from tests.integration.projections.views_on_a_store import ViewsOnAStore, ledger

__all__ = ["ledger"]


class TestViewsOnSqlite(ViewsOnAStore):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[DocumentStore]:
        sqlite = open_sqlite(tmp_path)
        yield sqlite
        sqlite.close()
