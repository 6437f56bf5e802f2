"""The Azure Functions host of the projection runner: a Cosmos DB change-feed trigger on
``events`` (Python v2 programming model, azure-functions 1.x).

- Leases live in ``leases`` under the prefix of app setting ``LEDGER_LEASE_PREFIX``, which must
  be the live projection generation's (``views-g<N>-``). A binding expression is static, so a
  rebuild cannot move it: the rebuild prints the prefix of the new generation, and until the
  operator sets it the runner refuses every batch (an error in the log; the retry policy keeps
  the leases where they are). With the new prefix the trigger starts over from the beginning of
  the feed on fresh leases; per-document watermarks make that replay harmless.
- An event whose projector raises, or that would make a view document too large to write, is
  dead-lettered by the runner (``leases``, ``dead-letter.<campaign>.<version>``) and the rest of
  the batch is still projected, so one bad event never stalls its partition.
- Anything else that fails (the store throttled or unreachable) fails the invocation, and the
  exponential retry policy runs the same batch again, without end: the trigger never moves past
  a batch it has not projected. Watermarks make the repeats harmless.
- Before projecting, the batch's lag is measured from its documents' ``_ts`` and stored
  (``projections.trigger_lag``), so that ``GET /api/projections/status``, ``campaigns status``
  and the ``ledger_projection_lag_*`` metrics show the trigger's lag.
- The notifications of the events projected (``projections.notifications``) go out through the
  SignalR output binding, each to its campaign's group (``functions.live_updates``). Outputs are
  sent when the invocation returns, so after the views are written; a failed invocation sends
  none (its retry skips what was projected already, whose notifications are then not sent:
  clients reconcile through the snapshot's version, see docs/notifications.md).

Nothing is built at import time: the runner (and so the store client) comes from the
composition root (``bootstrap.functions_host.FunctionsHost.runner``) on the first invocation,
once per process.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import azure.functions as func

from projections.notifications import Notification
from projections.runner import ProjectionRunner

FUNCTION_NAME = "project_events"
EVENTS_CONTAINER = "events"
LEASE_CONTAINER = "leases"
CONNECTION_SETTING = "COSMOS_CONNECTION"
DATABASE_SETTING = "%COSMOS_DATABASE%"
LEASE_PREFIX_SETTING = "%LEDGER_LEASE_PREFIX%"
MAX_ITEMS_PER_INVOCATION = 100

SIGNALR_CONNECTION_SETTING = "AzureSignalRConnectionString"
HUB_NAME_SETTING = "%LEDGER_SIGNALR_HUB%"
NOTIFICATIONS_BINDING = "notifications"

RunnerSource = Callable[[], ProjectionRunner]
"""Gives the runner of the process (built on its first call, then the same)."""


class LagRecorder(Protocol):
    """Measures and keeps the lag a batch shows (``projections.trigger_lag``)."""

    def record(self, documents: Sequence[Mapping[str, Any]]) -> object: ...


LagSource = Callable[[], LagRecorder]
"""Gives the lag recorder of the process."""

logger = logging.getLogger(__name__)


def group_messages(notifications: list[Notification]) -> list[dict[str, Any]]:
    """SignalR output messages: each notification to its campaign's group, in order."""
    return [
        {
            "target": notification.type,
            "groupName": notification.campaign_id,
            "arguments": [notification.to_json()],
        }
        for notification in notifications
    ]


def projection_blueprint(runner: RunnerSource, lag: LagSource) -> func.Blueprint:
    """A blueprint holding the change-feed trigger; register it on any function app."""
    blueprint = func.Blueprint()  # type: ignore[no-untyped-call]  # untyped in azure-functions
    trigger_options: dict[str, Any] = {"start_from_beginning": True}

    @blueprint.function_name(FUNCTION_NAME)
    @blueprint.retry(
        strategy="exponential_backoff",
        max_retry_count="-1",
        minimum_interval="00:00:02",
        maximum_interval="00:05:00",
    )
    @blueprint.cosmos_db_trigger(
        arg_name="documents",
        connection=CONNECTION_SETTING,
        database_name=DATABASE_SETTING,
        container_name=EVENTS_CONTAINER,
        lease_container_name=LEASE_CONTAINER,
        lease_container_prefix=LEASE_PREFIX_SETTING,
        create_lease_container_if_not_exists=False,
        max_items_per_invocation=MAX_ITEMS_PER_INVOCATION,
        **trigger_options,
    )
    @blueprint.generic_output_binding(
        arg_name=NOTIFICATIONS_BINDING,
        type="signalR",
        hubName=HUB_NAME_SETTING,
        connectionStringSetting=SIGNALR_CONNECTION_SETTING,
    )
    def project_events(documents: func.DocumentList, notifications: func.Out[str]) -> None:
        batch = [document.to_dict() for document in documents]
        lag().record(batch)
        outcome = runner().project(batch)
        logger.info(
            "projected %d events of %d campaigns (%d skipped, %d dead-lettered, %d notified)",
            outcome.applied,
            len(outcome.campaigns),
            outcome.skipped,
            outcome.dead_lettered,
            len(outcome.notifications),
        )
        if outcome.notifications:
            notifications.set(json.dumps(group_messages(outcome.notifications)))

    return blueprint
