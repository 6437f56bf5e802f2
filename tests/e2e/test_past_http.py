"""Reading the past over real HTTP (API.md round 2): `atVersion` and `asOf` on the snapshot and
on an artifact's version history, byte for byte what the live reads answered then; the paging
of a past history; every refusal; the caching of answers that can never change."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from api.views import CampaignSnapshot, VersionHistory
from tests.e2e.conftest import (
    RunningService,
    check,
    conforms,
    create_artifact,
    create_campaign,
    create_version,
    passing_audit,
    problem,
    read_fresh,
)

IMMUTABLE = "private, max-age=31536000, immutable"
TENANT = "past"


@pytest.fixture(scope="module")
def recorded(service: RunningService) -> dict[str, Any]:
    """A campaign of the tenant ``past`` driven command by command; after each command, the
    live snapshot and version history exactly as the service answered them (raw bytes)."""
    with service.client(**{"X-Tenant-Id": TENANT}) as http:
        cid = create_campaign(http, "Then")["id"]
        aid = create_artifact(http, cid, "Copy")
        base = f"/api/campaigns/{cid}"
        history = f"{base}/artifacts/{aid}/versions"
        steps = [lambda n=n: create_version(http, cid, aid, f"draft {n}") for n in range(3)]
        steps.append(
            lambda: check(
                http.post(f"{base}/versions/{versions[0]}/audits", json=passing_audit()), 201
            )
        )
        steps.append(
            lambda: check(
                http.put(f"{base}/active-versions/Copy", json={"versionId": versions[0]}), 200
            )
        )
        steps.append(lambda: check(http.patch(base, json={"name": "Now"}), 200))
        live: dict[int, dict[str, bytes]] = {}
        versions: list[str] = []
        for step in steps:
            answer = step()
            if "versionNumber" in answer:
                versions.append(answer["id"])
            live[answer["version"]] = {
                "snapshot": read_fresh(http, base, answer["version"]).content,
                "history": read_fresh(http, history, answer["version"]).content,
            }
        events = check(http.get(f"{base}/events"), 200)["items"]
    return {"cid": cid, "aid": aid, "live": live, "events": events, "versions": versions}


@pytest.fixture
def reader(service: RunningService) -> Any:
    with service.client(**{"X-Tenant-Id": TENANT}) as client:
        yield client


def test_at_every_version_the_snapshot_and_history_are_byte_for_byte_the_live_answers(
    reader: httpx.Client, recorded: dict[str, Any]
) -> None:
    base = f"/api/campaigns/{recorded['cid']}"
    history = f"{base}/artifacts/{recorded['aid']}/versions"
    assert len(recorded["live"]) == 6
    for version, live in recorded["live"].items():
        snapshot = reader.get(base, params={"atVersion": version})
        versions = reader.get(history, params={"atVersion": version})
        assert snapshot.content == live["snapshot"], version
        assert versions.content == live["history"], version
        assert conforms(CampaignSnapshot, snapshot)["version"] == version
        conforms(VersionHistory, versions)


def test_as_of_an_event_instant_is_the_answer_at_that_event(
    reader: httpx.Client, recorded: dict[str, Any]
) -> None:
    base = f"/api/campaigns/{recorded['cid']}"
    for event in recorded["events"][2:]:  # those after which the live answers were kept
        recorded_at = datetime.fromisoformat(event["recordedAt"])
        elsewhere = recorded_at.astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat()
        at = reader.get(base, params={"asOf": elsewhere})
        assert at.content == recorded["live"][event["version"]]["snapshot"]
    between = datetime.fromisoformat(recorded["events"][3]["recordedAt"]) + timedelta(
        microseconds=1
    )
    assert check(reader.get(base, params={"asOf": between.isoformat()}), 200)["version"] == 4


def test_a_past_answer_is_immutable_with_an_etag_and_revalidates_to_304(
    reader: httpx.Client, recorded: dict[str, Any]
) -> None:
    base = f"/api/campaigns/{recorded['cid']}"
    for path in (base, f"{base}/artifacts/{recorded['aid']}/versions"):
        first = reader.get(path, params={"atVersion": 3})
        assert first.headers["Cache-Control"] == IMMUTABLE
        again = reader.get(
            path, params={"atVersion": 3}, headers={"If-None-Match": first.headers["ETag"]}
        )
        assert again.status_code == 304
        assert again.headers["ETag"] == first.headers["ETag"]
        other = reader.get(path, params={"atVersion": 4})
        assert other.headers["ETag"] != first.headers["ETag"]


def test_as_of_now_or_later_is_the_current_state_and_not_cached_for_good(
    reader: httpx.Client, recorded: dict[str, Any]
) -> None:
    base = f"/api/campaigns/{recorded['cid']}"
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    answer = reader.get(base, params={"asOf": later})
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "private, no-cache"
    assert answer.json()["version"] == len(recorded["events"])


@pytest.mark.parametrize(
    "params",
    [
        {"atVersion": "0"},
        {"atVersion": "-3"},
        {"atVersion": "two"},
        {"atVersion": "1.5"},
        {"asOf": "2026-03-01T09:00:00"},
        {"asOf": "2026-03-01"},
        {"asOf": "2026-02-30T09:00:00Z"},
        {"asOf": "last tuesday"},
        {"atVersion": "2", "asOf": "2026-03-01T09:00:00Z"},
    ],
)
def test_a_bad_moment_or_both_parameters_is_422(
    reader: httpx.Client, recorded: dict[str, Any], params: dict[str, str]
) -> None:
    base = f"/api/campaigns/{recorded['cid']}"
    for path in (base, f"{base}/artifacts/{recorded['aid']}/versions"):
        body = problem(reader.get(path, params=params), 422, "validation-failed")
        assert {error["field"] for error in body["errors"]} <= {"atVersion", "asOf"}


def test_a_version_above_the_current_one_or_an_instant_before_creation_is_404(
    reader: httpx.Client, recorded: dict[str, Any]
) -> None:
    base = f"/api/campaigns/{recorded['cid']}"
    created = datetime.fromisoformat(recorded["events"][0]["recordedAt"])
    for path in (base, f"{base}/artifacts/{recorded['aid']}/versions"):
        above = reader.get(path, params={"atVersion": len(recorded["events"]) + 1})
        problem(above, 404, "version-not-found")
        before = reader.get(path, params={"asOf": (created - timedelta(seconds=1)).isoformat()})
        problem(before, 404, "version-not-found")


def test_the_past_of_a_campaign_the_tenant_may_not_see_is_404_like_every_read(
    reader: httpx.Client, recorded: dict[str, Any]
) -> None:
    base = f"/api/campaigns/{recorded['cid']}"
    foreign = reader.get(base, params={"atVersion": 1}, headers={"X-Tenant-Id": "someone-else"})
    problem(foreign, 404, "campaign-not-found")
    problem(
        reader.get(f"/api/campaigns/{uuid.uuid4()}", params={"atVersion": 1}),
        404,
        "campaign-not-found",
    )
    unknown = reader.get(f"{base}/artifacts/{uuid.uuid4()}/versions", params={"atVersion": 6})
    problem(unknown, 404, "entity-not-found")
    before_it = reader.get(
        f"{base}/artifacts/{recorded['aid']}/versions", params={"atVersion": 1}
    )  # the artifact was created at version 2
    problem(before_it, 404, "entity-not-found")


def test_a_campaign_deleted_at_that_version_answered_404_then_and_does_again(
    http: httpx.Client,
) -> None:
    cid = create_campaign(http)["id"]
    deleted = check(http.delete(f"/api/campaigns/{cid}"), 200)
    restored = check(http.post(f"/api/campaigns/{cid}/restore"), 200)
    read_fresh(http, f"/api/campaigns/{cid}", restored["version"])

    problem(
        http.get(f"/api/campaigns/{cid}", params={"atVersion": deleted["version"]}),
        404,
        "campaign-not-found",
    )
    assert check(http.get(f"/api/campaigns/{cid}", params={"atVersion": 1}), 200)["version"] == 1


def past_pages(
    http: httpx.Client, path: str, at: int, limit: int
) -> tuple[list[list[str]], str | None]:
    """The pages of a past version history (ids), and the first page's token."""
    pages: list[list[str]] = []
    first: str | None = None
    token: str | None = None
    while True:
        params: dict[str, Any] = {"atVersion": at, "limit": limit}
        if token is not None:
            params["continuation"] = token
        body = check(http.get(path, params=params), 200)
        pages.append([version["id"] for version in body["versions"]])
        token = body["continuation"]
        first = first if len(pages) > 1 else token
        if token is None:
            return pages, first


@pytest.mark.parametrize(
    ("at", "limit", "sizes"),
    [(2, 3, [0]), (3, 3, [1]), (5, 3, [3]), (5, 2, [2, 1]), (5, 1, [1, 1, 1])],
)
def test_a_past_history_pages_every_edge(
    reader: httpx.Client, recorded: dict[str, Any], at: int, limit: int, sizes: list[int]
) -> None:
    path = f"/api/campaigns/{recorded['cid']}/artifacts/{recorded['aid']}/versions"
    pages, _ = past_pages(reader, path, at, limit)
    assert [len(page) for page in pages] == sizes
    assert [v for page in pages for v in page] == recorded["versions"][: sum(sizes)]


def test_a_past_token_serves_only_its_own_past(
    reader: httpx.Client, recorded: dict[str, Any]
) -> None:
    path = f"/api/campaigns/{recorded['cid']}/artifacts/{recorded['aid']}/versions"
    _, past_token = past_pages(reader, path, 5, 1)
    live_token = check(reader.get(path, params={"limit": 1}), 200)["continuation"]
    assert past_token is not None
    assert live_token is not None

    for params in (
        {"atVersion": 6, "continuation": past_token},
        {"continuation": past_token},
        {"atVersion": 5, "continuation": live_token},
        {"atVersion": 5, "continuation": "bm90LW91cnM"},
    ):
        problem(reader.get(path, params=params), 400, "invalid-continuation")
    resumed = check(reader.get(path, params={"atVersion": 5, "continuation": past_token}), 200)
    assert [v["id"] for v in resumed["versions"]] == recorded["versions"][1:3]


def test_paging_a_past_history_while_commands_append_sees_exactly_that_past(
    http: httpx.Client,
) -> None:
    cid = create_campaign(http)["id"]
    aid = create_artifact(http, cid, "Copy")
    before = [create_version(http, cid, aid, f"draft {n}") for n in range(12)]
    at = before[-1]["version"]
    path = f"/api/campaigns/{cid}/artifacts/{aid}/versions"
    whole = check(http.get(path, params={"atVersion": at}), 200)["versions"]

    def append() -> None:
        with httpx.Client(base_url=str(http.base_url), headers=http.headers, timeout=30) as writer:
            for n in range(12):
                create_version(writer, cid, aid, f"more {n}")

    writer = threading.Thread(target=append)
    writer.start()
    try:
        pages, _ = past_pages(http, path, at, 3)
    finally:
        writer.join()

    assert [v for page in pages for v in page] == [v["id"] for v in whole]
    assert [v["id"] for v in whole] == [v["id"] for v in before]
