"""A campaign past 6,000 versions, built through the real command path on the embedded store:
every version, audit report and iteration stays reachable through the paged reads, a create
repeated after thousands of later commands still answers its first result, and a rebuild
reproduces the views."""

from __future__ import annotations

import pytest

from application import CommandContext
from documentstore.port import DocumentStore
from domain.values import Iteration
from projections.processor import ChangeFeedProcessor
from projections.reads import ReadModel
from projections.rebuild import rebuild_views
from tests.integration.harness.ledgers import ledger_on
from tests.integration.harness.orchestrator import audit, brief, new_id
from tests.unit.projections.views_dump import dump_views

pytestmark = pytest.mark.timeout(300)

VERSIONS = 6_050
AUDIT_EVERY = 10
ITERATION_EVERY = 25


def read_all(read_page: object, key: str, limit: int) -> list[dict[str, object]]:
    """Every item of a paged read, following its continuation."""
    items: list[dict[str, object]] = []
    token: str | None = None
    while True:
        body = read_page(limit=limit, continuation=token).body  # type: ignore[operator]
        items.extend(body[key])
        token = body["continuation"]
        if token is None:
            return items


def test_every_item_of_a_campaign_past_six_thousand_versions_stays_reachable(
    sqlite_store: DocumentStore,
) -> None:
    ledger = ledger_on(sqlite_store)
    ctx = CommandContext(actor="growth")
    campaign = ledger.create_campaign(ctx, name="Frequent regeneration", brief=brief()).id
    copy = ledger.create_artifact(ctx, campaign, artifact_type="Copy").id
    short = ledger.create_artifact(ctx, campaign, artifact_type="ShortCopy").id
    first_id = new_id()
    first = ledger.create_version(ctx, campaign, copy, content="draft 0", version_id=first_id)
    versions = {copy: [first_id], short: []}
    audits: list[str] = []
    iterations: list[str] = []
    for number in range(1, VERSIONS):
        artifact = short if number % 3 == 0 else copy
        version = ledger.create_version(ctx, campaign, artifact, content=f"draft {number}").id
        versions[artifact].append(version)
        if number % AUDIT_EVERY == 0:
            status = "Fail" if number % (AUDIT_EVERY * 2) == 0 else "Pass"
            audits.append(ledger.record_audit(ctx, campaign, version, report=audit(status)).id)
        if number % ITERATION_EVERY == 0 and len(versions[artifact]) > 1:
            iteration = Iteration(
                artifact_id=artifact,
                old_version_id=versions[artifact][-2],
                new_version_id=version,
                feedback_text=f"round {number}",
            )
            iterations.append(ledger.log_iteration(ctx, campaign, iteration=iteration).id)
    last = ledger.change_status(ctx, campaign, "Generating")

    repeated = ledger.create_version(ctx, campaign, copy, content="draft 0", version_id=first_id)

    assert (repeated.id, repeated.version, repeated.appended) == (first_id, first.version, False)
    ChangeFeedProcessor(sqlite_store).run_until_caught_up()
    reads = ReadModel(sqlite_store)
    tenant = ctx.tenant_id
    snapshot = reads.campaign(tenant, campaign).body
    assert snapshot["version"] == last.version
    assert {a["id"]: a["versionCount"] for a in snapshot["artifacts"]} == {
        artifact: len(ids) for artifact, ids in versions.items()
    }
    for artifact, ids in versions.items():
        history = read_all(
            lambda **page: reads.version_history(tenant, campaign, artifact, **page),  # noqa: B023
            "versions",
            1_000,
        )
        assert [item["id"] for item in history] == ids
        assert [item["versionNumber"] for item in history] == list(range(1, len(ids) + 1))
    lineage = read_all(lambda **page: reads.campaign_audits(tenant, campaign, **page), "items", 97)
    assert [item["id"] for item in lineage] == audits
    logged = read_all(lambda **page: reads.iterations(tenant, campaign, **page), "items", 1_000)
    assert [item["id"] for item in logged] == iterations
    live = dump_views(sqlite_store, generation=1)

    report = rebuild_views(sqlite_store)

    assert (report.differences, report.dead_letters) == ([], 0)
    assert dump_views(sqlite_store, generation=2) == live
