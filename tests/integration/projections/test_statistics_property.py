"""A property of the statistics projection: after any workload of commands (the real aggregate,
several tenants, campaigns spread over several feed ranges), ``GET /api/stats`` answers exactly
what a brute-force count of the raw log gives, however the change feed delivers the events
(twice, out of order across campaigns, in batches of any size), and again after ``campaigns
rebuild`` replays the log into a new generation."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.app import create_app
from application.service import CommandContext
from bootstrap.container import ServiceContainer, build_container
from bootstrap.settings import Settings
from documentstore.memory import InMemoryDocumentStore
from documentstore.port import EVENTS, DocumentStore
from domain.errors import LedgerError
from domain.values import AuditReport, Brief, Iteration, Revision
from projections.events import is_event_document
from projections.rebuild import rebuild_views
from projections.runner import ProjectionRunner
from tests.unit.projections.stats_oracle import expected_stats, figures_from_log

TENANTS = ("acme", "globex")
STATUSES = ("Generating", "Generated", "Auditing", "Completed", "Cancelled")
OUTCOMES = ("Pass", "Conditional", "Fail")
REASONS = ("audit-failed", "user-feedback")
BRIEF = Brief(objective="o", target_audience="a", product_details="p")

Action = tuple[str, int, int]
actions = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "create",
                "status",
                "version",
                "version",
                "audit",
                "iteration",
                "revision",
                "delete",
                "restore",
            ]
        ),
        st.integers(0, 5),
        st.integers(0, 5),
    ),
    max_size=45,
)


@dataclass
class Campaign:
    id: str
    tenant: str
    artifact: str
    versions: list[str] = field(default_factory=list)
    revisions: list[str] = field(default_factory=list)


class Workload:
    """Applies drawn actions through the service; refusals of the domain are part of the game."""

    def __init__(self, services: ServiceContainer) -> None:
        self.commands = services.commands
        self.campaigns: list[Campaign] = []

    def run(self, drawn: list[Action]) -> None:
        for kind, pick, choice in drawn:
            try:
                self._apply(kind, pick, choice)
            except LedgerError:
                continue

    def _apply(self, kind: str, pick: int, choice: int) -> None:
        if kind == "create" or not self.campaigns:
            tenant = TENANTS[choice % len(TENANTS)]
            ctx = CommandContext(tenant_id=tenant, actor="property")
            cid = self.commands.create_campaign(ctx, name=f"c{len(self.campaigns)}", brief=BRIEF).id
            aid = self.commands.create_artifact(ctx, cid, artifact_type="Copy").id
            self.campaigns.append(Campaign(cid, tenant, aid))
            return
        campaign = self.campaigns[pick % len(self.campaigns)]
        ctx = CommandContext(tenant_id=campaign.tenant, actor="property")
        cid = campaign.id
        if kind == "status":
            self.commands.change_status(ctx, cid, STATUSES[choice % len(STATUSES)])
        elif kind == "version":
            made = self.commands.create_version(ctx, cid, campaign.artifact, content=f"v{choice}")
            campaign.versions.append(made.id)
        elif kind == "audit" and campaign.versions:
            report = AuditReport(overall_status=OUTCOMES[choice % 3], category_scores={})
            self.commands.record_audit(ctx, cid, campaign.versions[-1], report=report)
        elif kind == "iteration" and len(campaign.versions) >= 2:
            iteration = Iteration(
                artifact_id=campaign.artifact,
                old_version_id=campaign.versions[0],
                new_version_id=campaign.versions[-1],
                feedback_text="tighter",
                revision_id=campaign.revisions[-1] if campaign.revisions and choice % 2 else None,
            )
            self.commands.log_iteration(ctx, cid, iteration=iteration)
        elif kind == "revision":
            revision = Revision(reason=REASONS[choice % 2], feedback_text="again")
            campaign.revisions.append(
                self.commands.request_revision(ctx, cid, revision=revision).id
            )
        elif kind == "delete":
            self.commands.delete_campaign(ctx, cid)
        elif kind == "restore":
            self.commands.restore_campaign(ctx, cid)


def raw_log(store: DocumentStore) -> list[dict[str, Any]]:
    """Every event document of the store, range by range, as the change feed holds them."""
    documents: list[dict[str, Any]] = []
    for feed_range in store.feed_ranges(EVENTS):
        page = store.read_feed(EVENTS, feed_range, None, max_items=100_000)
        documents += [document for document in page.items if is_event_document(document)]
    return documents


def deliveries(documents: list[dict[str, Any]], shuffler: random.Random) -> Iterator[list[Any]]:
    """The documents shuffled across campaigns (and within them: the runner fills gaps from the
    log), about a third delivered twice, in batches of 1 to 30."""
    delivered = documents + [d for d in documents if shuffler.random() < 0.35]
    shuffler.shuffle(delivered)
    while delivered:
        size = shuffler.randint(1, 30)
        batch, delivered = delivered[:size], delivered[size:]
        yield batch


def statistics_by_tenant(client: TestClient) -> dict[str, Any]:
    answers = {
        tenant: client.get("/api/stats", headers={"X-Tenant-Id": tenant}) for tenant in TENANTS
    }
    assert all(answer.status_code == 200 for answer in answers.values())
    return {tenant: answer.json() for tenant, answer in answers.items()}


def brute_force(documents: list[dict[str, Any]]) -> dict[str, Any]:
    figures = figures_from_log(documents).values()
    return {
        tenant: expected_stats([each for each in figures if each.tenant_id == tenant])
        for tenant in TENANTS
    }


@given(drawn=actions, shuffler=st.randoms(use_true_random=False))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_statistics_equal_a_brute_force_count_of_the_raw_log(
    drawn: list[Action], shuffler: random.Random
) -> None:
    store = InMemoryDocumentStore(feed_range_count=3)
    configured = Settings.model_validate(
        {"ledger_store": "sqlite", "ledger_api_keys": {}, "ledger_live_updates": False}
    )
    services = build_container(configured, open_store=lambda _: store)
    try:
        Workload(services).run(drawn)
        documents = raw_log(store)
        expected = brute_force(documents)
        runner = ProjectionRunner(store)
        for batch in deliveries(documents, shuffler):
            runner.project(batch)
        with TestClient(create_app(services)) as client:
            assert statistics_by_tenant(client) == expected

            rebuilt = rebuild_views(store)

            assert rebuilt.switched
            assert statistics_by_tenant(client) == expected
    finally:
        services.close()
