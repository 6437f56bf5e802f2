"""``campaigns show CID [--at N]``: a campaign's snapshot, now or as it stood at a version, as
tables an operator reads (or as JSON)."""

from __future__ import annotations

import json
from typing import Any

from projections.reads import Moment, View
from tests.unit.api.samples import CID, snapshot_body
from tests.unit.cli.test_cli import FakeOperatorServices, invoke, services  # noqa: F401

COPY = "11111111-aaaa-4aaa-8aaa-111111111111"
VERSION = "22222222-bbbb-4bbb-8bbb-222222222222"
RUN = "33333333-cccc-4ccc-8ccc-333333333333"


def busy_snapshot(version: int) -> dict[str, Any]:
    body = snapshot_body(version)
    body["status"] = "Generating"
    body["artifacts"] = [
        {"id": COPY, "type": "Copy", "versionCount": 4, "latestVersionId": VERSION}
    ]
    body["activeVersions"] = {
        "Copy": {
            "id": VERSION,
            "artifactId": COPY,
            "versionNumber": 4,
            "status": "Audited",
            "content": "Run further than yesterday, in shoes that weigh nothing at all. " * 3,
            "createdAt": "2025-01-02T00:00:00+00:00",
            "auditReportId": "r1",
        }
    }
    body["auditReports"] = {
        VERSION: {
            "id": "r1",
            "versionId": VERSION,
            "overallStatus": "Conditional",
            "categoryScores": {"brand": {"score": 81.5}},
            "flaggedItems": [],
            "recommendations": [],
            "createdAt": "2025-01-02T00:00:01+00:00",
        }
    }
    body["runs"] = [
        {
            "id": RUN,
            "status": "Running",
            "executionMode": "Parallel",
            "startedAt": "2025-01-02T00:00:02+00:00",
            "completedAt": None,
        }
    ]
    body["runCount"] = 12
    return body


def test_show_prints_the_campaign_its_brief_artifacts_active_versions_and_runs(
    services: FakeOperatorServices,  # noqa: F811
) -> None:
    services.reads.put("campaign", "acme", CID, None, View(busy_snapshot(9), 9, "e9"))

    result = invoke(services, ["show", CID, "--tenant", "acme"])

    assert result.exit_code == 0, result.output
    for expected in (
        CID,
        "Generating",
        "Launch",  # the brief's objective
        "Artifacts",
        "11111111",
        "Active versions",
        "Conditional",
        "brand 81.5",
        "Run further",
        "Runs (latest 1 of 12)",
        "33333333",
        "Running",
    ):
        assert expected in result.output, expected
    assert services.reads.moments == []
    assert services.closed == 1


def test_show_at_a_version_reads_the_past(services: FakeOperatorServices) -> None:  # noqa: F811
    services.reads.put("campaign-at", "default", CID, None, View(busy_snapshot(5), 5, "p5"))

    result = invoke(services, ["show", CID, "--at", "5"])

    assert result.exit_code == 0, result.output
    assert "Campaign as it stood at version 5" in result.output
    assert services.reads.moments == [Moment(version=5)]


def test_show_prints_json_when_asked(services: FakeOperatorServices) -> None:  # noqa: F811
    services.reads.put("campaign", "default", CID, None, View(busy_snapshot(9), 9, "e9"))

    result = invoke(services, ["show", CID, "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == busy_snapshot(9)


def test_show_of_an_unknown_campaign_or_a_bad_version_fails(
    services: FakeOperatorServices,  # noqa: F811
) -> None:
    unknown = invoke(services, ["show", CID])
    zero = invoke(services, ["show", CID, "--at", "0"])

    assert unknown.exit_code == 1
    assert "campaign-not-found" in unknown.output
    assert zero.exit_code == 2
