"""Campaign-level reads over real HTTP (API.md round 2): a campaign's artifacts, one artifact,
its latest version, the tenant's soft-deleted campaigns, and the events of a deleted campaign
within its restore window."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from api.views import ArtifactList, ArtifactView, CampaignList, VersionDetail
from tests.e2e.conftest import (
    check,
    conforms,
    create_artifact,
    create_campaign,
    create_version,
    problem,
    read_fresh,
)


def test_a_campaign_without_artifacts_lists_none(http: httpx.Client) -> None:
    cid = create_campaign(http)["id"]
    body = conforms(ArtifactList, read_fresh(http, f"/api/campaigns/{cid}/artifacts", 1))
    assert body == {"items": []}


def test_the_artifacts_are_listed_in_creation_order_with_their_versions(
    http: httpx.Client,
) -> None:
    cid = create_campaign(http)["id"]
    visual = create_artifact(http, cid, "VisualConcept")
    copy = create_artifact(http, cid, "Copy")
    short = create_artifact(http, cid, "ShortCopy")
    first = create_version(http, cid, copy, "one")
    second = create_version(http, cid, copy, "two")
    activated = check(
        http.put(f"/api/campaigns/{cid}/active-versions/Copy", json={"versionId": first["id"]}),
        200,
    )
    events = check(http.get(f"/api/campaigns/{cid}/events"), 200)["items"]

    response = read_fresh(http, f"/api/campaigns/{cid}/artifacts", activated["version"])

    items = conforms(ArtifactList, response)["items"]
    assert [item["id"] for item in items] == [visual, copy, short]
    assert [item["createdAt"] for item in items] == [e["recordedAt"] for e in events[1:4]]
    assert items[1] == {
        "id": copy,
        "type": "Copy",
        "createdAt": events[2]["recordedAt"],
        "versionCount": 2,
        "latestVersionId": second["id"],
        "activeVersionId": first["id"],
    }
    assert items[0]["versionCount"] == 0
    assert items[0]["latestVersionId"] is items[0]["activeVersionId"] is None
    assert response.headers["ETag"]


def test_one_artifact_is_its_item_of_the_list(http: httpx.Client) -> None:
    cid = create_campaign(http)["id"]
    aid = create_artifact(http, cid, "Copy")
    version = create_version(http, cid, aid)

    one = conforms(
        ArtifactView, read_fresh(http, f"/api/campaigns/{cid}/artifacts/{aid}", version["version"])
    )

    assert one == check(http.get(f"/api/campaigns/{cid}/artifacts"), 200)["items"][0]
    assert one["latestVersionId"] == version["id"]


def test_an_unknown_foreign_or_malformed_artifact_is_404_entity_not_found(
    http: httpx.Client,
) -> None:
    cid = create_campaign(http)["id"]
    other = create_campaign(http, "Other")["id"]
    foreign = create_artifact(http, other, "Copy")
    mine = create_artifact(http, cid, "Copy")
    read_fresh(http, f"/api/campaigns/{cid}", 2)
    read_fresh(http, f"/api/campaigns/{other}", 2)

    for aid in (str(uuid.uuid4()), foreign, "not-a-uuid"):
        for path in (f"artifacts/{aid}", f"artifacts/{aid}/versions/latest"):
            problem(http.get(f"/api/campaigns/{cid}/{path}"), 404, "entity-not-found")
    for path in ("artifacts", f"artifacts/{mine}", f"artifacts/{mine}/versions/latest"):
        foreign_tenant = http.get(f"/api/campaigns/{cid}/{path}", headers={"X-Tenant-Id": "else"})
        problem(foreign_tenant, 404, "campaign-not-found")
        problem(http.get(f"/api/campaigns/{uuid.uuid4()}/{path}"), 404, "campaign-not-found")


def test_the_latest_version_is_the_body_of_the_highest_number_and_404_before_any(
    http: httpx.Client,
) -> None:
    cid = create_campaign(http)["id"]
    aid = create_artifact(http, cid, "Copy")
    latest = f"/api/campaigns/{cid}/artifacts/{aid}/versions/latest"
    problem(read_fresh(http, latest, 2), 404, "entity-not-found")

    versions = [create_version(http, cid, aid, f"draft {n}") for n in range(3)]
    response = read_fresh(http, latest, versions[-1]["version"])

    body = conforms(VersionDetail, response)
    assert body == check(http.get(f"/api/campaigns/{cid}/versions/{versions[-1]['id']}"), 200)
    assert body["versionNumber"] == 3
    assert body["content"] == "draft 2"
    cached = http.get(latest, headers={"If-None-Match": response.headers["ETag"]})
    assert cached.status_code == 304


def settle(http: httpx.Client, cid: str, version: int) -> None:
    """Wait until the campaign's views reflect ``version`` (a deleted one answers 404 then)."""
    response = http.get(f"/api/campaigns/{cid}", params={"minVersion": version})
    assert response.headers.get("X-Projection-Stale") != "true"


def deleted_campaigns(http: httpx.Client, count: int) -> list[dict[str, Any]]:
    """``count`` campaigns of the client's tenant, each deleted and projected; newest first."""
    deleted = []
    for n in range(count):
        cid = create_campaign(http, f"Gone {n}")["id"]
        deleted.append(check(http.delete(f"/api/campaigns/{cid}"), 200))
        settle(http, cid, deleted[-1]["version"])
    return deleted[::-1]


def test_the_deleted_list_holds_only_soft_deleted_campaigns_with_their_window(
    http: httpx.Client,
) -> None:
    kept = create_campaign(http, "Kept")["id"]
    [gone] = deleted_campaigns(http, 1)
    read_fresh(http, f"/api/campaigns/{kept}", 1)
    events = check(http.get(f"/api/campaigns/{gone['id']}/events"), 200)["items"]

    response = http.get("/api/campaigns", params={"deleted": "true"})

    body = conforms(CampaignList, response)
    assert [item["id"] for item in body["items"]] == [gone["id"]]
    assert body["items"][0]["deletedAt"] == events[-1]["recordedAt"]
    assert body["items"][0]["restorableUntil"] == events[-1]["data"]["restoreUntil"]
    assert body["continuation"] is None
    live = check(http.get("/api/campaigns"), 200)["items"]
    assert [item["id"] for item in live] == [kept]
    assert "deletedAt" not in live[0]


def test_a_restored_campaign_leaves_the_deleted_list(http: httpx.Client) -> None:
    [gone] = deleted_campaigns(http, 1)
    restored = check(http.post(f"/api/campaigns/{gone['id']}/restore"), 200)
    read_fresh(http, f"/api/campaigns/{gone['id']}", restored["version"])

    assert check(http.get("/api/campaigns", params={"deleted": "true"}), 200) == {
        "items": [],
        "continuation": None,
    }
    assert [item["id"] for item in check(http.get("/api/campaigns"), 200)["items"]] == [gone["id"]]


def test_the_deleted_list_filters_by_status(http: httpx.Client) -> None:
    cid = create_campaign(http, "Generating")["id"]
    check(http.post(f"/api/campaigns/{cid}/status", json={"status": "Generating"}), 200)
    settle(http, cid, check(http.delete(f"/api/campaigns/{cid}"), 200)["version"])
    deleted_campaigns(http, 1)

    drafts = check(http.get("/api/campaigns", params={"deleted": "true", "status": "Draft"}), 200)
    generating = check(
        http.get("/api/campaigns", params={"deleted": "true", "status": "Generating"}), 200
    )

    assert len(drafts["items"]) == 1
    assert [item["id"] for item in generating["items"]] == [cid]


@pytest.mark.parametrize(("count", "limit"), [(0, 2), (1, 2), (2, 2), (5, 2), (3, 1)])
def test_the_deleted_list_pages_every_edge(http: httpx.Client, count: int, limit: int) -> None:
    expected = [gone["id"] for gone in deleted_campaigns(http, count)]
    seen: list[str] = []
    pages: list[int] = []
    token: str | None = None
    while True:
        params: dict[str, Any] = {"deleted": "true", "limit": limit}
        if token is not None:
            params["continuation"] = token
        body = check(http.get("/api/campaigns", params=params), 200)
        seen += [item["id"] for item in body["items"]]
        pages.append(len(body["items"]))
        token = body["continuation"]
        if token is None:
            break

    assert seen == expected
    assert all(size == limit for size in pages[:-1])
    assert pages[-1] == (0 if count == 0 else (count - 1) % limit + 1)


def test_a_continuation_the_service_did_not_issue_is_refused_on_the_deleted_list(
    http: httpx.Client,
) -> None:
    answer = http.get("/api/campaigns", params={"deleted": "true", "continuation": "bm90LW91cnM"})
    problem(answer, 400, "invalid-continuation")
    problem(http.get("/api/campaigns", params={"deleted": "perhaps"}), 422, "validation-failed")


def test_the_events_of_a_deleted_campaign_are_readable_but_nothing_else(
    http: httpx.Client,
) -> None:
    cid = create_campaign(http)["id"]
    aid = create_artifact(http, cid, "Copy")
    deleted = check(http.delete(f"/api/campaigns/{cid}"), 200)
    settle(http, cid, deleted["version"])

    events = check(http.get(f"/api/campaigns/{cid}/events"), 200)["items"]
    foreign = http.get(f"/api/campaigns/{cid}/events", headers={"X-Tenant-Id": "someone-else"})

    assert [event["type"] for event in events] == [
        "CampaignCreated",
        "ArtifactCreated",
        "CampaignDeleted",
    ]
    assert events[-1]["version"] == deleted["version"]
    unknown_id = str(uuid.uuid4())
    unknown = problem(http.get(f"/api/campaigns/{unknown_id}/events"), 404, "campaign-not-found")
    refused = problem(foreign, 404, "campaign-not-found")
    assert refused["detail"].replace(cid, "?") == unknown["detail"].replace(unknown_id, "?")
    for path in ("", "/artifacts", f"/artifacts/{aid}", f"/artifacts/{aid}/versions", "/runs"):
        problem(http.get(f"/api/campaigns/{cid}{path}"), 404, "campaign-not-found")
    problem(http.get(f"/api/campaigns/{cid}", params={"atVersion": 1}), 404, "campaign-not-found")
