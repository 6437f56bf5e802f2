"""Reading the past over HTTP against a fake ``ReadModel``: the ``atVersion`` and ``asOf``
parameters, their refusals, and the caching of an answer that can never change; and the list of
soft-deleted campaigns."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from projections.reads import CampaignPage, Moment, View
from tests.unit.api.fakes import FakeServices
from tests.unit.api.samples import AID, CID

B = f"/api/campaigns/{CID}"
PAST_READS = [("campaign-at", B, None), ("history-at", f"{B}/artifacts/{AID}/versions", AID)]
IMMUTABLE = "private, max-age=31536000, immutable"


@pytest.mark.parametrize(("kind", "path", "entity"), PAST_READS)
def test_at_version_reads_the_past_and_an_immutable_answer_may_be_cached_for_good(
    client: TestClient, services: FakeServices, kind: str, path: str, entity: str | None
) -> None:
    services.reads.put(kind, "default", CID, entity, View({"past": True}, 3, "p3", immutable=True))

    response = client.get(path, params={"atVersion": 3})

    assert response.status_code == 200
    assert response.json() == {"past": True}
    assert response.headers["ETag"] == '"p3"'
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert services.reads.moments == [Moment(version=3)]
    again = client.get(path, params={"atVersion": 3}, headers={"If-None-Match": '"p3"'})
    assert again.status_code == 304
    assert again.headers["Cache-Control"] == IMMUTABLE


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2026-03-01T09:00:00Z", datetime(2026, 3, 1, 9, tzinfo=UTC)),
        ("2026-03-01t10:00:00.5+01:00", datetime(2026, 3, 1, 9, 0, 0, 500_000, tzinfo=UTC)),
        (
            "2026-03-01T09:00:00.123456789-00:30",
            datetime(2026, 3, 1, 9, 30, 0, 123_456, tzinfo=UTC),
        ),
    ],
)
def test_as_of_takes_an_rfc_3339_instant_with_its_offset(
    client: TestClient, services: FakeServices, text: str, instant: datetime
) -> None:
    services.reads.put("campaign-at", "default", CID, None, View({}, 2, "p2"))

    response = client.get(B, params={"asOf": text})

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-cache"  # not closed yet
    [moment] = services.reads.moments
    assert moment.instant == instant


@pytest.mark.parametrize(
    "query",
    [
        "atVersion=0",
        "atVersion=-1",
        "atVersion=1.5",
        "atVersion=x",
        "atVersion=9007199254740992",
        "asOf=2026-03-01T09:00:00",
        "asOf=2026-03-01",
        "asOf=yesterday",
        "asOf=2026-13-01T09:00:00Z",
        "asOf=2026-03-01T09:00:00 01:00",
        "asOf=1772355600",
        "atVersion=2&asOf=2026-03-01T09:00:00Z",
    ],
)
@pytest.mark.parametrize("path", [B, f"{B}/artifacts/{AID}/versions"])
def test_a_bad_moment_or_both_at_once_is_422_naming_the_parameter(
    client: TestClient, services: FakeServices, query: str, path: str
) -> None:
    services.reads.put("campaign-at", "default", CID, None, View({}, 2, "p2"))
    response = client.get(f"{path}?{query}")
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "validation-failed"
    assert {error["field"] for error in body["errors"]} <= {"atVersion", "asOf"}
    assert services.reads.moments == []


def test_a_past_the_campaign_does_not_have_is_404_version_not_found(
    client: TestClient, services: FakeServices
) -> None:
    from domain.errors import VersionNotFound

    services.reads.error = VersionNotFound("no such past")
    response = client.get(B, params={"atVersion": 99})
    assert response.status_code == 404
    assert response.json()["code"] == "version-not-found"


def test_the_deleted_list_is_asked_for_with_deleted_true(
    client: TestClient, services: FakeServices
) -> None:
    item = {
        "id": CID,
        "name": "Gone",
        "status": "Draft",
        "createdAt": "2026-03-01T09:00:00+00:00",
        "updatedAt": "2026-03-02T09:00:00+00:00",
        "deletedAt": "2026-03-02T09:00:00+00:00",
        "restorableUntil": "2026-04-01T09:00:00+00:00",
    }
    services.reads.pages[("default", None)] = CampaignPage([item], None)

    deleted = client.get("/api/campaigns", params={"deleted": "true"})
    assert services.reads.last_deleted is True
    live = client.get("/api/campaigns")
    assert services.reads.last_deleted is False

    assert deleted.json() == {"items": [item], "continuation": None}
    assert live.status_code == 200
    assert client.get("/api/campaigns", params={"deleted": "maybe"}).status_code == 422
