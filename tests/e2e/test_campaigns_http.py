"""Campaigns over real HTTP on the embedded store: create, read, update, status, delete and
restore, the list, events, tenants, idempotency, If-Match and ETags."""

from __future__ import annotations

import httpx

from api.answers import EntityAnswer, StatusAnswer
from api.views import CampaignList, CampaignSnapshot, EventList
from tests.e2e.conftest import (
    RunningService,
    brief,
    check,
    conforms,
    create_campaign,
    new_id,
    problem,
    read_fresh,
)


def test_a_created_campaign_is_readable_at_its_location_once_projected(
    http: httpx.Client,
) -> None:
    response = http.post("/api/campaigns", json={"name": "Spring", "brief": brief()})
    created = conforms(EntityAnswer, response)
    assert response.status_code == 201
    assert created["version"] == 1
    assert response.headers["X-Campaign-Version"] == "1"
    assert response.headers["Location"] == f"/api/campaigns/{created['id']}"

    snapshot = conforms(CampaignSnapshot, read_fresh(http, response.headers["Location"], 1))
    assert snapshot["id"] == created["id"]
    assert snapshot["name"] == "Spring"
    assert snapshot["status"] == "Draft"
    assert snapshot["version"] == 1
    assert snapshot["brief"]["targetAudience"] == "Trail runners"
    assert snapshot["isDeleted"] is False
    assert snapshot["tenantId"] == http.headers["X-Tenant-Id"]


def test_update_renames_and_replaces_the_whole_brief(http: httpx.Client) -> None:
    cid = create_campaign(http)["id"]
    renamed = check(http.patch(f"/api/campaigns/{cid}", json={"name": "Summer"}), 200)
    new_brief = {"objective": "o", "targetAudience": "a", "productDetails": "p"}
    replaced = check(http.patch(f"/api/campaigns/{cid}", json={"brief": new_brief}), 200)
    assert (renamed["version"], replaced["version"]) == (2, 3)
    snapshot = check(read_fresh(http, f"/api/campaigns/{cid}", 3), 200)
    assert snapshot["name"] == "Summer"
    assert snapshot["brief"] == new_brief


def test_status_follows_the_lifecycle_and_refuses_other_transitions(http: httpx.Client) -> None:
    cid = create_campaign(http)["id"]
    path = f"/api/campaigns/{cid}/status"
    problem(http.post(path, json={"status": "Completed"}), 409, "invalid-status-transition")
    for status in ("Generating", "Generated", "Auditing", "Completed", "Generating"):
        answer = conforms(StatusAnswer, http.post(path, json={"status": status}))
        assert answer["status"] == status
    cancelled = check(http.post(path, json={"status": "Cancelled"}), 200)
    problem(http.post(path, json={"status": "Generating"}), 409, "invalid-status-transition")
    problem(http.post(path, json={"status": "Paused"}), 422, "validation-failed")
    snapshot = check(read_fresh(http, f"/api/campaigns/{cid}", cancelled["version"]), 200)
    assert snapshot["status"] == "Cancelled"


def test_a_deleted_campaign_is_404_everywhere_but_its_log_until_restored(
    http: httpx.Client,
) -> None:
    cid = create_campaign(http)["id"]
    path = f"/api/campaigns/{cid}"
    problem(http.post(f"{path}/restore"), 409, "campaign-not-deleted")
    deleted = check(http.delete(path), 200)
    assert deleted == {"id": cid, "version": 2}
    problem(http.get(f"{path}?minVersion=2"), 404, "campaign-not-found")
    problem(http.patch(path, json={"name": "x"}), 404, "campaign-not-found")
    # API.md round 2: the log stays readable within the restore window, nothing else does
    events = check(http.get(f"{path}/events"), 200)["items"]
    assert [event["type"] for event in events] == ["CampaignCreated", "CampaignDeleted"]
    problem(http.get(f"{path}/artifacts"), 404, "campaign-not-found")
    listed = check(http.get("/api/campaigns"), 200)
    assert cid not in [item["id"] for item in listed["items"]]

    restored = check(http.post(f"{path}/restore"), 200)
    assert restored["version"] == 3
    assert check(read_fresh(http, path, 3), 200)["isDeleted"] is False


def test_a_campaign_of_another_tenant_is_answered_like_one_that_does_not_exist(
    service: RunningService, http: httpx.Client
) -> None:
    cid = create_campaign(http)["id"]
    check(read_fresh(http, f"/api/campaigns/{cid}", 1), 200)
    with service.client(**{"X-Tenant-Id": "someone-else"}) as other:
        unknown_id = new_id()
        foreign = problem(other.get(f"/api/campaigns/{cid}"), 404, "campaign-not-found")
        unknown = problem(other.get(f"/api/campaigns/{unknown_id}"), 404, "campaign-not-found")
        assert foreign["detail"].replace(cid, "?") == unknown["detail"].replace(unknown_id, "?")
        problem(other.patch(f"/api/campaigns/{cid}", json={"name": "x"}), 404, "campaign-not-found")
        problem(other.get(f"/api/campaigns/{cid}/events"), 404, "campaign-not-found")
        assert cid not in [i["id"] for i in check(other.get("/api/campaigns"), 200)["items"]]


def test_the_list_pages_newest_first_and_filters_by_status(http: httpx.Client) -> None:
    ids = [create_campaign(http, name=f"c{n}")["id"] for n in range(3)]
    last = check(http.post(f"/api/campaigns/{ids[0]}/status", json={"status": "Generating"}), 200)
    check(read_fresh(http, f"/api/campaigns/{ids[0]}", last["version"]), 200)
    for cid in ids[1:]:
        check(read_fresh(http, f"/api/campaigns/{cid}", 1), 200)

    first = conforms(CampaignList, http.get("/api/campaigns?limit=2"))
    assert len(first["items"]) == 2
    assert first["continuation"]
    second = conforms(
        CampaignList,
        http.get("/api/campaigns", params={"limit": 2, "continuation": first["continuation"]}),
    )
    assert second["continuation"] is None
    listed = [item["id"] for item in first["items"] + second["items"]]
    assert listed == list(reversed(ids))
    assert set(first["items"][0]) >= {"id", "name", "status", "createdAt", "updatedAt"}

    generating = check(http.get("/api/campaigns?status=Generating"), 200)
    assert [item["id"] for item in generating["items"]] == [ids[0]]
    problem(http.get("/api/campaigns?continuation=garbage"), 400, "invalid-continuation")
    problem(http.get("/api/campaigns?limit=101"), 422, "validation-failed")


def test_events_are_the_log_in_stream_order_with_metadata(http: httpx.Client) -> None:
    headers = {"X-Command-Id": "cmd-create", "X-Correlation-Id": "conv-1", "X-Actor": "planner"}
    cid = check(
        http.post("/api/campaigns", json={"name": "S", "brief": brief()}, headers=headers), 201
    )["id"]
    http.patch(
        f"/api/campaigns/{cid}", json={"name": "T"}, headers={"X-Causation-Id": "cmd-create"}
    )
    http.post(f"/api/campaigns/{cid}/status", json={"status": "Generating"})

    events = conforms(EventList, http.get(f"/api/campaigns/{cid}/events"))["items"]
    assert [e["version"] for e in events] == [1, 2, 3]
    assert [e["type"] for e in events] == ["CampaignCreated", "CampaignUpdated", "StatusChanged"]
    assert events[0]["metadata"]["commandId"] == "cmd-create"
    assert events[0]["metadata"]["correlationId"] == "conv-1"
    assert events[0]["metadata"]["actor"] == "planner"
    assert events[0]["metadata"]["tenantId"] == http.headers["X-Tenant-Id"]
    assert events[1]["metadata"]["causationId"] == "cmd-create"
    assert events[2]["data"]["toStatus"] == "Generating"
    assert events[0]["recordedAt"]

    page = check(http.get(f"/api/campaigns/{cid}/events?after=1&limit=1"), 200)["items"]
    assert [e["version"] for e in page] == [2]


def test_a_repeated_create_answers_the_first_answer_and_appends_nothing(http: httpx.Client) -> None:
    cid = new_id()
    body = {"id": cid, "name": "Spring", "brief": brief()}
    first = http.post("/api/campaigns", json=body)
    http.patch(f"/api/campaigns/{cid}", json={"name": "Renamed"})
    again = http.post("/api/campaigns", json=body)
    assert (
        (again.status_code, again.json())
        == (first.status_code, first.json())
        == (
            201,
            {"id": cid, "version": 1},
        )
    )
    problem(http.post("/api/campaigns", json={**body, "name": "Other"}), 409, "id-conflict")
    events = check(http.get(f"/api/campaigns/{cid}/events"), 200)["items"]
    assert [e["type"] for e in events] == ["CampaignCreated", "CampaignUpdated"]


def test_a_replayed_create_answers_the_command_ids_it_was_recorded_under(
    http: httpx.Client,
) -> None:
    cid = new_id()
    body = {"id": cid, "name": "Spring", "brief": brief()}
    first_ids = {"X-Command-Id": "cmd-first", "X-Correlation-Id": "flow-first"}
    first = http.post("/api/campaigns", json=body, headers=first_ids)
    aid = new_id()
    artifact = {"id": aid, "type": "Copy"}
    check(http.post(f"/api/campaigns/{cid}/artifacts", json=artifact, headers=first_ids), 201)
    replay_ids = {"X-Command-Id": "cmd-replay", "X-Correlation-Id": "flow-replay"}
    for path, payload in (("/api/campaigns", body), (f"/api/campaigns/{cid}/artifacts", artifact)):
        again = http.post(path, json=payload, headers=replay_ids)
        assert again.status_code == 201
        assert again.headers["X-Command-Id"] == "cmd-first"
        assert again.headers["X-Correlation-Id"] == "flow-first"
    assert first.headers["X-Command-Id"] == "cmd-first"
    fresh = http.patch(f"/api/campaigns/{cid}", json={"name": "T"}, headers=replay_ids)
    assert fresh.headers["X-Command-Id"] == "cmd-replay"  # a new command answers its own ids


def test_if_match_pins_the_version_and_a_stale_one_is_412(http: httpx.Client) -> None:
    cid = create_campaign(http)["id"]
    path = f"/api/campaigns/{cid}"
    pinned = check(http.patch(path, json={"name": "A"}, headers={"If-Match": "1"}), 200)
    assert pinned["version"] == 2
    quoted = check(http.patch(path, json={"name": "B"}, headers={"If-Match": '"2"'}), 200)
    assert quoted["version"] == 3
    stale = problem(
        http.patch(path, json={"name": "C"}, headers={"If-Match": "2"}), 412, "precondition-failed"
    )
    assert stale.get("currentVersion") in (None, 3)
    problem(
        http.patch(path, json={"name": "C"}, headers={"If-Match": "two"}), 400, "invalid-if-match"
    )
    events = check(http.get(f"{path}/events"), 200)["items"]
    assert len(events) == 3


def test_reads_send_an_etag_that_revalidates_until_the_campaign_changes(
    http: httpx.Client,
) -> None:
    cid = create_campaign(http)["id"]
    path = f"/api/campaigns/{cid}"
    first = read_fresh(http, path, 1)
    etag = first.headers["ETag"]
    not_modified = http.get(path, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    changed = check(http.patch(path, json={"name": "Z"}), 200)
    fresh = read_fresh(http, path, changed["version"])
    assert fresh.headers["ETag"] != etag
    revalidated = http.get(path, headers={"If-None-Match": etag})
    assert revalidated.status_code == 200
    assert revalidated.json()["name"] == "Z"
    listing = http.get("/api/campaigns")
    assert (
        http.get("/api/campaigns", headers={"If-None-Match": listing.headers["ETag"]}).status_code
        == 304
    )
