"""The arithmetic of the statistics: partials moved by contribution differences, summed on read,
percentiles from a bounded log-linear histogram."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from projections.projectors.contributions import empty_contribution
from projections.statistics import (
    EXACT_BELOW,
    bucket_of,
    empty_partial,
    moved,
    partial_id,
    percentile,
    summary,
)
from tests.unit.projections.stats_oracle import CampaignFigures, expected_stats, nearest_rank


def contribution(figures: CampaignFigures) -> dict[str, Any]:
    body = empty_contribution()
    body.update(
        status=figures.status,
        deleted=figures.deleted,
        versions=len(figures.versions),
        auditReports=figures.audit_reports,
        audits=dict(figures.audits),
        iterations=figures.iterations,
        revisions=dict(figures.revisions),
    )
    return body


figures_strategy = st.builds(
    CampaignFigures,
    status=st.sampled_from(["Draft", "Generating", "Generated", "Auditing", "Completed"]),
    deleted=st.booleans(),
    versions=st.sets(st.integers(0, 400).map(str), max_size=300),
    audits=st.fixed_dictionaries(
        {"Pass": st.integers(0, 9), "Conditional": st.integers(0, 9), "Fail": st.integers(0, 9)}
    ),
    iterations=st.integers(0, 20),
    revisions=st.fixed_dictionaries(
        {"total": st.integers(0, 5), "auditFailed": st.integers(0, 5), "userFeedback": st.just(0)}
    ),
)


def test_counts_below_256_are_their_own_bucket() -> None:
    assert [bucket_of(value) for value in (0, 1, 2, 100, 255)] == [0, 1, 2, 100, 255]


@given(st.integers(EXACT_BELOW, 2**53))
def test_a_larger_count_falls_in_a_bucket_at_most_one_128th_below_it(value: int) -> None:
    bucket = bucket_of(value)

    assert bucket <= value
    assert (value - bucket) * 128 < value
    assert bucket_of(bucket) == bucket


def test_buckets_stay_few_however_large_the_counts() -> None:
    buckets = {bucket_of(value) for value in range(0, 100_001)}

    assert len(buckets) < 1_400


def test_percentiles_are_by_nearest_rank() -> None:
    buckets = [(1, 5), (2, 3), (10, 2)]  # ten campaigns

    assert [percentile(buckets, p) for p in (10, 50, 80, 90, 100)] == [1, 1, 2, 10, 10]
    assert percentile([], 50) == 0


def test_no_campaign_gives_zeros_everywhere() -> None:
    assert summary([]) == expected_stats([])


@given(st.lists(figures_strategy, max_size=12), st.randoms(use_true_random=False))
@settings(max_examples=60, deadline=None)
def test_partials_moved_in_any_split_and_order_sum_to_the_brute_force_figures(
    campaigns: list[CampaignFigures], random: Any
) -> None:
    partials = [empty_partial() for _ in range(3)]
    for figures in campaigns:
        final = contribution(figures)
        halfway = {**final, "versions": final["versions"] // 2, "deleted": random.random() < 0.3}
        first, second = random.randrange(3), random.randrange(3)  # a campaign may change range
        partials[first] = moved(partials[first], None, halfway)
        partials[second] = moved(partials[second], halfway, final)

    stats = summary(partials)

    expected = expected_stats(campaigns)
    for name in ("versionsPerCampaign", "auditReportsPerCampaign"):
        for key in ("p50", "p90", "max"):
            expected[name][key] = bucket_of(expected[name][key])
    assert stats == expected


def test_a_deleted_campaign_counts_nothing_and_a_restored_one_counts_again() -> None:
    figures = CampaignFigures(status="Generated", versions={"a", "b"}, iterations=3)
    live = contribution(figures)
    deleted = {**live, "deleted": True}

    after_delete = moved(moved(empty_partial(), None, live), live, deleted)
    after_restore = moved(after_delete, deleted, live)

    assert after_delete == empty_partial()
    assert summary([after_restore]) == expected_stats([figures])


def test_a_partial_keeps_no_zero_count() -> None:
    live = contribution(CampaignFigures(versions={"a"}))

    assert moved(moved(empty_partial(), None, live), live, None) == empty_partial()


def test_exact_percentiles_match_the_oracle_below_256() -> None:
    values = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5]
    buckets = sorted({value: values.count(value) for value in values}.items())

    assert percentile(buckets, 50) == nearest_rank(values, 50)
    assert percentile(buckets, 90) == nearest_rank(values, 90)


def test_a_feed_range_name_is_digested_into_a_fixed_width_id() -> None:
    assert partial_id("cosmos:range:00:FF") == partial_id("cosmos:range:00:FF")
    assert partial_id("a") != partial_id("b")
    assert len(partial_id("x" * 500)) == len(partial_id("y"))
