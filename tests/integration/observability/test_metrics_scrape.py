"""``GET /metrics`` after a scripted workload on the embedded store: every metric of API.md
("Operations") has the value the workload gives it, and no series names a campaign or tenant.

The workload, over HTTP: a campaign created and created again (a repeat), an artifact, three
versions (the third meets a writer of another process that appended first: one concurrency
conflict, retried), an audit, an approval the rules refuse, an audit of a version that does
not exist (an orphan prevented), a rename that meets one transient store fault (retried) and
one that meets three (the command fails), two snapshot reads, one dead letter."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from application import CampaignService
from bootstrap.container import ServiceContainer, build_container, campaign_application
from bootstrap.settings import Settings
from documentstore.port import EVENTS, DocumentStore
from documentstore.sqlite import SqliteDocumentStore
from domain.artifact_types import ArtifactTypeRegistry
from projections.dead_letters import DeadLetterBox
from tests.integration.observability.scripted_store import ScriptedStore
from tests.unit.application.builders import brief, ctx

TOKEN = "scrape-secret"
TENANT = "acme"
BRIEF = {"objective": "Launch", "targetAudience": "Runners", "productDetails": "Trail shoe"}
AUDIT = {"overallStatus": "Pass", "categoryScores": {"brand": {"score": 90}}}


@dataclass
class Service:
    services: ServiceContainer
    store: ScriptedStore
    client: TestClient

    def another_process(self) -> CampaignService:
        """A command side of its own on the same database, as a second process would have."""
        inner = self.store.inner
        return CampaignService(
            campaign_application(inner), artifact_types=ArtifactTypeRegistry.standard()
        )


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    settings = Settings.model_validate(
        {
            "ledger_store": "sqlite",
            "ledger_data_dir": tmp_path,
            "ledger_api_keys": {},
            "ledger_live_updates": True,
            "ledger_metrics_token": TOKEN,
            "otel_exporter_otlp_endpoint": None,
            "applicationinsights_connection_string": None,
        }
    )
    opened: list[ScriptedStore] = []

    def open_store(given: Settings) -> DocumentStore:
        opened.append(ScriptedStore(SqliteDocumentStore(given.sqlite_path)))
        return opened[0]

    services = build_container(settings, open_store=open_store)
    try:
        with TestClient(create_app(services), raise_server_exceptions=False) as client:
            client.headers["X-Tenant-Id"] = TENANT
            yield Service(services, opened[0], client)
    finally:
        services.close()


def run_workload(service: Service) -> str:
    """The workload of the module docstring; answers the campaign id."""
    client, store = service.client, service.store
    campaign_id = str(uuid.uuid4())
    create = {"id": campaign_id, "name": "Spring", "brief": BRIEF}
    assert client.post("/api/campaigns", json=create).status_code == 201
    assert client.post("/api/campaigns", json=create).status_code == 201  # a repeat
    base = f"/api/campaigns/{campaign_id}"
    artifact = client.post(f"{base}/artifacts", json={"type": "Copy"}).json()["id"]
    versions = f"{base}/artifacts/{artifact}/versions"
    first = client.post(versions, json={"content": "one"}).json()["id"]
    second = client.post(versions, json={"content": "two"}).json()["id"]

    other = service.another_process()
    store.before_next_append(
        lambda: other.create_version(
            ctx(tenant_id=TENANT), campaign_id, artifact, content="from the other process"
        )
    )
    assert client.post(versions, json={"content": "three"}).status_code == 201

    assert client.post(f"{base}/versions/{first}/audits", json=AUDIT).status_code == 201
    assert client.post(f"{base}/versions/{second}/approve").status_code == 409
    orphan = client.post(f"{base}/versions/{uuid.uuid4()}/audits", json=AUDIT)
    assert orphan.status_code == 404

    store.fail_next(1)
    assert client.patch(base, json={"name": "Spring, renamed"}).status_code == 200
    store.fail_next(3)
    assert client.patch(base, json={"name": "Spring, again"}).status_code == 503

    service.services.processor.run_until_caught_up()
    assert client.get(base).status_code == 200
    assert client.get(base).status_code == 200
    event = service.services.store.read(EVENTS, campaign_id, "e-0000000001")
    assert event is not None
    DeadLetterBox(service.services.store).record(event, RuntimeError("poison"), generation=1)
    return campaign_id


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: TestClient) -> tuple[str, Samples]:
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples: Samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return answer.text, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples of ``name`` whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(
        count for (each, found), count in samples.items() if each == name and wanted <= found
    )


def test_every_metric_has_the_value_of_the_scripted_workload(service: Service) -> None:
    campaign_id = run_workload(service)

    text, samples = scrape(service.client)

    commands = {
        ("create_campaign", "appended"): 1,
        ("create_campaign", "repeated"): 1,
        ("create_artifact", "appended"): 1,
        ("create_version", "appended"): 3,
        ("record_audit", "appended"): 1,
        ("record_audit", "refused"): 1,
        ("approve_version", "refused"): 1,
        ("update_campaign", "appended"): 1,
        ("update_campaign", "failed"): 1,
    }
    counted = {
        (dict(labels)["command"], dict(labels)["outcome"]): count
        for (name, labels), count in samples.items()
        if name == "ledger_commands_total"
    }
    assert counted == commands
    durations = {
        dict(labels)["command"]: count
        for (name, labels), count in samples.items()
        if name == "ledger_command_duration_seconds_count"
    }
    assert durations == {
        "create_campaign": 2,
        "create_artifact": 1,
        "create_version": 3,
        "record_audit": 2,
        "approve_version": 1,
        "update_campaign": 2,
    }
    assert value(samples, "ledger_orphan_audits_prevented_total") == 1
    assert value(samples, "ledger_concurrency_conflicts_total") == 1
    assert value(samples, "ledger_store_retries_total", reason="unavailable") == 3
    assert value(samples, "ledger_snapshot_read_duration_seconds_count") == 2
    assert value(samples, "ledger_projection_lag_events", feed_range="all") == 0
    assert value(samples, "ledger_projection_lag_seconds", feed_range="all") == 0
    assert value(samples, "ledger_dead_letters") == 1
    assert value(samples, "ledger_live_subscribers") == 0
    requests = "http_server_request_duration_seconds_count"
    route = "/api/campaigns/{cid}"
    assert total(samples, requests, http_request_method="GET", http_route=route) == 2
    assert total(samples, requests, http_request_method="PATCH", http_route=route) == 2
    assert total(samples, requests, http_response_status_code="503") == 1
    assert campaign_id not in text
    assert TENANT not in text


def test_the_lag_and_dead_letter_gauges_show_the_numbers_of_the_status_route(
    service: Service,
) -> None:
    run_workload(service)
    other = service.another_process()
    for name in ("Summer", "Autumn"):
        other.create_campaign(ctx(tenant_id=TENANT), name=name, brief=brief())

    _, samples = scrape(service.client)
    status = service.services.reads.projection_status()

    [projection] = status["projections"]
    for feed_range in projection["feedRanges"]:
        label = feed_range["feedRange"]
        events = value(samples, "ledger_projection_lag_events", feed_range=label)
        assert events == feed_range["eventsBehind"] == 2
        seconds = value(samples, "ledger_projection_lag_seconds", feed_range=label)
        assert seconds == pytest.approx(feed_range["secondsBehind"], abs=1.5)
    assert value(samples, "ledger_dead_letters") == projection["deadLetters"]["count"] == 1


def test_a_scrape_without_the_token_is_refused(service: Service) -> None:
    assert service.client.get("/metrics").status_code == 401
    wrong = service.client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"] == "Bearer"
