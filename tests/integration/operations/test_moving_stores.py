"""Moving a deployment: ``campaigns export`` on the embedded store, then ``init``, ``import``,
the views (``follow``) and ``compare`` on another store, through the command line, as the
README describes it. The other store holds the same events and, once projected, the same views
byte for byte: SQLite to SQLite, and SQLite to the Cosmos DB test server."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import pytest
from click.testing import Result
from typer.testing import CliRunner

from bootstrap.container import campaign_application
from cli.main import app
from documentstore.port import DocumentStore
from documentstore.sqlite import SqliteDocumentStore
from projections.processor import ChangeFeedProcessor
from projections.reads import ReadModel
from tests.conftest import CosmosEndpoint
from tests.integration.documentstore.stores import drop_database, quiet_test_server_warnings
from tests.unit.operations.campaigns import Campaigns, dump_events, export_all
from tests.unit.projections.views_dump import dump_views

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")

runner = CliRunner()


@dataclass
class Target:
    """The store moved to: the environment that names it, and the store itself."""

    environment: dict[str, str]
    store: DocumentStore


def campaigns(env: dict[str, str], *args: str) -> Result:
    base = {"LEDGER_API_KEYS": "", "LEDGER_ARTIFACT_TYPES_FILE": ""}
    return runner.invoke(app, list(args), env={**base, **env})


ACME_CAMPAIGNS = 3


@pytest.fixture
def source(tmp_path: Path) -> Iterator[SqliteDocumentStore]:
    """An embedded store with campaigns of two tenants (the first ``ACME_CAMPAIGNS`` of
    ``acme`` live), one soft-deleted, views projected."""
    store = SqliteDocumentStore(tmp_path / "source" / "ledger.sqlite3")
    store.initialise()
    writer = Campaigns(store)
    for _ in range(ACME_CAMPAIGNS):
        writer.fill(writer.create(), versions=4)
    writer.fill(writer.create(tenant_id="globex"), versions=2, tenant_id="globex")
    writer.delete(writer.create())
    ChangeFeedProcessor(store).run_until_caught_up()
    yield store
    store.close()


def live_acme_campaign(store: DocumentStore) -> str:
    """One of the source's live campaigns of ``acme``."""
    ids = [json.loads(line)["campaignId"] for line in export_all(store, tenant_id="acme")]
    return next(
        campaign_id
        for campaign_id in dict.fromkeys(ids)
        if not campaign_application(store).load_campaign(UUID(campaign_id)).is_deleted
    )


@pytest.fixture
def sqlite_target(tmp_path: Path) -> Iterator[Target]:
    directory = tmp_path / "target"
    store = SqliteDocumentStore(directory / "ledger.sqlite3")
    yield Target({"LEDGER_STORE": "sqlite", "LEDGER_DATA_DIR": str(directory)}, store)
    store.close()


@pytest.fixture
def cosmos_target(cosmos_endpoint: CosmosEndpoint) -> Iterator[Target]:
    from documentstore.cosmos import CosmosDocumentStore, connect_cosmos

    quiet_test_server_warnings()
    name = f"test-move-{uuid.uuid4().hex[:10]}"
    client = connect_cosmos(cosmos_endpoint.url, key=cosmos_endpoint.key)
    environment = {
        "LEDGER_STORE": "cosmos",
        "COSMOS_ENDPOINT": cosmos_endpoint.url,
        "COSMOS_KEY": cosmos_endpoint.key,
        "COSMOS_DATABASE": name,
    }
    try:
        yield Target(environment, CosmosDocumentStore(client, name))
    finally:
        drop_database(client, name)


def move(source: SqliteDocumentStore, target: Target, export: Path) -> None:
    """The README's steps, from export to compare."""
    source_env = {"LEDGER_STORE": "sqlite", "LEDGER_DATA_DIR": str(source.path.parent)}
    exported = campaigns(source_env, "export", "--out", str(export))
    assert exported.exit_code == 0, exported.output
    for step in (["init"], ["import", str(export)], ["follow", "--once"], ["compare", str(export)]):
        done = campaigns(target.environment, *step)
        assert done.exit_code == 0, f"{step}: {done.output}"


def campaign_views(store: DocumentStore) -> dict[tuple[str, str], bytes]:
    """Every view document but the statistics partials, which are kept per feed range of
    ``events`` and so depend on how many ranges the store has (SQLite one, Cosmos DB its own);
    their sums are compared instead (``statistics_of``)."""
    return {key: text for key, text in dump_views(store).items() if ".stats-range." not in key[1]}


def statistics_of(store: DocumentStore) -> dict[str, object]:
    reads = ReadModel(store)
    return {tenant: reads.statistics(tenant).body for tenant in ("acme", "globex")}


def assert_moved(source: SqliteDocumentStore, target: Target, export: Path) -> None:
    assert dump_events(target.store) == dump_events(source)
    assert campaign_views(target.store) == campaign_views(source)
    assert statistics_of(target.store) == statistics_of(source)
    again = campaigns(target.environment, "import", str(export))
    assert again.exit_code == 0, again.output
    assert "5 unchanged" in again.stderr
    assert "0 documents written" in again.stderr


def test_a_move_from_sqlite_to_sqlite_keeps_every_event_and_every_view(
    source: SqliteDocumentStore, sqlite_target: Target, tmp_path: Path
) -> None:
    export = tmp_path / "export.jsonl"

    move(source, sqlite_target, export)

    assert_moved(source, sqlite_target, export)


@pytest.mark.cosmos
def test_a_move_from_sqlite_to_cosmos_db_keeps_every_event_and_every_view(
    source: SqliteDocumentStore, cosmos_target: Target, tmp_path: Path
) -> None:
    export = tmp_path / "export.jsonl"

    move(source, cosmos_target, export)

    assert_moved(source, cosmos_target, export)
    campaign_id = live_acme_campaign(source)
    writer = Campaigns(cosmos_target.store)
    moved_on = writer.service.update_campaign(writer.ctx(), campaign_id, name="After the move")
    assert (
        moved_on.version
        == campaign_application(source).load_campaign(UUID(campaign_id)).version + 1
    )


@pytest.mark.cosmos
def test_a_campaign_that_differs_on_cosmos_db_is_reported_and_left_as_it_was(
    source: SqliteDocumentStore, cosmos_target: Target, tmp_path: Path
) -> None:
    export = tmp_path / "export.jsonl"
    move(source, cosmos_target, export)
    campaign_id = live_acme_campaign(source)
    writer = Campaigns(cosmos_target.store)
    writer.service.update_campaign(writer.ctx(), campaign_id, name="Changed on Cosmos DB")
    before = dump_events(cosmos_target.store)

    imported = campaigns(cosmos_target.environment, "import", str(export))
    compared = campaigns(cosmos_target.environment, "compare", str(export))

    assert imported.exit_code == 1
    assert f"divergent {campaign_id}" in imported.stdout
    assert dump_events(cosmos_target.store) == before
    assert compared.exit_code == 1
    assert f"different {campaign_id}" in compared.stdout
