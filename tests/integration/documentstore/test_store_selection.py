"""Choosing and sharing the document store from settings (``bootstrap.stores``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bootstrap.stores import close_document_stores, document_store_from_env
from domain.errors import ConfigurationError


@pytest.fixture(autouse=True)
def _fresh_process_stores() -> Iterator[None]:
    close_document_stores()
    yield
    close_document_stores()


def test_the_same_configuration_shares_one_store_per_process(tmp_path: Path) -> None:
    env = {"LEDGER_STORE": "sqlite", "LEDGER_DATA_DIR": str(tmp_path)}

    first = document_store_from_env(env)
    second = document_store_from_env(dict(env))
    other = document_store_from_env({"LEDGER_DATA_DIR": str(tmp_path / "other")})

    assert first is second
    assert other is not first
    assert first.kind == "sqlite"


def test_only_the_given_values_count_not_the_process_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGER_STORE", "cosmos")

    store = document_store_from_env({"LEDGER_DATA_DIR": str(tmp_path)})

    assert store.kind == "sqlite"


def test_cosmos_without_an_endpoint_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="COSMOS_ENDPOINT"):
        document_store_from_env({"LEDGER_STORE": "cosmos"})
