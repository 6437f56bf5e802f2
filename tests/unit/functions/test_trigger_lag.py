"""Under Azure Functions the change-feed trigger measures its lag from the ``_ts`` of each
batch's documents: the invocation records it before projecting, and ``GET /metrics``,
``GET /api/projections/status`` and ``campaigns status --trigger`` show the same numbers."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from api.app import create_app
from bootstrap.functions_host import FunctionsHost
from cli.main import build_cli
from documentstore.memory import InMemoryDocumentStore
from domain.errors import ConfigurationError
from functions.app import build_function_app
from projections.generations import ProjectionState, ProjectionStateStore
from projections.runner import ProjectionRunner
from tests.unit.functions.hosts import PartsHost
from tests.unit.functions.outputs import CapturedOutput
from tests.unit.functions.test_composition_root import app_settings
from tests.unit.functions.test_projection_trigger import document_list, trigger_of
from tests.unit.projections.campaign_events import CampaignStream


def stamped_batch(*ages: int) -> list[dict[str, Any]]:
    """A campaign's event documents as the change feed hands them over, ``ages`` seconds old."""
    stream = CampaignStream()
    for _ in ages[1:]:
        stream.status("Generating")
    now = time.time()
    return [
        {**document, "_ts": int(now - age)}
        for document, age in zip(stream.documents(), ages, strict=True)
    ]


def test_an_invocation_hands_its_batch_to_the_lag_recorder_and_projects_it() -> None:
    store = InMemoryDocumentStore()
    host = PartsHost(lambda: ProjectionRunner(store))
    batch = stamped_batch(30, 20)

    trigger_of(build_function_app(host)).get_user_function()(document_list(batch), CapturedOutput())

    assert [[document["id"] for document in given] for given in host.lag.batches] == [
        ["e-0000000001", "e-0000000002"]
    ]
    assert [given["_ts"] for given in host.lag.batches[0]] == [d["_ts"] for d in batch]


def test_a_batch_the_runner_refuses_is_measured_all_the_same() -> None:
    store = InMemoryDocumentStore()
    ProjectionStateStore(store).save(ProjectionState(live=2))
    host = PartsHost(lambda: ProjectionRunner(store, lease_prefix="views-g1-"))

    with pytest.raises(ConfigurationError):
        trigger_of(build_function_app(host)).get_user_function()(
            document_list(stamped_batch(30)), CapturedOutput()
        )

    assert len(host.lag.batches) == 1


def gauges(text: str) -> dict[tuple[str, str], float]:
    return {
        (sample.name, sample.labels.get("feed_range", "")): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith("ledger_projection_lag")
    }


def test_the_lag_metric_the_status_route_and_the_cli_show_the_trigger_s_reading() -> None:
    store = InMemoryDocumentStore()
    store.initialise()
    settings = app_settings(
        otel_exporter_otlp_endpoint=None, applicationinsights_connection_string=None
    )
    host = FunctionsHost(lambda: settings, lambda _: store)
    try:
        trigger_of(build_function_app(host)).get_user_function()(
            document_list(stamped_batch(30, 20, 10)), CapturedOutput()
        )
        with TestClient(create_app(host.api_services())) as client:
            client.headers["X-Api-Key"] = "key-of-acme"
            scraped = gauges(client.get("/metrics").text)
            route = client.get("/api/projections/status").json()
        cli = CliRunner().invoke(
            build_cli(lambda _: StoreOnlyServices(host)), ["status", "--trigger", "--json"]
        )
    finally:
        host.close()

    [projection] = route["projections"]
    [reading] = projection["feedRanges"]
    assert reading["feedRange"] == "all"
    assert reading["eventsBehind"] == 3
    assert reading["secondsBehind"] == pytest.approx(30, abs=2)
    assert scraped == {
        ("ledger_projection_lag_events", "all"): reading["eventsBehind"],
        ("ledger_projection_lag_seconds", "all"): reading["secondsBehind"],
    }
    assert cli.exit_code == 0, cli.output
    [from_cli] = json.loads(cli.output)["projections"]
    assert from_cli["feedRanges"] == projection["feedRanges"]


class StoreOnlyServices:
    """The CLI's services on the Functions host's store (as an operator's CLI would be); the
    ``status --trigger`` command uses the store only."""

    def __init__(self, host: FunctionsHost) -> None:
        self.settings = host.settings
        self.store = host.store()
        self.notification_hub = None

    def close(self) -> None:
        """The host closes its store."""
