"""Every read route of API.md against a fake ``ReadModel``: bodies, tenant isolation, ETags,
304s and read-your-writes."""

from __future__ import annotations

import time
from typing import NamedTuple

import pytest
from fastapi.testclient import TestClient

from api.health import StoreProbe
from domain.artifact_types import STANDARD_ARTIFACT_TYPES
from domain.errors import StoreUnavailable
from domain.recorded import RecordedEvent
from projections.reads import CampaignPage, View
from tests.unit.api.fakes import FakeServices
from tests.unit.api.samples import AID, CID, RID, VID, snapshot_body

B = f"/api/campaigns/{CID}"


class Case(NamedTuple):
    kind: str
    path: str
    entity: str | None


POINT_READS = [
    Case("campaign", B, None),
    Case("history", f"{B}/artifacts/{AID}/versions", AID),
    Case("version", f"{B}/versions/{VID}", VID),
    Case("audits", f"{B}/versions/{VID}/audits", VID),
    Case("iterations", f"{B}/iterations", None),
    Case("iterations", f"{B}/iterations?artifactId={AID}", AID),
    Case("run", f"{B}/runs/{RID}", RID),
    Case("artifacts", f"{B}/artifacts", None),
    Case("artifact", f"{B}/artifacts/{AID}", AID),
    Case("latest-version", f"{B}/artifacts/{AID}/versions/latest", AID),
    Case("revisions", f"{B}/revisions", None),
]


def put_snapshot(services: FakeServices, tenant: str = "default", version: int = 3) -> None:
    services.reads.put(
        "campaign", tenant, CID, None, View(snapshot_body(version), version, f"etag-{version}")
    )


@pytest.mark.parametrize(
    "case", POINT_READS, ids=[c.path.split(CID)[1] or "/" for c in POINT_READS]
)
def test_every_point_read_answers_the_views_body_with_its_etag(
    client: TestClient, services: FakeServices, case: Case
) -> None:
    body = {"marker": case.kind}
    services.reads.put(case.kind, "default", CID, case.entity, View(body, 4, "abc123"))
    response = client.get(case.path)
    assert response.status_code == 200
    assert response.json() == body
    assert response.headers["ETag"] == '"abc123"'
    assert "X-Tenant-Id" in response.headers["Vary"]
    assert "X-Projection-Stale" not in response.headers


@pytest.mark.parametrize(
    "case", POINT_READS, ids=[c.path.split(CID)[1] or "/" for c in POINT_READS]
)
def test_a_campaign_of_another_tenant_is_404_like_one_that_does_not_exist(
    client: TestClient, services: FakeServices, case: Case
) -> None:
    services.reads.put(case.kind, "acme", CID, case.entity, View({}, 1, "e"))
    response = client.get(case.path, headers={"X-Tenant-Id": "other"})
    assert response.status_code == 404
    assert response.json()["code"] == "campaign-not-found"
    assert client.get(case.path, headers={"X-Tenant-Id": "acme"}).status_code == 200


def test_an_unknown_entity_of_a_visible_campaign_is_404_entity_not_found(
    client: TestClient, services: FakeServices
) -> None:
    put_snapshot(services)
    response = client.get(f"{B}/versions/{VID}")
    assert response.status_code == 404
    assert response.json()["code"] == "entity-not-found"


def test_an_etag_that_is_already_quoted_is_sent_as_it_is(
    client: TestClient, services: FakeServices
) -> None:
    services.reads.put("campaign", "default", CID, None, View({}, 1, '"00000a-0000"'))
    assert client.get(B).headers["ETag"] == '"00000a-0000"'


@pytest.mark.parametrize("if_none_match", ['"etag-3"', 'W/"etag-3"', '"old", "etag-3"', "*"])
def test_if_none_match_naming_the_current_etag_is_304_without_a_body(
    client: TestClient, services: FakeServices, if_none_match: str
) -> None:
    put_snapshot(services)
    response = client.get(B, headers={"If-None-Match": if_none_match})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["ETag"] == '"etag-3"'


def test_if_none_match_naming_an_older_etag_gets_the_new_body(
    client: TestClient, services: FakeServices
) -> None:
    put_snapshot(services)
    response = client.get(B, headers={"If-None-Match": '"etag-2"'})
    assert response.status_code == 200
    assert response.json()["version"] == 3


def test_min_version_already_reached_answers_fresh_after_one_look(
    client: TestClient, services: FakeServices
) -> None:
    put_snapshot(services)
    services.reads.projected_version = 3
    response = client.get(f"{B}?minVersion=3")
    assert response.status_code == 200
    assert "X-Projection-Stale" not in response.headers
    assert services.reads.looks == [("default", CID, 3)]


@pytest.mark.parametrize(
    "case", POINT_READS, ids=[c.path.split(CID)[1] or "/" for c in POINT_READS]
)
def test_min_version_not_reached_answers_what_it_has_marked_stale(
    client: TestClient, services: FakeServices, case: Case
) -> None:
    services.reads.put(case.kind, "default", CID, case.entity, View({"v": 2}, 2, "e2"))
    services.reads.projected_version = 2
    separator = "&" if "?" in case.path else "?"
    started = time.monotonic()
    response = client.get(f"{case.path}{separator}minVersion=5")
    waited = time.monotonic() - started
    assert response.status_code == 200
    assert response.json() == {"v": 2}
    assert response.headers["X-Projection-Stale"] == "true"
    assert waited >= services.settings.ledger_read_wait_seconds  # the configured timeout
    assert len(services.reads.looks) > 1
    assert set(services.reads.looks) == {("default", CID, 5)}


def test_a_read_without_min_version_does_not_wait(
    client: TestClient, services: FakeServices
) -> None:
    put_snapshot(services)
    client.get(B)
    assert services.reads.looks == []


def test_an_upper_case_artifact_id_filter_is_read_in_its_canonical_form(
    client: TestClient, services: FakeServices
) -> None:
    services.reads.put("iterations", "default", CID, AID, View({"items": []}, 1, "e"))
    response = client.get(f"{B}/iterations?artifactId={AID.upper()}")
    assert response.status_code == 200, response.text


def test_the_campaign_list_passes_filter_limit_and_continuation_and_answers_the_page(
    client: TestClient, services: FakeServices
) -> None:
    item = {"id": CID, "name": "S", "status": "Draft", "createdAt": "t", "updatedAt": "t"}
    services.reads.pages[("acme", "tok")] = CampaignPage(items=[item], continuation="next")
    response = client.get(
        "/api/campaigns?status=Draft&limit=5&continuation=tok", headers={"X-Tenant-Id": "acme"}
    )
    assert response.status_code == 200
    assert response.json() == {"items": [item], "continuation": "next"}
    assert services.reads.last_list == ("acme", "Draft", 5, "tok")


def test_the_campaign_list_defaults_to_twenty_and_ends_with_a_null_continuation(
    client: TestClient, services: FakeServices
) -> None:
    response = client.get("/api/campaigns")
    assert response.json() == {"items": [], "continuation": None}
    assert services.reads.last_list == ("default", None, 20, None)


def test_the_campaign_list_sends_an_etag_that_revalidates_to_304(
    client: TestClient, services: FakeServices
) -> None:
    etag = client.get("/api/campaigns").headers["ETag"]
    assert client.get("/api/campaigns", headers={"If-None-Match": etag}).status_code == 304
    services.reads.pages[("default", None)] = CampaignPage(items=[{"id": CID}], continuation=None)
    changed = client.get("/api/campaigns", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def event(version: int, tenant: str = "default") -> RecordedEvent:
    return RecordedEvent(
        campaign_id=CID,
        version=version,
        type="CampaignCreated" if version == 1 else "CampaignUpdated",
        data={"name": f"n{version}"},
        metadata={"tenantId": tenant, "commandId": f"c{version}"},
        timestamp=f"2025-01-01T00:00:0{version}+00:00",
    )


def test_events_answer_the_log_in_stream_order_after_a_version(
    client: TestClient, services: FakeServices
) -> None:
    services.commands.events = [event(1), event(2), event(3)]
    response = client.get(f"{B}/events?after=1&limit=1")
    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "version": 2,
                "type": "CampaignUpdated",
                "data": {"name": "n2"},
                "metadata": {"tenantId": "default", "commandId": "c2"},
                "recordedAt": "2025-01-01T00:00:02+00:00",
            }
        ]
    }
    assert services.commands.last.kwargs == {"after": 1, "limit": 1, "restorable": True}
    assert response.headers["ETag"].startswith('"')


def test_events_default_to_the_first_hundred(client: TestClient, services: FakeServices) -> None:
    services.commands.events = [event(1)]
    client.get(f"{B}/events")
    assert services.commands.last.kwargs == {"after": 0, "limit": 100, "restorable": True}


def test_events_of_another_tenants_campaign_are_404(
    client: TestClient, services: FakeServices
) -> None:
    services.commands.events = [event(1, tenant="acme")]
    response = client.get(f"{B}/events")
    assert response.status_code == 404
    assert response.json()["code"] == "campaign-not-found"


def test_health_names_the_configured_store(client: TestClient) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "store": "sqlite"}


def test_projection_status_answers_what_the_read_model_reports(
    client: TestClient, services: FakeServices
) -> None:
    services.reads.status = {"projections": [{"name": "views", "eventsBehind": 2}]}
    response = client.get("/api/projections/status")
    assert response.status_code == 200
    assert response.json() == services.reads.status


def test_revisions_pass_limit_and_continuation(client: TestClient, services: FakeServices) -> None:
    services.reads.put("revisions", "default", CID, None, View({"items": []}, 2, "r"))

    assert client.get(f"{B}/revisions").status_code == 200
    assert services.reads.last_page == {"limit": 100, "continuation": None}
    client.get(f"{B}/revisions?limit=7&continuation=abc")
    assert services.reads.last_page == {"limit": 7, "continuation": "abc"}
    assert client.get(f"{B}/revisions?limit=1001").status_code == 422


def test_the_statistics_are_the_callers_tenants_with_an_etag(
    client: TestClient, services: FakeServices
) -> None:
    services.reads.put("statistics", "acme", "", None, View({"marker": "acme"}, 0, "s1"))

    response = client.get("/api/stats", headers={"X-Tenant-Id": "acme"})
    again = client.get(
        "/api/stats", headers={"X-Tenant-Id": "acme", "If-None-Match": response.headers["ETag"]}
    )

    assert response.json() == {"marker": "acme"}
    assert response.headers["ETag"] == '"s1"'
    assert again.status_code == 304


def test_the_artifact_types_list_the_registry_of_the_commands(
    client: TestClient, services: FakeServices
) -> None:
    response = client.get("/api/artifact-types")

    items = response.json()["items"]
    assert [item["name"] for item in items] == list(STANDARD_ARTIFACT_TYPES)
    assert items[0] == {
        "name": "plan",
        "refName": "planArtifactId",
        "standard": True,
        "description": "The campaign plan the workflow follows",
    }
    etag = response.headers["ETag"]
    assert client.get("/api/artifact-types", headers={"If-None-Match": etag}).status_code == 304


def test_health_is_503_without_internals_when_the_store_fails(
    client: TestClient, services: FakeServices
) -> None:
    services.reads.store_error = StoreUnavailable("cosmos at 10.0.0.7:8081 refused", retry_after=1)
    client.app.state.store_probe = StoreProbe()
    response = client.get("/api/health")
    assert response.status_code == 503
    assert response.json()["code"] == "store-unavailable"
    assert "10.0.0.7" not in response.text
    assert int(response.headers["Retry-After"]) >= 1


def test_health_asks_the_store_at_most_once_a_second(
    client: TestClient, services: FakeServices
) -> None:
    client.app.state.store_probe = StoreProbe()
    assert client.get("/api/health").status_code == 200
    services.reads.store_error = StoreUnavailable("down")
    assert client.get("/api/health").status_code == 200  # the fresh answer is reused
