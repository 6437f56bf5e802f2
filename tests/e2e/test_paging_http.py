"""Paged lists over real HTTP (API.md round 2): `limit` and `continuation` on an artifact's
versions, a version's audits, the iterations, the campaign's audit lineage and its runs; every
edge of a page (empty, one item, exactly `limit`), refusals, and concurrent appends."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from api.views import AuditList, CampaignAuditList, IterationList, RunList, VersionHistory
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


def pages(http: httpx.Client, path: str, key: str, limit: int) -> list[list[dict[str, Any]]]:
    """Every page of a list, following its continuation."""
    found: list[list[dict[str, Any]]] = []
    token: str | None = None
    while True:
        params: dict[str, Any] = {"limit": limit}
        if token is not None:
            params["continuation"] = token
        body = check(http.get(path, params=params), 200)
        found.append(body[key])
        token = body["continuation"]
        if token is None:
            return found


TENANT = "paging"


@pytest.fixture(scope="module")
def campaign(service: RunningService) -> dict[str, Any]:
    """A campaign of the tenant ``paging`` with 7 versions of one artifact, 4 audits of one
    version, 3 iterations and 5 runs, projected."""
    with service.client(**{"X-Tenant-Id": TENANT}) as http:
        cid = create_campaign(http, "Paged")["id"]
        aid = create_artifact(http, cid, "Copy")
        versions = [create_version(http, cid, aid, f"draft {n}")["id"] for n in range(7)]
        audits = [
            check(
                http.post(f"/api/campaigns/{cid}/versions/{versions[0]}/audits", json=report), 201
            )["id"]
            for report in (passing_audit(), {**passing_audit(), "overallStatus": "Fail"}) * 2
        ]
        iterations = [
            check(
                http.post(
                    f"/api/campaigns/{cid}/iterations",
                    json={
                        "artifactId": aid,
                        "oldVersionId": versions[n],
                        "newVersionId": versions[n + 1],
                        "feedbackText": f"round {n}",
                    },
                ),
                201,
            )["id"]
            for n in range(3)
        ]
        runs = [
            check(http.post(f"/api/campaigns/{cid}/runs", json={"executionMode": "Parallel"}), 201)
            for _ in range(5)
        ]
        read_fresh(http, f"/api/campaigns/{cid}", runs[-1]["version"])
    return {
        "tenant": TENANT,
        "cid": cid,
        "aid": aid,
        "versions": versions,
        "audits": audits,
        "iterations": iterations,
        "runs": [run["id"] for run in runs],
    }


@pytest.fixture
def reader(service: RunningService) -> Iterator[httpx.Client]:
    """A client of the tenant that owns ``campaign``."""
    with service.client(**{"X-Tenant-Id": TENANT}) as client:
        yield client


@pytest.mark.parametrize("limit", [1, 3, 7, 1000])
def test_every_version_is_on_exactly_one_page_whatever_the_limit(
    reader: httpx.Client, campaign: dict[str, Any], limit: int
) -> None:
    path = f"/api/campaigns/{campaign['cid']}/artifacts/{campaign['aid']}/versions"
    found = pages(reader, path, "versions", limit)

    assert [v["id"] for page in found for v in page] == campaign["versions"]
    assert all(len(page) == limit for page in found[:-1])
    assert 1 <= len(found[-1]) <= limit  # exactly `limit` on the last page: no empty page after
    conforms(VersionHistory, reader.get(path, params={"limit": limit}))


def test_each_list_of_a_campaign_pages_in_its_order(
    reader: httpx.Client, campaign: dict[str, Any]
) -> None:
    cid = campaign["cid"]
    audits = pages(
        reader, f"/api/campaigns/{cid}/versions/{campaign['versions'][0]}/audits", "items", 3
    )
    lineage = pages(reader, f"/api/campaigns/{cid}/audits", "items", 2)
    logged = pages(reader, f"/api/campaigns/{cid}/iterations", "items", 2)
    runs = pages(reader, f"/api/campaigns/{cid}/runs", "items", 4)

    assert [a["id"] for page in audits for a in page] == campaign["audits"]
    assert [a["id"] for page in lineage for a in page] == campaign["audits"]
    assert {(a["artifactId"], a["versionNumber"]) for page in lineage for a in page} == {
        (campaign["aid"], 1)
    }
    assert [i["id"] for page in logged for i in page] == campaign["iterations"]
    assert [r["id"] for page in runs for r in page] == campaign["runs"]
    conforms(
        AuditList, reader.get(f"/api/campaigns/{cid}/versions/{campaign['versions'][0]}/audits")
    )
    conforms(CampaignAuditList, reader.get(f"/api/campaigns/{cid}/audits"))
    conforms(IterationList, reader.get(f"/api/campaigns/{cid}/iterations"))
    conforms(RunList, reader.get(f"/api/campaigns/{cid}/runs"))


def test_filters_narrow_the_lists_and_an_empty_result_is_one_empty_page(
    reader: httpx.Client, campaign: dict[str, Any]
) -> None:
    cid = campaign["cid"]
    failed = check(
        reader.get(f"/api/campaigns/{cid}/audits", params={"overallStatus": "Fail"}), 200
    )
    other_version = check(
        reader.get(f"/api/campaigns/{cid}/audits", params={"versionId": campaign["versions"][1]}),
        200,
    )
    running = check(reader.get(f"/api/campaigns/{cid}/runs", params={"status": "Running"}), 200)
    unaudited = check(
        reader.get(f"/api/campaigns/{cid}/versions/{campaign['versions'][1]}/audits"), 200
    )

    assert [a["id"] for a in failed["items"]] == campaign["audits"][1::2]
    assert other_version == running == unaudited == {"items": [], "continuation": None}


def test_a_token_of_another_list_filter_or_campaign_is_refused(
    reader: httpx.Client, campaign: dict[str, Any]
) -> None:
    cid = campaign["cid"]
    versions = f"/api/campaigns/{cid}/artifacts/{campaign['aid']}/versions"
    token = check(reader.get(versions, params={"limit": 1}), 200)["continuation"]
    created = create_campaign(reader, "Other")
    other = created["id"]
    read_fresh(reader, f"/api/campaigns/{other}", created["version"])

    for path, params in (
        (f"/api/campaigns/{cid}/iterations", {}),
        (f"/api/campaigns/{cid}/audits", {"overallStatus": "Pass"}),
        (f"/api/campaigns/{other}/iterations", {}),
        (f"/api/campaigns/{cid}/iterations", {"artifactId": campaign["aid"]}),
    ):
        problem(
            reader.get(path, params={**params, "continuation": token}), 400, "invalid-continuation"
        )
    problem(
        reader.get(versions, params={"continuation": "bm90LW91cnM"}), 400, "invalid-continuation"
    )
    assert check(reader.get(versions, params={"limit": 1, "continuation": token}), 200)["versions"]


@pytest.mark.parametrize("limit", ["0", "1001", "-1", "x"])
def test_a_limit_outside_one_to_a_thousand_is_422(
    reader: httpx.Client, campaign: dict[str, Any], limit: str
) -> None:
    path = f"/api/campaigns/{campaign['cid']}/iterations"
    problem(reader.get(path, params={"limit": limit}), 422, "validation-failed")


def test_paging_while_commands_append_sees_every_item_exactly_once(http: httpx.Client) -> None:
    cid = create_campaign(http, "Busy")["id"]
    aid = create_artifact(http, cid, "Copy")
    before = [create_version(http, cid, aid, f"draft {n}") for n in range(30)]
    read_fresh(http, f"/api/campaigns/{cid}", before[-1]["version"])

    appended: list[dict[str, Any]] = []

    def append() -> None:
        with httpx.Client(base_url=str(http.base_url), headers=http.headers, timeout=30) as writer:
            for n in range(30):
                appended.append(create_version(writer, cid, aid, f"more {n}"))

    writer = threading.Thread(target=append)
    writer.start()
    try:
        seen = [
            v["id"]
            for page in pages(http, f"/api/campaigns/{cid}/artifacts/{aid}/versions", "versions", 4)
            for v in page
        ]
    finally:
        writer.join()

    final = pages(http, f"/api/campaigns/{cid}/artifacts/{aid}/versions", "versions", 1000)[0]
    assert len(seen) == len(set(seen))
    assert seen == [v["id"] for v in final][: len(seen)]
    assert seen[:30] == [v["id"] for v in before]
    assert len(appended) == 30
