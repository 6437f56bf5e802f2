"""The Azure Functions host of the purge: a timer trigger that runs ``campaigns purge`` daily
(``operations.purge``), deleting for good the campaigns whose restore window has passed and
leaving their tombstones.

It runs at 03:30 UTC every day (NCRONTAB ``0 30 3 * * *``), not on start-up, with the host's
schedule monitor on (a run missed while the app was down runs when it comes back). A failure
(the store throttled or unreachable) fails the invocation, and the next day's run does the rest:
a purge resumes what an interrupted one left, so nothing is lost by waiting. Nothing is built at
import time: the purge (and so the store client) comes from the composition root on the first
invocation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import azure.functions as func

from operations.purge import CampaignPurge

FUNCTION_NAME = "purge_campaigns"
SCHEDULE = "0 30 3 * * *"
"""Daily at 03:30 UTC (NCRONTAB: second minute hour day month weekday)."""

PurgeSource = Callable[[], CampaignPurge]
"""Gives the purge of the process (built on its first call)."""

logger = logging.getLogger(__name__)


def purge_blueprint(purge: PurgeSource) -> func.Blueprint:
    """A blueprint holding the daily purge; register it on any function app."""
    blueprint = func.Blueprint()  # type: ignore[no-untyped-call]  # untyped in azure-functions

    @blueprint.function_name(FUNCTION_NAME)
    @blueprint.timer_trigger(
        arg_name="timer", schedule=SCHEDULE, run_on_startup=False, use_monitor=True
    )
    def purge_campaigns(timer: func.TimerRequest) -> None:
        if timer.past_due:
            logger.info("the purge is past due; running it now")
        report = purge().run()
        for purged in report.purged:
            logger.info("purged campaign %s (tenant %s)", purged.campaign_id, purged.tenant_id)
        logger.info(
            "purge done: %d campaigns purged, %d changed meanwhile (next run)",
            len(report.purged),
            len(report.changed_meanwhile),
        )

    return blueprint
