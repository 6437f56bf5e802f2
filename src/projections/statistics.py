"""The tenant's statistics (``GET /api/stats``): partial sums per feed range, summed on read.

Each campaign's contribution is a view document of its own (``projectors.contributions``). Its
tenant's statistics are the sum of every contribution of a campaign that is not soft-deleted;
they are kept as **partials**, one document per (tenant, feed range of ``events``) in the
tenant's partition (``stats-range.<digest of the feed range>``). The runner of a feed range is
the only regular writer of its partials, so feed ranges projected in parallel never write the
same document. A read sums the tenant's partials: one query of a handful of documents, never a
scan of campaigns.

A partial moves by the difference between a campaign's contribution before and after the
events projected (``moved``), in the very batch that writes the contribution (whose watermark
makes the effect exactly once). Every figure is a sum, so a contribution may move in any
partial: the total stays right if a campaign's events are projected by another range later (a
feed range split, a repair), though one partial may then hold negative counts.

Percentiles come from a **log-linear histogram** of the per-campaign counts (the bucketing of
HdrHistogram with 8 significant bits): a count below 256 is its own bucket, a larger one falls in
a bucket of width 2^k holding 128 values' worth of the top bits, whose lower bound is reported.
So ``p50``, ``p90`` and ``max`` are exact below 256 and otherwise at most 1/128 (0.8 %) below the
true value; the histogram is mergeable (bucket counts add) and bounded (at most 256 + 128 buckets
per power of two: 6,144 up to 2^53, about 1,350 up to 100,000, and only non-empty ones are
stored). ``mean`` is exact (a sum and a count), rounded to 2 decimals. Percentiles are by nearest
rank: the smallest value with at least p % of campaigns at or below it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from domain.values import CampaignStatus
from projections.projectors.contributions import AUDIT_OUTCOMES

PARTIAL_PREFIX = "stats-range."
SIGNIFICANT_BITS = 8
EXACT_BELOW = 1 << SIGNIFICANT_BITS
"""Counts below this are their own bucket."""
STATUSES = tuple(status.value for status in CampaignStatus)

Body = dict[str, Any]


def partial_id(feed_range: str) -> str:
    """The logical id of a feed range's partial (range names are opaque: a digest)."""
    return f"{PARTIAL_PREFIX}{hashlib.sha256(feed_range.encode('utf-8')).hexdigest()[:24]}"


def bucket_of(value: int) -> int:
    """The lower bound of ``value``'s bucket: ``value`` itself below ``EXACT_BELOW``, else
    ``value`` with all but its top ``SIGNIFICANT_BITS`` bits cleared."""
    if value < EXACT_BELOW:
        return value
    shift = value.bit_length() - SIGNIFICANT_BITS
    return (value >> shift) << shift


def empty_partial() -> Body:
    return {
        "campaigns": 0,
        "byStatus": {},
        "versions": {"sum": 0, "buckets": {}},
        "auditReports": {"sum": 0, "buckets": {}},
        "audits": {},
        "iterations": 0,
        "revisions": {},
        "orphanAuditReports": 0,
    }


def counted(contribution: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """What a contribution adds to the statistics: nothing for a deleted campaign."""
    if contribution is None or contribution.get("deleted"):
        return None
    return contribution


def moved(
    partial: Mapping[str, Any], before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> Body:
    """``partial`` (a body) after a campaign's contribution went from ``before`` to ``after``
    (contribution bodies, or None); the input is not changed."""
    body: Body = {
        "campaigns": int(partial["campaigns"]),
        "byStatus": dict(partial["byStatus"]),
        "versions": {
            "sum": partial["versions"]["sum"],
            "buckets": dict(partial["versions"]["buckets"]),
        },
        "auditReports": {
            "sum": partial["auditReports"]["sum"],
            "buckets": dict(partial["auditReports"]["buckets"]),
        },
        "audits": dict(partial["audits"]),
        "iterations": int(partial["iterations"]),
        "revisions": dict(partial["revisions"]),
        "orphanAuditReports": int(partial["orphanAuditReports"]),
    }
    for contribution, sign in ((counted(before), -1), (counted(after), 1)):
        if contribution is not None:
            _add(body, contribution, sign)
    return body


def _add(body: Body, contribution: Mapping[str, Any], sign: int) -> None:
    body["campaigns"] += sign
    _count(body["byStatus"], str(contribution["status"]), sign)
    for name in ("versions", "auditReports"):
        value = int(contribution[name])
        body[name]["sum"] += sign * value
        _count(body[name]["buckets"], str(bucket_of(value)), sign)
    for outcome in AUDIT_OUTCOMES:
        _count(body["audits"], outcome, sign * int(contribution["audits"][outcome]))
    body["iterations"] += sign * int(contribution["iterations"])
    for reason, value in contribution["revisions"].items():
        _count(body["revisions"], reason, sign * int(value))
    body["orphanAuditReports"] += sign * int(contribution["orphanAuditReports"])


def _count(counts: dict[str, int], key: str, change: int) -> None:
    """Add ``change`` to ``counts[key]``, keeping no zero entry (a canonical form)."""
    value = counts.get(key, 0) + change
    if value:
        counts[key] = value
    else:
        counts.pop(key, None)


def merged(partials: Iterable[Mapping[str, Any]]) -> Body:
    """The sum of partials (bodies), in the canonical form (no zero entry): what a tenant's
    statistics add up to, and what a rebuild adds the moves of its replay's workers with."""
    total = empty_partial()
    for partial in partials:
        total["campaigns"] += int(partial["campaigns"])
        total["iterations"] += int(partial["iterations"])
        total["orphanAuditReports"] += int(partial["orphanAuditReports"])
        for name in ("byStatus", "audits", "revisions"):
            for key, value in partial[name].items():
                _count(total[name], key, int(value))
        for name in ("versions", "auditReports"):
            total[name]["sum"] += int(partial[name]["sum"])
            for key, value in partial[name]["buckets"].items():
                _count(total[name]["buckets"], key, int(value))
    return total


def summary(partials: Iterable[Mapping[str, Any]]) -> Body:
    """The body of ``GET /api/stats``: the sum of a tenant's partials (bodies)."""
    total = merged(partials)
    campaigns = total["campaigns"]
    revisions = total["revisions"]
    return {
        "campaigns": {
            "total": campaigns,
            "byStatus": {status: total["byStatus"].get(status, 0) for status in STATUSES},
        },
        "versionsPerCampaign": distribution(total["versions"], campaigns),
        "auditReportsPerCampaign": distribution(total["auditReports"], campaigns),
        "audits": {outcome: total["audits"].get(outcome, 0) for outcome in AUDIT_OUTCOMES},
        "iterations": {
            "total": total["iterations"],
            "meanPerCampaign": _mean(total["iterations"], campaigns),
        },
        "revisions": {
            "total": revisions.get("total", 0),
            "auditFailed": revisions.get("auditFailed", 0),
            "userFeedback": revisions.get("userFeedback", 0),
        },
        "orphanAuditReports": total["orphanAuditReports"],
    }


def distribution(histogram: Mapping[str, Any], campaigns: int) -> Body:
    """``{p50, p90, max, mean}`` of a per-campaign count from its histogram (all 0 without
    campaigns)."""
    buckets = sorted((int(key), int(count)) for key, count in histogram["buckets"].items())
    return {
        "p50": percentile(buckets, 50),
        "p90": percentile(buckets, 90),
        "max": buckets[-1][0] if buckets else 0,
        "mean": _mean(int(histogram["sum"]), campaigns),
    }


def percentile(buckets: list[tuple[int, int]], rank_percent: int) -> int:
    """The nearest-rank percentile of ascending ``(bucket, count)`` pairs (0 when empty)."""
    population = sum(count for _, count in buckets)
    if population <= 0:
        return 0
    rank = max(1, -(-rank_percent * population // 100))
    seen = 0
    for bucket, count in buckets:
        seen += count
        if seen >= rank:
            return bucket
    return buckets[-1][0]


def _mean(total: int, campaigns: int) -> float:
    return round(total / campaigns, 2) if campaigns > 0 else 0.0
