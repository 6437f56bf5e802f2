"""Comparing a store's event logs with an export: same, different, missing, extra, purged."""

from __future__ import annotations

import json
from datetime import timedelta

from bootstrap.container import campaign_application
from documentstore.memory import InMemoryDocumentStore
from operations.log_comparison import Verdict, compare_with_file
from operations.purge import CampaignPurge
from tests.unit.operations.campaigns import Campaigns, export_all, import_into


def verdicts(store: InMemoryDocumentStore, lines: list[str], **options: str) -> dict[str, Verdict]:
    report = compare_with_file(store, lines, **options)  # type: ignore[arg-type]
    found = {compared.campaign_id: compared.verdict for compared in report.differences}
    assert report.same == (not found)
    return found


def test_a_store_that_imported_an_export_holds_the_same_logs() -> None:
    source = InMemoryDocumentStore()
    writer = Campaigns(source)
    for _ in range(3):
        writer.fill(writer.create())
    target = InMemoryDocumentStore()
    lines = export_all(source)
    import_into(target, lines)

    report = compare_with_file(target, lines)

    assert report.same
    assert report.verdicts == {"same": 3}
    assert report.lines == len(lines)
    assert compare_with_file(source, export_all(target)).same


def test_each_way_two_stores_may_differ_is_named() -> None:
    source = InMemoryDocumentStore()
    writer = Campaigns(source)
    changed, missing, purged, unchanged = (writer.create() for _ in range(4))
    lines = export_all(source)
    target = InMemoryDocumentStore()
    import_into(target, [line for line in lines if json.loads(line)["campaignId"] != missing])
    local = Campaigns(target)
    local.service.update_campaign(local.ctx(), changed, name="Local")
    extra = local.create()
    local.delete(purged)
    CampaignPurge(
        target,
        campaign_application(target),
        clock=lambda: local.clock.now + timedelta(days=31),
    ).run()

    found = verdicts(target, lines)

    assert unchanged not in found
    assert found == {
        changed: Verdict.DIFFERENT,
        missing: Verdict.MISSING,
        purged: Verdict.PURGED,
        extra: Verdict.EXTRA,
    }


def test_a_store_whose_log_goes_further_than_the_files_is_different() -> None:
    store = InMemoryDocumentStore()
    writer = Campaigns(store)
    campaign_id = writer.create()
    lines = export_all(store)
    writer.service.update_campaign(writer.ctx(), campaign_id, name="Later")

    report = compare_with_file(store, lines)

    [compared] = report.differences
    assert compared.verdict is Verdict.DIFFERENT
    assert "goes to version 2" in compared.detail


def test_a_campaign_the_store_lacks_is_missing_and_extras_follow_the_exports_narrowing() -> None:
    store = InMemoryDocumentStore()
    writer = Campaigns(store)
    mine = writer.create()
    theirs = writer.create(tenant_id="globex")
    lines = export_all(store, tenant_id="acme")
    empty = InMemoryDocumentStore()

    assert verdicts(empty, lines) == {mine: Verdict.MISSING}
    assert verdicts(store, lines, tenant_id="acme") == {}
    assert verdicts(store, lines) == {theirs: Verdict.EXTRA}
