"""Over real HTTP on the embedded store: what the service accepts it can project, because numbers
a JSON document store cannot keep exactly and unbounded texts are refused at the edge."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import (
    check,
    context_artifact,
    create_campaign,
    problem,
    read_fresh,
)

EXACT_LIMIT = 2**53


@pytest.mark.parametrize(
    ("number", "message_start"),
    [(str(EXACT_LIMIT + 1), "must be an integer"), ("1e400", "must be a finite number")],
)
def test_a_run_whose_payload_could_never_be_projected_is_refused_and_nothing_is_appended(
    http: httpx.Client, number: str, message_start: str
) -> None:
    cid = create_campaign(http)["id"]
    raw = f'{{"executionMode": "Parallel", "trigger": {{"payload": {{"n": {number}}}}}}}'
    refused = http.post(
        f"/api/campaigns/{cid}/runs",
        content=raw.encode(),
        headers={"content-type": "application/json"},
    )
    body = problem(refused, 422, "validation-failed")
    assert [error["field"] for error in body["errors"]] == ["trigger.payload.n"]
    assert body["errors"][0]["message"].startswith(message_start)
    events = check(http.get(f"/api/campaigns/{cid}/events"), 200)["items"]
    assert [event["type"] for event in events] == ["CampaignCreated"]


def test_a_run_with_integers_at_two_to_the_53_is_projected_with_them_exactly(
    http: httpx.Client,
) -> None:
    cid = create_campaign(http)["id"]
    payload = {"top": EXACT_LIMIT, "bottom": -EXACT_LIMIT, "ratio": 1.5e300}
    queued = check(
        http.post(
            f"/api/campaigns/{cid}/runs",
            json={"executionMode": "Parallel", "trigger": {"type": "api", "payload": payload}},
        ),
        201,
    )
    run = check(
        read_fresh(http, f"/api/campaigns/{cid}/runs/{queued['id']}", queued["version"]), 200
    )
    assert run["context"]["trigger"]["payload"] == payload


def test_an_over_long_step_id_or_oversized_metadata_is_refused_before_the_run_sees_it(
    http: httpx.Client,
) -> None:
    cid = create_campaign(http)["id"]
    runs = f"/api/campaigns/{cid}/runs"
    rid = check(http.post(runs, json={"executionMode": "Parallel"}), 201)["id"]
    check(http.post(f"{runs}/{rid}/start"), 200)
    too_long = {"stepId": "s" * 201, "artifacts": [context_artifact()]}
    assert "stepId" in fields(
        problem(http.post(f"{runs}/{rid}/steps", json=too_long), 422, "validation-failed")
    )
    oversized = {**context_artifact(), "metadata": {"blob": "x" * 65_536}}
    step = {"stepId": "plan", "artifacts": [oversized]}
    answer = problem(http.post(f"{runs}/{rid}/steps", json=step), 422, "validation-failed")
    assert "artifacts[0].metadata" in fields(answer)


def test_an_artifact_filter_that_is_not_a_uuid_is_422(http: httpx.Client) -> None:
    cid = create_campaign(http)["id"]
    answer = problem(
        http.get(f"/api/campaigns/{cid}/iterations?artifactId=not-a-uuid"),
        422,
        "validation-failed",
    )
    assert fields(answer) == ["artifactId"]


def fields(problem_body: dict[str, object]) -> list[str]:
    errors = problem_body["errors"]
    assert isinstance(errors, list)
    return [str(error["field"]) for error in errors]
