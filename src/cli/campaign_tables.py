"""How ``campaigns show`` prints a campaign snapshot: a few rich tables an operator reads top
down (the campaign, its brief, its artifacts, the active versions with their audits, the latest
runs), from the body ``GET /api/campaigns/{cid}`` answers."""

from __future__ import annotations

from typing import Any

from rich.table import Table

_CONTENT_PREVIEW = 60
_SHOWN_RUNS = 10
_NONE = "-"


def _short(value: Any) -> str:
    """An id cut to its first block (enough to tell ids apart on screen), or ``_NONE``."""
    return _NONE if value is None else str(value).split("-", 1)[0]


def _cut(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _listed(values: Any) -> str:
    return ", ".join(str(value) for value in values) if values else _NONE


def snapshot_tables(body: dict[str, Any], *, at: int | None = None) -> list[Table]:
    """The tables of one snapshot; ``at`` says it is the campaign as it stood at a version."""
    return [
        _campaign_table(body, at),
        _brief_table(body["brief"]),
        _artifacts_table(body),
        _active_versions_table(body),
        _runs_table(body),
    ]


def _campaign_table(body: dict[str, Any], at: int | None) -> Table:
    title = "Campaign" if at is None else f"Campaign as it stood at version {at}"
    table = Table(title=title, show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    table.add_row("id", str(body["id"]))
    table.add_row("name", str(body["name"]))
    table.add_row("tenant", str(body["tenantId"]))
    table.add_row("status", str(body["status"]) + (" (deleted)" if body["isDeleted"] else ""))
    table.add_row("version", str(body["version"]))
    table.add_row("created", str(body["createdAt"]))
    table.add_row("updated", str(body["updatedAt"]))
    table.add_row("runs", str(body.get("runCount", len(body["runs"]))))
    return table


def _brief_table(brief: dict[str, Any]) -> Table:
    table = Table(title="Brief", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    table.add_row("objective", str(brief["objective"]))
    table.add_row("target audience", str(brief["targetAudience"]))
    table.add_row("product", str(brief["productDetails"]))
    table.add_row("tone", _listed(brief.get("toneGuidelines")))
    table.add_row("palette", _listed(brief.get("brandPalette")))
    constraints = brief.get("constraints") or {}
    if constraints:
        rules = _listed(constraints.get("rules"))
        words = constraints.get("maxWords")
        table.add_row("rules", rules)
        table.add_row("max words", _NONE if words is None else str(words))
        table.add_row("channels", _listed(constraints.get("channels")))
    return table


def _artifacts_table(body: dict[str, Any]) -> Table:
    active_ids = {entry["id"] for entry in body["activeVersions"].values()}
    table = Table(title="Artifacts")
    for column in ("type", "artifact", "versions", "latest version"):
        table.add_column(column, justify="right" if column == "versions" else "left")
    table.add_column("latest is active")
    for artifact in body["artifacts"]:
        latest = artifact["latestVersionId"]
        table.add_row(
            str(artifact["type"]),
            _short(artifact["id"]),
            str(artifact["versionCount"]),
            _short(latest),
            _NONE if latest is None else ("yes" if latest in active_ids else "no"),
        )
    return table


def _active_versions_table(body: dict[str, Any]) -> Table:
    table = Table(title="Active versions")
    for column in ("type", "version", "number", "status", "audit", "scores", "content"):
        table.add_column(column, justify="right" if column == "number" else "left")
    for artifact_type, version in body["activeVersions"].items():
        report = body["auditReports"].get(version["id"])
        scores = (
            _NONE
            if report is None
            else ", ".join(
                f"{name} {score['score']:g}" for name, score in report["categoryScores"].items()
            )
            or _NONE
        )
        content = version["content"]
        table.add_row(
            str(artifact_type),
            _short(version["id"]),
            str(version["versionNumber"]),
            str(version["status"]),
            _NONE if report is None else str(report["overallStatus"]),
            scores,
            _NONE if content is None else _cut(str(content), _CONTENT_PREVIEW),
        )
    return table


def _runs_table(body: dict[str, Any]) -> Table:
    runs = body["runs"][-_SHOWN_RUNS:]
    total = body.get("runCount", len(body["runs"]))
    title = "Runs" if total <= len(runs) else f"Runs (latest {len(runs)} of {total})"
    table = Table(title=title)
    for column in ("run", "status", "mode", "started", "completed"):
        table.add_column(column)
    for run in reversed(runs):
        table.add_row(
            _short(run["id"]),
            str(run["status"]),
            str(run["executionMode"]),
            run["startedAt"] or _NONE,
            run["completedAt"] or _NONE,
        )
    return table
