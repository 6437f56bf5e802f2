"""The daily purge under Azure Functions: the timer trigger's binding, and what a run does."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from bootstrap.container import campaign_application
from bootstrap.functions_host import FunctionsHost
from bootstrap.settings import Settings
from documentstore.memory import InMemoryDocumentStore
from documentstore.port import EVENTS
from functions.app import build_function_app
from functions.purge_timer import FUNCTION_NAME, SCHEDULE
from operations.purge import CampaignPurge
from tests.unit.functions.hosts import PartsHost
from tests.unit.operations.campaigns import Campaigns


class Timer:
    """What the Functions worker hands the function: only ``past_due`` is read."""

    past_due = False


def purge_function_of(app: Any) -> Any:
    [function] = [f for f in app.get_functions() if f.get_function_name() == FUNCTION_NAME]
    return function


def test_the_purge_runs_daily_on_a_timer_with_the_schedule_monitor_and_not_on_start_up() -> None:
    function = purge_function_of(build_function_app(PartsHost()))
    [binding] = json.loads(function.get_function_json())["bindings"]

    assert binding["type"] == "timerTrigger"
    assert binding["direction"] == "IN"
    assert binding["name"] == "timer"
    assert binding["schedule"] == SCHEDULE == "0 30 3 * * *"
    assert binding["runOnStartup"] is False
    assert binding["useMonitor"] is True


def test_a_timer_run_purges_the_expired_campaigns_and_leaves_tombstones() -> None:
    store = InMemoryDocumentStore()
    campaigns = Campaigns(store)
    expired, kept = campaigns.create(), campaigns.create()
    campaigns.delete(expired)
    later = campaigns.clock.now + campaigns.restore_window + timedelta(seconds=1)

    def purge() -> CampaignPurge:
        return CampaignPurge(store, campaign_application(store), clock=lambda: later)

    function = purge_function_of(build_function_app(PartsHost(purge_factory=purge)))
    function.get_user_function()(Timer())

    assert store.read(EVENTS, expired, "head")["docType"] == "tombstone"  # type: ignore[index]
    assert store.read(EVENTS, kept, "head")["docType"] == "head"  # type: ignore[index]


def test_the_host_builds_the_purge_on_its_own_store_only_when_the_timer_first_fires() -> None:
    opened: list[InMemoryDocumentStore] = []

    def open_store(settings: Settings) -> InMemoryDocumentStore:
        opened.append(InMemoryDocumentStore())
        return opened[-1]

    host = FunctionsHost(lambda: Settings(ledger_store="cosmos"), open_store)
    function = purge_function_of(build_function_app(host))
    assert opened == []

    function.get_user_function()(Timer())
    function.get_user_function()(Timer())

    assert len(opened) == 1
