"""Choosing and opening the document store from settings (``bootstrap.stores``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bootstrap.settings import Settings
from bootstrap.stores import open_document_store
from domain.errors import ConfigurationError
from tests.conftest import CosmosEndpoint
from tests.integration.documentstore.stores import quiet_test_server_warnings


def test_the_embedded_store_is_the_sqlite_file_under_the_data_directory(tmp_path: Path) -> None:
    store: Any = open_document_store(Settings(ledger_store="sqlite", ledger_data_dir=tmp_path))
    try:
        assert store.kind == "sqlite"
        assert store.path == tmp_path / "ledger.sqlite3"
    finally:
        store.close()


def test_each_call_opens_a_store_of_its_own_for_its_caller_to_close(tmp_path: Path) -> None:
    settings = Settings(ledger_store="sqlite", ledger_data_dir=tmp_path)
    first, second = open_document_store(settings), open_document_store(settings)
    try:
        assert first is not second
    finally:
        first.close()
        second.close()


def test_cosmos_without_an_endpoint_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="COSMOS_ENDPOINT"):
        open_document_store(Settings(ledger_store="cosmos", cosmos_endpoint=None))


@pytest.mark.cosmos
def test_cosmos_settings_open_the_named_database_of_the_account(
    cosmos_endpoint: CosmosEndpoint,
) -> None:
    quiet_test_server_warnings()
    store: Any = open_document_store(
        Settings(
            ledger_store="cosmos",
            cosmos_endpoint=cosmos_endpoint.url,
            cosmos_key=cosmos_endpoint.key,
            cosmos_database="store-selection",
        )
    )
    try:
        assert store.kind == "cosmos"
        assert store.database_name == "store-selection"
    finally:
        store.close()
