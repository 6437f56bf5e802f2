"""The commands the benchmarks send: realistic payloads, built the same way for every store."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from application import CampaignService, CommandContext
from domain.values import AuditReport, Brief, Iteration

ARTIFACT_TYPES = ("Copy", "ShortCopy", "VisualConcept")
CONTENT_BYTES = 1_000


def brief() -> Brief:
    return Brief(
        objective="Launch the spring trail range",
        target_audience="Trail runners aged 25-45",
        product_details="A light trail shoe with a recycled upper",
        tone_guidelines=["warm", "confident"],
        brand_palette=["#112233", "#F0A"],
    )


def brief_json() -> dict[str, Any]:
    return brief().to_json()


def content(number: int, size: int = CONTENT_BYTES) -> str:
    """Version content of about ``size`` characters (serialized JSON, as the agents send)."""
    text = f'{{"draft": {number}, "body": "'
    return text + "x" * max(0, size - len(text) - 2) + '"}'


def audit_json(status: str = "Pass") -> dict[str, Any]:
    return {
        "overallStatus": status,
        "categoryScores": {
            "brand": {"score": 91.5, "notes": "on voice"},
            "clarity": {"score": 84, "notes": "clear call to action"},
        },
        "flaggedItems": [{"category": "claims", "severity": "Low", "description": "soften 'best'"}],
        "recommendations": [{"category": "cta", "text": "a stronger verb", "priority": 1}],
    }


def audit(status: str = "Pass") -> AuditReport:
    return AuditReport.model_validate(audit_json(status))


def context(actor: str = "bench") -> CommandContext:
    return CommandContext(actor=actor)


@dataclass
class ReviewedCampaign:
    """A campaign as the dashboard shows it after weeks of work: three artifacts, ``versions``
    versions in all, each audited (failing drafts, then a passing final version audited twice),
    feedback logged between drafts, the final versions approved and active."""

    campaign_id: str
    artifacts: dict[str, str] = field(default_factory=dict)
    active_versions: dict[str, str] = field(default_factory=dict)
    events: int = 0


def build_reviewed_campaign(ledger: CampaignService, versions: int = 100) -> ReviewedCampaign:
    ctx = context("reviewer")
    campaign = ReviewedCampaign(ledger.create_campaign(ctx, name="Spring", brief=brief()).id)
    cid = campaign.campaign_id
    for artifact_type in ARTIFACT_TYPES:
        campaign.artifacts[artifact_type] = ledger.create_artifact(
            ctx, cid, artifact_type=artifact_type
        ).id
    per_type = [versions // 3 + (1 if index < versions % 3 else 0) for index in range(3)]
    last = None
    for artifact_type, count in zip(ARTIFACT_TYPES, per_type, strict=True):
        artifact_id = campaign.artifacts[artifact_type]
        previous: str | None = None
        for number in range(count):
            final = number == count - 1
            version = ledger.create_version(ctx, cid, artifact_id, content=content(number)).id
            ledger.record_audit(ctx, cid, version, report=audit("Conditional" if final else "Fail"))
            if previous is not None:
                ledger.log_iteration(
                    ctx,
                    cid,
                    iteration=Iteration(
                        artifact_id=artifact_id,
                        old_version_id=previous,
                        new_version_id=version,
                        feedback_text=f"round {number}: warmer, shorter",
                    ),
                )
            previous = version
        assert previous is not None
        ledger.record_audit(ctx, cid, previous, report=audit("Pass"))
        ledger.approve_version(ctx, cid, previous)
        last = ledger.set_active_version(ctx, cid, artifact_type, previous)
        campaign.active_versions[artifact_type] = previous
    assert last is not None
    campaign.events = last.version
    return campaign


def new_id() -> str:
    return str(uuid.uuid4())
