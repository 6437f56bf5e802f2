"""How the operator CLI shows things: rich tables of events, projection lag and rebuild reports."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rich.table import Table

from domain.recorded import RecordedEvent
from projections.rebuild import RebuildReport

_DATA_PREVIEW = 80


def _preview(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= _DATA_PREVIEW else text[: _DATA_PREVIEW - 1] + "…"


def events_table(campaign_id: str, events: Sequence[RecordedEvent]) -> Table:
    table = Table(title=f"Events of {campaign_id}")
    table.add_column("version", justify="right")
    table.add_column("type")
    table.add_column("recorded at")
    table.add_column("actor")
    table.add_column("data")
    for event in events:
        table.add_row(
            str(event.version),
            event.type,
            event.timestamp,
            str(event.metadata.get("actor", "")),
            _preview(event.data),
        )
    return table


def event_json(event: RecordedEvent) -> str:
    """One event as a JSON line, in the shape of ``GET /api/campaigns/{cid}/events``."""
    return json.dumps(
        {
            "version": event.version,
            "type": event.type,
            "data": event.data,
            "metadata": event.metadata,
            "recordedAt": event.timestamp,
        },
        ensure_ascii=False,
    )


def status_table(status: dict[str, Any]) -> Table:
    table = Table(title="Projections")
    for column in ("projection", "generation", "feed range", "checkpoint at", "events behind"):
        table.add_column(column)
    table.add_column("seconds behind", justify="right")
    table.add_column("dead letters", justify="right")
    for projection in status.get("projections", []):
        generation = str(projection.get("liveGeneration", ""))
        if projection.get("buildingGeneration") is not None:
            generation += f" (building {projection['buildingGeneration']})"
        dead = str(projection.get("deadLetters", {}).get("count", 0))
        for feed_range in projection.get("feedRanges", []) or [{}]:
            behind = str(feed_range.get("eventsBehind", ""))
            if feed_range.get("eventsBehindIsLowerBound"):
                behind = f"≥ {behind}"
            table.add_row(
                str(projection.get("name", "")),
                generation,
                str(feed_range.get("feedRange", "")),
                str(
                    feed_range.get("checkpointUpdatedAt")
                    or feed_range.get("measuredAt")  # the Functions trigger's reading
                    or "never"
                ),
                behind,
                str(feed_range.get("secondsBehind", "")),
                dead,
            )
    return table


def rebuild_table(report: RebuildReport) -> Table:
    table = Table(title="Rebuild", show_header=False)
    table.add_column("what")
    table.add_column("value")
    table.add_row("generation", f"{report.previous_generation} → {report.generation}")
    table.add_row("events replayed", str(report.events))
    table.add_row("campaigns", str(report.campaigns))
    table.add_row("verified identical", str(report.verified))
    table.add_row("written meanwhile (not compared)", str(len(report.written_meanwhile)))
    table.add_row("differences", str(len(report.differences)))
    table.add_row("dead letters", str(report.dead_letters))
    table.add_row("refused documents removed", str(report.removed_documents))
    table.add_row("retired units to remove", str(report.retiring_units))
    table.add_row("reads switched", "yes" if report.switched else "no")
    return table
