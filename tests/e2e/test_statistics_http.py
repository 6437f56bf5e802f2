"""``GET /api/stats`` over real HTTP (API.md round 2, "Statistics"): the tenant's figures kept by a
projection, equal to a brute-force count of its campaigns' logs, soft-deleted campaigns left out,
other tenants' never in, and the same after ``campaigns rebuild``."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from api.tenant_reads import Statistics
from cli.main import app as cli
from projections.events import read_campaign_events
from tests.e2e.conftest import (
    RunningService,
    check,
    conforms,
    create_artifact,
    create_campaign,
    create_version,
    e2e_settings,
    passing_audit,
    problem,
    read_fresh,
    running_service,
)
from tests.unit.projections.stats_oracle import expected_stats, figures_from_log


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    """A service of its own: the rebuild below switches its generation."""
    with running_service(e2e_settings(Path(tmp_path_factory.mktemp("stats")))) as running:
        yield running


def failing_audit() -> dict[str, Any]:
    return {**passing_audit(), "overallStatus": "Fail"}


def campaign_with_work(http: httpx.Client, versions: int, audits: int, *, revise: bool) -> str:
    cid = create_campaign(http)["id"]
    base = f"/api/campaigns/{cid}"
    check(http.post(f"{base}/status", json={"status": "Generating"}), 200)
    aid = create_artifact(http, cid)
    made = [create_version(http, cid, aid, f"draft {n}")["id"] for n in range(versions)]
    for number in range(audits):
        audit = passing_audit() if number % 2 else failing_audit()
        check(http.post(f"{base}/versions/{made[-1]}/audits", json=audit), 201)
    if versions >= 2:
        iteration = {
            "artifactId": aid,
            "oldVersionId": made[0],
            "newVersionId": made[-1],
            "feedbackText": "tighter",
        }
        check(http.post(f"{base}/iterations", json=iteration), 201)
    if revise:
        check(http.post(f"{base}/status", json={"status": "Generated"}), 200)
        for reason in ("audit-failed", "user-feedback"):
            revision = {"reason": reason, "feedbackText": "again"}
            check(http.post(f"{base}/revisions", json=revision), 201)
            check(http.post(f"{base}/status", json={"status": "Generated"}), 200)
    return cid


def caught_up(service: RunningService, http: httpx.Client, cids: list[str]) -> list[dict[str, Any]]:
    """The campaigns' raw logs (event documents of the store), once each snapshot (written after
    the campaign's contribution and partial) shows its last event; a deleted campaign's snapshot
    answers 404, so its last write is waited for with the statistics."""
    documents: list[dict[str, Any]] = []
    for cid in cids:
        log = list(read_campaign_events(service.services.store, cid))
        documents += log
        if log[-1]["type"] != "CampaignDeleted":
            check(read_fresh(http, f"/api/campaigns/{cid}", log[-1]["version"]), 200)
    return documents


def wait_for_statistics(http: httpx.Client, expected: dict[str, Any]) -> dict[str, Any]:
    """The statistics once they show ``expected`` (a deleted campaign's last write is not
    observable through the snapshot, which then answers 404): the last answer otherwise."""
    body: dict[str, Any] = {}
    for _ in range(200):
        body = conforms(Statistics, http.get("/api/stats"))
        if body == expected:
            return body
        time.sleep(0.02)
    return body


def test_a_tenant_without_campaigns_has_zeros(http: httpx.Client) -> None:
    body = conforms(Statistics, http.get("/api/stats"))

    assert body == expected_stats([])
    assert body["campaigns"]["byStatus"] == dict.fromkeys(
        ("Draft", "Generating", "Generated", "Auditing", "Completed", "Cancelled"), 0
    )
    assert body["orphanAuditReports"] == 0


def test_the_statistics_are_the_brute_force_figures_of_the_tenants_logs(
    service: RunningService,
) -> None:
    tenant, other = (f"t{uuid.uuid4().hex[:12]}" for _ in range(2))
    with (
        service.client(**{"X-Tenant-Id": tenant}) as http,
        service.client(**{"X-Tenant-Id": other}) as elsewhere,
    ):
        cids = [
            campaign_with_work(http, versions, audits, revise=versions == 3)
            for versions, audits in ((1, 0), (3, 2), (3, 3), (5, 1), (2, 4))
        ]
        gone = campaign_with_work(http, 4, 2, revise=False)
        check(http.delete(f"/api/campaigns/{gone}"), 200)
        campaign_with_work(elsewhere, 2, 2, revise=True)
        expected = expected_stats(
            figures_from_log(caught_up(service, http, [*cids, gone])).values()
        )

        body = wait_for_statistics(http, expected)

        assert body == expected
        assert body["campaigns"]["total"] == 5
        assert body["revisions"] == {"total": 4, "auditFailed": 2, "userFeedback": 2}
        assert body["versionsPerCampaign"]["max"] == 5
        assert body["audits"]["Fail"] + body["audits"]["Pass"] == 10
        answer = http.get("/api/stats")
        assert answer.headers["Cache-Control"] == "private, no-cache"
        again = http.get("/api/stats", headers={"If-None-Match": answer.headers["ETag"]})
        assert again.status_code == 304
        restored = check(http.post(f"/api/campaigns/{gone}/restore"), 200)
        check(read_fresh(http, f"/api/campaigns/{gone}", restored["version"]), 200)
        assert check(http.get("/api/stats"), 200)["campaigns"]["total"] == 6
        assert check(http.get("/api/stats"), 200)["versionsPerCampaign"]["max"] == 5
        assert check(elsewhere.get("/api/stats"), 200)["campaigns"]["total"] == 1

        rebuilt_body = rebuild_with_the_cli(service)

        after = conforms(Statistics, http.get("/api/stats"))
        assert rebuilt_body.exit_code == 0, rebuilt_body.output
        expected = expected_stats(
            figures_from_log(caught_up(service, http, [*cids, gone])).values()
        )
        assert after == expected
        assert check(elsewhere.get("/api/stats"), 200)["campaigns"]["total"] == 1


def rebuild_with_the_cli(service: RunningService) -> Any:
    """``campaigns rebuild`` on the running service's data directory."""
    environment = {
        "LEDGER_DATA_DIR": str(service.settings.ledger_data_dir),
        "LEDGER_STORE": "sqlite",
        "LEDGER_API_KEYS": "{}",
    }
    return CliRunner().invoke(cli, ["rebuild"], env=environment)


def test_a_malformed_tenant_is_refused(service: RunningService) -> None:
    with service.client(**{"X-Tenant-Id": "a b"}) as bad:
        problem(bad.get("/api/stats"), 400, "invalid-tenant")
