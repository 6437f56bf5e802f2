"""Revisions: the feedback loop of the data flow, and the bound on automatic retries.

A revision saves a reviewer's feedback (or a failed compliance check's) *before* the artifacts
are regenerated, and moves the campaign back to ``Generating``. Revisions are numbered 1, 2,
3... per campaign. The aggregate keeps, in its core, how many revisions exist and how many
``audit-failed`` revisions came in a row; per revision only its number (what a repeated request
answers, and what tells a revision id from any other entity's id).

The counting rule (``RevisionTally``): an ``audit-failed`` revision adds one to the consecutive
count; a ``user-feedback`` revision resets it to zero, and so does the campaign reaching
``Completed``. An ``audit-failed`` request when the count has reached the limit is refused
(``RetryLimitReached``): the orchestrator then fails its run.
"""

from __future__ import annotations

from typing import TypedDict

from domain.errors import InvalidStatusTransition, RetryLimitReached
from domain.values import CampaignStatus, RevisionReason

REVISABLE_STATUSES = frozenset(
    {CampaignStatus.GENERATED, CampaignStatus.AUDITING, CampaignStatus.COMPLETED}
)
"""A campaign may be revised only once something was generated."""


class RevisionRecord(TypedDict):
    number: int


def new_revision_record(number: int) -> RevisionRecord:
    return {"number": number}


def ensure_revisable(status: str) -> None:
    """Only a Generated, Auditing or Completed campaign may be revised (409 otherwise)."""
    if CampaignStatus(status) not in REVISABLE_STATUSES:
        raise InvalidStatusTransition(
            f"a {status} campaign cannot be revised (it must be Generated, Auditing or Completed)"
        )


def consecutive_after(count: int, reason: str) -> int:
    """The consecutive ``audit-failed`` count after a revision with ``reason``."""
    return count + 1 if reason == RevisionReason.AUDIT_FAILED.value else 0


def ensure_retry_allowed(count: int, reason: RevisionReason, max_audit_retries: int) -> None:
    """An automatic retry past ``max_audit_retries`` in a row is refused (409)."""
    if reason is RevisionReason.AUDIT_FAILED and count >= max_audit_retries:
        raise RetryLimitReached(
            f"the campaign has had {count} audit-failed revisions in a row, the most allowed "
            f"is {max_audit_retries}; report generation failed instead"
        )
