"""The notification relay of a process that serves streams but does not project: it publishes a
followed campaign's notifications once its views show them, from the version the subscriber's
replay started after, and not before the subscriber's route has replayed the log."""

from __future__ import annotations

import asyncio

from application import CampaignService, CommandContext
from bootstrap.container import campaign_application
from domain.artifact_types import ArtifactTypeRegistry
from domain.values import Brief
from projections.notification_hub import NotificationHub
from projections.notification_relay import NotificationRelay
from projections.processor import ChangeFeedProcessor
from tests.integration.documentstore.stores import open_memory

CTX = CommandContext(actor="relay")
BRIEF = Brief(objective="Launch", target_audience="Runners", product_details="Shoe")


def test_the_relay_publishes_what_the_views_show_after_the_replay_and_nothing_ahead() -> None:
    store = open_memory()
    service = CampaignService(
        campaign_application(store), artifact_types=ArtifactTypeRegistry.standard()
    )
    projector = ChangeFeedProcessor(store)
    campaign = service.create_campaign(CTX, name="Relayed", brief=BRIEF).id
    service.create_campaign(CTX, name="Not followed", brief=BRIEF)
    artifact = service.create_artifact(CTX, campaign, artifact_type="Copy").id
    first = service.create_version(CTX, campaign, artifact, content="one")
    projector.run_until_caught_up()

    async def scenario() -> list[tuple[str, int]]:
        hub = NotificationHub()
        relay = NotificationRelay(store, hub)
        subscription = hub.subscribe(campaign)
        assert subscription is not None
        assert relay.run_once() == 0  # its route has not replayed the log yet
        subscription.resumes_after = first.version - 1  # the replay sent up to the first version
        second = service.create_version(CTX, campaign, artifact, content="two")
        assert relay.run_once() == 1  # the first version's notification: the views show it
        relay.run_once()  # the second is in the log, not yet in the views: nothing
        projector.run_until_caught_up()
        relay.run_once()
        received = await subscription.receive(0.1) or []
        assert second.version == received[-1].version
        return [(item.type, item.version) for item in received]

    published = asyncio.run(scenario())

    assert published == [
        ("ArtifactGenerated", first.version),
        ("ArtifactGenerated", first.version + 1),
    ]
