"""Concurrent writers on one campaign and read-your-writes, over real HTTP."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.e2e.conftest import (
    RunningService,
    check,
    create_artifact,
    create_campaign,
    read_fresh,
)

WRITERS = 8
VERSIONS_EACH = 5


def test_concurrent_writers_get_contiguous_versions_with_no_gap_or_repeat(
    service: RunningService, http: httpx.Client
) -> None:
    cid = create_campaign(http)["id"]
    aid = create_artifact(http, cid)
    tenant = {"X-Tenant-Id": http.headers["X-Tenant-Id"]}

    def write(writer: int) -> list[dict[str, int]]:
        answers = []
        with service.client(**tenant) as client:
            for n in range(VERSIONS_EACH):
                response = client.post(
                    f"/api/campaigns/{cid}/artifacts/{aid}/versions",
                    json={"content": f"writer {writer} draft {n}"},
                )
                answers.append(check(response, 201))
                renamed = client.patch(f"/api/campaigns/{cid}", json={"name": f"w{writer}-{n}"})
                answers.append({"version": check(renamed, 200)["version"]})
        return answers

    with ThreadPoolExecutor(WRITERS) as pool:
        answers = [a for batch in pool.map(write, range(WRITERS)) for a in batch]

    total = WRITERS * VERSIONS_EACH
    numbers = sorted(a["versionNumber"] for a in answers if "versionNumber" in a)
    assert numbers == list(range(1, total + 1))
    stream_versions = sorted(a["version"] for a in answers)
    assert stream_versions == list(range(3, 3 + 2 * total))

    events = check(http.get(f"/api/campaigns/{cid}/events?limit=1000"), 200)["items"]
    assert [e["version"] for e in events] == list(range(1, 3 + 2 * total))
    history = check(
        read_fresh(http, f"/api/campaigns/{cid}/artifacts/{aid}/versions", events[-1]["version"]),
        200,
    )
    assert [v["versionNumber"] for v in history["versions"]] == list(range(1, total + 1))


def test_a_read_with_min_version_sees_the_write_it_follows(http: httpx.Client) -> None:
    cid = create_campaign(http)["id"]
    for n in range(10):
        written = check(http.patch(f"/api/campaigns/{cid}", json={"name": f"name {n}"}), 200)
        snapshot = check(read_fresh(http, f"/api/campaigns/{cid}", written["version"]), 200)
        assert snapshot["version"] >= written["version"]
        assert snapshot["name"] == f"name {n}"


def test_a_min_version_never_reached_answers_what_there_is_marked_stale_in_time(
    service: RunningService, http: httpx.Client
) -> None:
    cid = create_campaign(http)["id"]
    check(read_fresh(http, f"/api/campaigns/{cid}", 1), 200)
    started = time.monotonic()
    response = http.get(f"/api/campaigns/{cid}?minVersion=99")
    waited = time.monotonic() - started
    assert response.status_code == 200
    assert response.headers["X-Projection-Stale"] == "true"
    assert response.json()["version"] == 1
    wait = service.settings.ledger_read_wait_seconds
    assert wait * 0.9 <= waited < wait + 2
