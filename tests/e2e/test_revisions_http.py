"""The feedback loop over real HTTP (API.md round 2, "Revisions"): asking for a revision, its
numbering, idempotency and refusals, the bound on automatic retries and what resets it, the
paged list, the snapshot's block, and iterations that name their revision."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from api.views import CampaignSnapshot, IterationList, RevisionList
from tests.e2e.conftest import (
    check,
    conforms,
    create_artifact,
    create_campaign,
    create_version,
    problem,
    read_fresh,
)

MAX_RETRIES = 5  # LEDGER_MAX_AUDIT_RETRIES, default


def generated_campaign(http: httpx.Client) -> tuple[str, str]:
    """A Generated campaign with a Copy artifact and one version: ``(cid, aid)``."""
    cid = create_campaign(http)["id"]
    aid = create_artifact(http, cid, "Copy")
    check(http.post(f"/api/campaigns/{cid}/status", json={"status": "Generating"}), 200)
    create_version(http, cid, aid, "first")
    check(http.post(f"/api/campaigns/{cid}/status", json={"status": "Generated"}), 200)
    return cid, aid


def revise(http: httpx.Client, cid: str, reason: str = "audit-failed", **body: Any) -> Any:
    return http.post(
        f"/api/campaigns/{cid}/revisions",
        json={"reason": reason, "feedbackText": "Fix the claims", **body},
    )


def latest_version(http: httpx.Client, cid: str) -> int:
    """The campaign's stream version, from its log."""
    items = check(http.get(f"/api/campaigns/{cid}/events?after=0&limit=1000"), 200)["items"]
    return int(items[-1]["version"])


def back_to_generated(http: httpx.Client, cid: str) -> None:
    check(http.post(f"/api/campaigns/{cid}/status", json={"status": "Generated"}), 200)


def test_a_revision_saves_its_feedback_numbers_it_and_moves_the_campaign_to_generating(
    http: httpx.Client,
) -> None:
    cid, aid = generated_campaign(http)
    revision_id = str(uuid.uuid4())

    answer = revise(
        http,
        cid,
        "user-feedback",
        id=revision_id,
        feedbackText="Warmer, please",
        specificChanges=["shorter intro", "name the product"],
        artifactIds=[aid],
    )

    body = check(answer, 201)
    assert body == {"id": revision_id, "revisionNumber": 1, "version": body["version"]}
    assert answer.headers["X-Campaign-Version"] == str(body["version"])
    assert answer.headers["Location"] == f"/api/campaigns/{cid}/revisions"
    snapshot = conforms(
        CampaignSnapshot, read_fresh(http, f"/api/campaigns/{cid}", body["version"])
    )
    assert snapshot["status"] == "Generating"
    listed = conforms(RevisionList, http.get(f"/api/campaigns/{cid}/revisions"))
    item = {
        "id": revision_id,
        "revisionNumber": 1,
        "reason": "user-feedback",
        "feedbackText": "Warmer, please",
        "specificChanges": ["shorter intro", "name the product"],
        "artifactIds": [aid],
        "requestedAt": listed["items"][0]["requestedAt"],
    }
    assert listed == {"items": [item], "continuation": None}
    assert snapshot["revisions"] == {"count": 1, "consecutiveAuditRetries": 0, "latest": item}
    events = check(http.get(f"/api/campaigns/{cid}/events?after={body['version'] - 2}"), 200)
    assert [event["type"] for event in events["items"]] == ["StatusChanged", "RevisionRequested"]


def test_revisions_are_numbered_per_campaign_and_listed_a_page_at_a_time(
    http: httpx.Client,
) -> None:
    cid, _ = generated_campaign(http)
    other, _ = generated_campaign(http)
    numbers = []
    for reason in ("user-feedback", "audit-failed", "user-feedback"):
        numbers.append(check(revise(http, cid, reason), 201)["revisionNumber"])
        back_to_generated(http, cid)
    last = check(revise(http, other), 201)

    assert numbers == [1, 2, 3]
    assert last["revisionNumber"] == 1
    path = f"/api/campaigns/{cid}/revisions?limit=2"
    first_page = check(read_fresh(http, path, latest_version(http, cid)), 200)
    rest = check(
        http.get(
            f"/api/campaigns/{cid}/revisions",
            params={"limit": 2, "continuation": first_page["continuation"]},
        ),
        200,
    )
    assert [i["revisionNumber"] for i in first_page["items"] + rest["items"]] == [1, 2, 3]
    assert rest["continuation"] is None
    foreign = http.get(
        f"/api/campaigns/{other}/revisions", params={"continuation": first_page["continuation"]}
    )
    problem(foreign, 400, "invalid-continuation")
    for limit in (0, 1001):
        problem(http.get(f"/api/campaigns/{cid}/revisions?limit={limit}"), 422, "validation-failed")


def test_the_same_revision_again_answers_its_first_result_and_appends_nothing(
    http: httpx.Client,
) -> None:
    cid, _ = generated_campaign(http)
    request = {"id": str(uuid.uuid4()), "feedbackText": "Fix the claims"}
    first = check(revise(http, cid, **request), 201)
    back_to_generated(http, cid)
    moved_on = check(http.get(f"/api/campaigns/{cid}/events?after=0&limit=1000"), 200)

    again = revise(http, cid, **request)

    assert check(again, 201) == first
    after = check(http.get(f"/api/campaigns/{cid}/events?after=0&limit=1000"), 200)
    assert after == moved_on
    conflict = revise(http, cid, **{**request, "feedbackText": "Something else"})
    problem(conflict, 409, "id-conflict")


@pytest.mark.parametrize(
    ("path", "statuses"),
    [
        ("draft", []),
        ("generating", ["Generating"]),
        ("cancelled", ["Cancelled"]),
    ],
)
def test_only_a_generated_auditing_or_completed_campaign_may_be_revised(
    http: httpx.Client, path: str, statuses: list[str]
) -> None:
    cid = create_campaign(http)["id"]
    for status in statuses:
        check(http.post(f"/api/campaigns/{cid}/status", json={"status": status}), 200)

    problem(revise(http, cid), 409, "invalid-status-transition")


@pytest.mark.parametrize("status", ["Auditing", "Completed"])
def test_an_auditing_or_completed_campaign_may_be_revised(http: httpx.Client, status: str) -> None:
    cid, _ = generated_campaign(http)
    for step in ("Auditing", "Completed")[: 1 + (status == "Completed")]:
        check(http.post(f"/api/campaigns/{cid}/status", json={"status": step}), 200)

    check(revise(http, cid, "user-feedback"), 201)


def test_artifact_ids_must_be_artifacts_of_this_campaign(http: httpx.Client) -> None:
    cid, _ = generated_campaign(http)
    other, other_artifact = generated_campaign(http)

    problem(revise(http, cid, artifactIds=[other_artifact]), 409, "unknown-reference")
    problem(revise(http, cid, artifactIds=[str(uuid.uuid4())]), 409, "unknown-reference")
    check(revise(http, other, artifactIds=[other_artifact]), 201)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "whim", "feedbackText": "x"}, "reason"),
        ({"feedbackText": "x"}, "reason"),
        ({"reason": "user-feedback"}, "feedbackText"),
        ({"reason": "user-feedback", "feedbackText": " "}, "feedbackText"),
        ({"reason": "user-feedback", "feedbackText": "f" * 4001}, "feedbackText"),
        ({"reason": "user-feedback", "feedbackText": "x", "specificChanges": ["c"] * 51}, None),
        (
            {"reason": "user-feedback", "feedbackText": "x", "specificChanges": ["c" * 1001]},
            "specificChanges[0]",
        ),
        ({"reason": "user-feedback", "feedbackText": "x", "artifactIds": ["nope"]}, None),
        ({"reason": "user-feedback", "feedbackText": "x", "id": "nope"}, "id"),
    ],
)
def test_a_request_that_breaks_a_rule_of_shape_is_422(
    http: httpx.Client, body: dict[str, Any], field: str | None
) -> None:
    cid, _ = generated_campaign(http)

    answer = http.post(f"/api/campaigns/{cid}/revisions", json=body)

    refused = problem(answer, 422, "validation-failed")
    fields = [error["field"] for error in refused["errors"]]
    assert field is None or field in fields, fields
    listed = read_fresh(http, f"/api/campaigns/{cid}/revisions", latest_version(http, cid))
    assert check(listed, 200)["items"] == []


def test_unknown_foreign_and_deleted_campaigns_are_404_on_both_routes(
    service_client: Any,
) -> None:
    http, foreign = service_client
    cid, _ = generated_campaign(http)
    unknown = str(uuid.uuid4())
    problem(revise(http, unknown), 404, "campaign-not-found")
    problem(http.get(f"/api/campaigns/{unknown}/revisions"), 404, "campaign-not-found")
    problem(revise(foreign, cid), 404, "campaign-not-found")
    problem(foreign.get(f"/api/campaigns/{cid}/revisions"), 404, "campaign-not-found")
    deleted = check(http.delete(f"/api/campaigns/{cid}"), 200)
    problem(revise(http, cid), 404, "campaign-not-found")
    fresh = f"/api/campaigns/{cid}/revisions?minVersion={deleted['version']}"
    problem(http.get(fresh), 404, "campaign-not-found")


def test_a_pinned_version_that_does_not_match_is_412(http: httpx.Client) -> None:
    cid, _ = generated_campaign(http)
    version = latest_version(http, cid)

    stale = http.post(
        f"/api/campaigns/{cid}/revisions",
        json={"reason": "user-feedback", "feedbackText": "x"},
        headers={"If-Match": str(version - 1)},
    )
    pinned = http.post(
        f"/api/campaigns/{cid}/revisions",
        json={"reason": "user-feedback", "feedbackText": "x"},
        headers={"If-Match": str(version)},
    )

    problem(stale, 412, "precondition-failed")
    assert check(pinned, 201)["version"] == version + 2


def test_audit_failed_revisions_in_a_row_are_refused_past_the_limit(http: httpx.Client) -> None:
    cid, _ = generated_campaign(http)
    for number in range(1, MAX_RETRIES + 1):
        assert check(revise(http, cid), 201)["revisionNumber"] == number
        back_to_generated(http, cid)

    refused = problem(revise(http, cid), 409, "retry-limit-reached")

    assert str(MAX_RETRIES) in refused["detail"]
    snapshot = check(read_fresh(http, f"/api/campaigns/{cid}", latest_version(http, cid)), 200)
    assert snapshot["revisions"]["count"] == MAX_RETRIES
    assert snapshot["revisions"]["consecutiveAuditRetries"] == MAX_RETRIES
    assert snapshot["status"] == "Generated"  # the refused request changed nothing


def test_a_user_feedback_revision_resets_the_count_and_is_never_refused(
    http: httpx.Client,
) -> None:
    cid, _ = generated_campaign(http)
    for _ in range(MAX_RETRIES):
        check(revise(http, cid), 201)
        back_to_generated(http, cid)
    problem(revise(http, cid), 409, "retry-limit-reached")

    feedback = check(revise(http, cid, "user-feedback"), 201)
    back_to_generated(http, cid)
    retried = check(revise(http, cid), 201)

    assert (feedback["revisionNumber"], retried["revisionNumber"]) == (6, 7)
    snapshot = check(read_fresh(http, f"/api/campaigns/{cid}", retried["version"]), 200)
    assert snapshot["revisions"]["consecutiveAuditRetries"] == 1


def test_reaching_completed_resets_the_count(http: httpx.Client) -> None:
    cid, _ = generated_campaign(http)
    for _ in range(MAX_RETRIES):
        check(revise(http, cid), 201)
        back_to_generated(http, cid)
    for status in ("Auditing", "Completed"):
        check(http.post(f"/api/campaigns/{cid}/status", json={"status": status}), 200)

    after_completion = check(revise(http, cid), 201)

    snapshot = check(read_fresh(http, f"/api/campaigns/{cid}", after_completion["version"]), 200)
    assert snapshot["revisions"]["consecutiveAuditRetries"] == 1


def test_going_back_to_generating_without_a_revision_does_not_reset_the_count(
    http: httpx.Client,
) -> None:
    cid, _ = generated_campaign(http)
    for _ in range(MAX_RETRIES):
        check(revise(http, cid), 201)
        back_to_generated(http, cid)
    for status in ("Auditing", "Generating", "Generated"):
        check(http.post(f"/api/campaigns/{cid}/status", json={"status": status}), 200)

    problem(revise(http, cid), 409, "retry-limit-reached")


def test_an_iteration_names_a_revision_of_its_campaign_and_lists_it(http: httpx.Client) -> None:
    cid, aid = generated_campaign(http)
    events = check(http.get(f"/api/campaigns/{cid}/events?after=0"), 200)["items"]
    old = next(e["data"] for e in events if e["type"] == "VersionCreated")
    old["id"] = old["versionId"]
    revision = check(revise(http, cid, "user-feedback"), 201)
    new = create_version(http, cid, aid, "second")
    other, _ = generated_campaign(http)
    foreign_revision = check(revise(http, other, "user-feedback"), 201)
    body = {
        "artifactId": aid,
        "oldVersionId": old["id"],
        "newVersionId": new["id"],
        "feedbackText": "Warmer",
    }

    logged = check(
        http.post(f"/api/campaigns/{cid}/iterations", json={**body, "revisionId": revision["id"]}),
        201,
    )
    plain = check(http.post(f"/api/campaigns/{cid}/iterations", json=body), 201)

    for unknown in (foreign_revision["id"], str(uuid.uuid4()), aid):
        refused = http.post(
            f"/api/campaigns/{cid}/iterations", json={**body, "revisionId": unknown}
        )
        problem(refused, 409, "unknown-reference")
    items = conforms(
        IterationList, read_fresh(http, f"/api/campaigns/{cid}/iterations", plain["version"])
    )["items"]
    assert [(i["id"], i["revisionId"]) for i in items] == [
        (logged["id"], revision["id"]),
        (plain["id"], None),
    ]
    bad = http.post(f"/api/campaigns/{cid}/iterations", json={**body, "revisionId": "nope"})
    problem(bad, 422, "validation-failed")


@pytest.fixture
def service_client(service: Any) -> Any:
    """Two clients of two tenants of their own."""
    with (
        service.client(**{"X-Tenant-Id": f"t{uuid.uuid4().hex[:12]}"}) as mine,
        service.client(**{"X-Tenant-Id": f"t{uuid.uuid4().hex[:12]}"}) as theirs,
    ):
        yield mine, theirs
