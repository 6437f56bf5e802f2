"""A purge run by the operator (``campaigns purge``) beside the serving service: the purged
campaign is 404 everywhere and its id, reused in a create, is 409 ``id-conflict``; the others
are served as before."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.e2e.conftest import (
    RunningService,
    brief,
    check,
    create_campaign,
    e2e_settings,
    new_id,
    problem,
    read_fresh,
    running_service,
)


@pytest.fixture
def no_restore_window(tmp_path: Path) -> Iterator[RunningService]:
    """A service of its own whose deleted campaigns may be purged at once."""
    with running_service(
        e2e_settings(tmp_path / "ledger", ledger_restore_window_days=0)
    ) as running:
        yield running


def test_a_purged_campaign_is_gone_and_a_create_reusing_its_id_is_409(
    no_restore_window: RunningService,
) -> None:
    with no_restore_window.client(**{"X-Tenant-Id": "acme"}) as http:
        doomed = new_id()
        check(
            http.post("/api/campaigns", json={"id": doomed, "name": "Gone", "brief": brief()}),
            201,
        )
        kept = create_campaign(http, "Kept")["id"]
        check(http.delete(f"/api/campaigns/{doomed}"), 200)

        purged = CliRunner().invoke(
            app,
            ["purge", "--json"],
            env={"LEDGER_DATA_DIR": str(no_restore_window.settings.ledger_data_dir)},
        )

        assert purged.exit_code == 0, purged.output
        assert [json.loads(line)["campaignId"] for line in purged.stdout.splitlines()] == [doomed]
        again = http.post("/api/campaigns", json={"id": doomed, "name": "Gone", "brief": brief()})
        problem(again, 409, "id-conflict")
        problem(http.get(f"/api/campaigns/{doomed}"), 404, "campaign-not-found")
        problem(http.get(f"/api/campaigns/{doomed}/events"), 404, "campaign-not-found")
        problem(http.post(f"/api/campaigns/{doomed}/restore"), 404, "campaign-not-found")
        assert check(read_fresh(http, f"/api/campaigns/{kept}", 1), 200)["name"] == "Kept"
        listed = check(http.get("/api/campaigns"), 200)
        assert [item["id"] for item in listed["items"]] == [kept]
