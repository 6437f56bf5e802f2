"""A brute-force computation of ``GET /api/stats``: straight from the raw log (or from
per-campaign figures), with exact percentiles by sorting, for tests to compare the projection
with."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

STATUSES = ("Draft", "Generating", "Generated", "Auditing", "Completed", "Cancelled")
OUTCOMES = ("Pass", "Conditional", "Fail")


@dataclass
class CampaignFigures:
    """What one campaign's log says, folded by hand."""

    tenant_id: str = "default"
    status: str = "Draft"
    deleted: bool = False
    versions: set[str] = field(default_factory=set)
    audits: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    orphan_audits: int = 0
    iterations: int = 0
    revisions: dict[str, int] = field(
        default_factory=lambda: {"total": 0, "auditFailed": 0, "userFeedback": 0}
    )

    @property
    def audit_reports(self) -> int:
        return sum(self.audits.values())


def figures_from_log(events: Iterable[Mapping[str, Any]]) -> dict[str, CampaignFigures]:
    """Per campaign, from event documents (``type``, ``data``, ``streamId``, ``version``) in
    any order: each campaign's are folded in stream order."""
    by_campaign: dict[str, list[Mapping[str, Any]]] = {}
    for event in events:
        by_campaign.setdefault(str(event["streamId"]), []).append(event)
    figures: dict[str, CampaignFigures] = {}
    for campaign, stream in by_campaign.items():
        folded = CampaignFigures()
        for event in sorted(stream, key=lambda e: int(e["version"])):
            _fold(folded, str(event["type"]), event["data"])
        figures[campaign] = folded
    return figures


def _fold(figures: CampaignFigures, event_type: str, data: Mapping[str, Any]) -> None:
    if event_type == "CampaignCreated":
        figures.tenant_id = str(data["tenantId"])
    elif event_type == "StatusChanged":
        figures.status = str(data["toStatus"])
    elif event_type in ("CampaignDeleted", "CampaignRestored"):
        figures.deleted = event_type == "CampaignDeleted"
    elif event_type == "VersionCreated":
        figures.versions.add(str(data["versionId"]))
    elif event_type == "AuditRecorded":
        if data["versionId"] in figures.versions:
            figures.audits[str(data["overallStatus"])] += 1
        else:
            figures.orphan_audits += 1
    elif event_type == "FeedbackLogged":
        figures.iterations += 1
    elif event_type == "RevisionRequested":
        figures.revisions["total"] += 1
        key = "auditFailed" if data["reason"] == "audit-failed" else "userFeedback"
        figures.revisions[key] += 1


def expected_stats(figures: Iterable[CampaignFigures]) -> dict[str, Any]:
    """The body ``GET /api/stats`` must answer for these campaigns (deleted ones left out)."""
    kept = [each for each in figures if not each.deleted]
    count = len(kept)
    iterations = sum(each.iterations for each in kept)
    return {
        "campaigns": {
            "total": count,
            "byStatus": {status: sum(e.status == status for e in kept) for status in STATUSES},
        },
        "versionsPerCampaign": _distribution([len(each.versions) for each in kept]),
        "auditReportsPerCampaign": _distribution([each.audit_reports for each in kept]),
        "audits": {outcome: sum(each.audits[outcome] for each in kept) for outcome in OUTCOMES},
        "iterations": {"total": iterations, "meanPerCampaign": _mean(iterations, count)},
        "revisions": {
            key: sum(each.revisions[key] for each in kept)
            for key in ("total", "auditFailed", "userFeedback")
        },
        "orphanAuditReports": sum(each.orphan_audits for each in kept),
    }


def nearest_rank(values: list[int], percent: int) -> int:
    """The smallest value with at least ``percent`` % of ``values`` at or below it."""
    if not values:
        return 0
    ordered = sorted(values)
    rank = max(1, -(-percent * len(ordered) // 100))
    return ordered[rank - 1]


def _distribution(values: list[int]) -> dict[str, Any]:
    return {
        "p50": nearest_rank(values, 50),
        "p90": nearest_rank(values, 90),
        "max": max(values, default=0),
        "mean": _mean(sum(values), len(values)),
    }


def _mean(total: int, count: int) -> float:
    return round(total / count, 2) if count else 0.0
