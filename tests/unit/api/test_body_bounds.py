"""Bodies that could never be stored exactly or that would grow a campaign's views without bound
are refused at the edge: numbers beyond what a JSON document store keeps exactly (422 naming
their path) and texts, lists and free-form objects over their bounds (422 naming the field)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NamedTuple

import pytest
from fastapi.testclient import TestClient

from domain.values import (
    INTEGER_OUT_OF_RANGE,
    MAX_EXACT_INTEGER,
    MAX_JSON_DEPTH,
    MAX_JSON_OBJECT_BYTES,
    MAX_LABEL,
    MAX_LIST_ITEMS,
    MAX_SPECIFIC_CHANGE,
    MAX_SPECIFIC_CHANGES,
    MAX_TEXT,
    MAX_WORKFLOW_NAME,
    NOT_A_FINITE_NUMBER,
)
from tests.unit.api.fakes import FakeServices
from tests.unit.api.samples import AID, CID, RID, VID, VID2, audit, brief, context_artifact
from tests.unit.api.test_errors import fields_of, post_raw, problem_of

B = f"/api/campaigns/{CID}"
RUNS = f"{B}/runs"
STEPS = f"{B}/runs/{RID}/steps"
CHECKS = f"{B}/runs/{RID}/quality-checks"
AUDITS = f"{B}/versions/{VID}/audits"
ITERATIONS = f"{B}/iterations"
REVISIONS = f"{B}/revisions"
OVER_EXACT = MAX_EXACT_INTEGER + 1


def queue_with_payload(payload_json: str) -> bytes:
    return f'{{"executionMode": "Parallel", "trigger": {{"payload": {payload_json}}}}}'.encode()


@pytest.mark.parametrize(
    ("path", "raw", "field"),
    [
        (RUNS, queue_with_payload(f'{{"n": {OVER_EXACT}}}'), "trigger.payload.n"),
        (RUNS, queue_with_payload(f'{{"n": [1, -{OVER_EXACT}]}}'), "trigger.payload.n[1]"),
        (
            STEPS,
            json.dumps(
                {
                    "stepId": "s",
                    "artifacts": [{**context_artifact(), "metadata": {"w": OVER_EXACT}}],
                }
            ).encode(),
            "artifacts[0].metadata.w",
        ),
        (
            CHECKS,
            json.dumps(
                {
                    "artifactId": AID,
                    "checkType": "schema",
                    "status": "passed",
                    "details": {"a": {"b": 10**30}},
                }
            ).encode(),
            "details.a.b",
        ),
        (
            AUDITS,
            json.dumps(
                {**audit(), "recommendations": [{"category": "c", "text": "t", "priority": 2**60}]}
            ).encode(),
            "recommendations[0].priority",
        ),
        (
            "/api/campaigns",
            json.dumps(
                {"name": "S", "brief": {**brief(), "constraints": {"maxWords": OVER_EXACT}}}
            ).encode(),
            "brief.constraints.maxWords",
        ),
        (RUNS, f'{{"executionMode": "Parallel", "ignored": {OVER_EXACT}}}'.encode(), "ignored"),
        (RUNS, str(OVER_EXACT).encode(), "body"),
    ],
)
def test_an_integer_beyond_two_to_the_53_anywhere_in_a_body_is_422_naming_its_path(
    client: TestClient, services: FakeServices, path: str, raw: bytes, field: str
) -> None:
    problem = problem_of(post_raw(client, path, raw), 422, "validation-failed")
    assert fields_of(problem) == {field: INTEGER_OUT_OF_RANGE}
    assert services.commands.calls == []


@pytest.mark.parametrize("number", ["1e400", "-1e400", "1.5e309"])
def test_a_number_that_overflows_a_double_is_422_instead_of_being_stored_as_null(
    client: TestClient, services: FakeServices, number: str
) -> None:
    raw = queue_with_payload(f'{{"ratio": {number}}}')
    problem = problem_of(post_raw(client, RUNS, raw), 422, "validation-failed")
    assert fields_of(problem) == {"trigger.payload.ratio": NOT_A_FINITE_NUMBER}
    assert services.commands.calls == []


def test_an_integer_too_long_for_python_to_convert_is_refused_like_any_other_big_integer(
    client: TestClient,
) -> None:
    raw = queue_with_payload('{"n": -' + "9" * 5000 + "}")
    problem = problem_of(post_raw(client, RUNS, raw), 422, "validation-failed")
    assert fields_of(problem) == {"trigger.payload.n": INTEGER_OUT_OF_RANGE}


def test_integers_of_magnitude_up_to_two_to_the_53_and_large_finite_numbers_pass_exactly(
    client: TestClient, services: FakeServices
) -> None:
    payload = {"top": MAX_EXACT_INTEGER, "bottom": -MAX_EXACT_INTEGER, "big": 1.7e308}
    response = post_raw(client, RUNS, queue_with_payload(json.dumps(payload)))
    assert response.status_code == 201, response.text
    assert services.commands.last.kwargs["trigger"].payload == payload


def test_at_most_twenty_out_of_range_numbers_are_listed(client: TestClient) -> None:
    raw = queue_with_payload(json.dumps({"n": [OVER_EXACT] * 1000}))
    problem = problem_of(post_raw(client, RUNS, raw), 422, "validation-failed")
    assert len(problem["errors"]) == 20
    assert problem["errors"][0]["field"] == "trigger.payload.n[0]"


def test_nesting_too_deep_to_parse_is_400_malformed_json(client: TestClient) -> None:
    raw = queue_with_payload("[" * 100_000 + "]" * 100_000)
    problem = problem_of(post_raw(client, RUNS, raw), 400, "malformed-json")
    assert "nested too deeply" in problem["detail"]


def nested(depth: int) -> dict[str, Any]:
    """A free-form object whose innermost value sits ``depth`` keys and indexes deep."""
    value: Any = 0
    for _ in range(depth - 1):
        value = [value]
    return {"k": value}


def sized(total_bytes: int) -> dict[str, Any]:
    """A free-form object of exactly ``total_bytes`` bytes as compact JSON."""
    return {"k": "x" * (total_bytes - len('{"k":""}'))}


def texts(count: int) -> list[str]:
    return ["t"] * count


class Bound(NamedTuple):
    """A body with one measured thing (a length, a count, a size) set to ``n``."""

    path: str
    body: Callable[[int], Any]
    limit: int
    field: str


def _audit(**changes: Any) -> dict[str, Any]:
    return {**audit(), **changes}


def _flagged(**changes: Any) -> dict[str, Any]:
    return _audit(
        flaggedItems=[{"category": "c", "severity": "Low", "description": "d", **changes}]
    )


def _recommended(**changes: Any) -> dict[str, Any]:
    return _audit(recommendations=[{"category": "c", "text": "t", **changes}])


def _iteration(**changes: Any) -> dict[str, Any]:
    return {
        "artifactId": AID,
        "oldVersionId": VID,
        "newVersionId": VID2,
        "feedbackText": "shorter",
        **changes,
    }


def _campaign(**brief_changes: Any) -> dict[str, Any]:
    return {"name": "Spring", "brief": {**brief(), **brief_changes}}


def _revision(**changes: Any) -> dict[str, Any]:
    return {"reason": "user-feedback", "feedbackText": "warmer", **changes}


def _run(**changes: Any) -> dict[str, Any]:
    return {"executionMode": "Parallel", **changes}


def _step(**artifact_changes: Any) -> dict[str, Any]:
    return {"stepId": "s", "artifacts": [{**context_artifact(), **artifact_changes}]}


def _check(**changes: Any) -> dict[str, Any]:
    return {"artifactId": AID, "checkType": "schema", "status": "passed", **changes}


BOUNDS = [
    Bound("/api/campaigns", lambda n: _campaign(objective="o" * n), MAX_TEXT, "brief.objective"),
    Bound(
        "/api/campaigns",
        lambda n: _campaign(toneGuidelines=["w" * n]),
        MAX_TEXT,
        "brief.toneGuidelines[0]",
    ),
    Bound(
        "/api/campaigns",
        lambda n: _campaign(toneGuidelines=texts(n)),
        MAX_LIST_ITEMS,
        "brief.toneGuidelines",
    ),
    Bound(
        "/api/campaigns",
        lambda n: _campaign(brandPalette=["#fff"] * n),
        MAX_LIST_ITEMS,
        "brief.brandPalette",
    ),
    Bound(
        "/api/campaigns",
        lambda n: _campaign(constraints={"rules": ["r" * n]}),
        MAX_TEXT,
        "brief.constraints.rules[0]",
    ),
    Bound(
        "/api/campaigns",
        lambda n: _campaign(constraints={"rules": texts(n)}),
        MAX_LIST_ITEMS,
        "brief.constraints.rules",
    ),
    Bound(
        "/api/campaigns",
        lambda n: _campaign(constraints={"channels": ["c" * n]}),
        MAX_LABEL,
        "brief.constraints.channels[0]",
    ),
    Bound(
        "/api/campaigns",
        lambda n: _campaign(constraints={"channels": texts(n)}),
        MAX_LIST_ITEMS,
        "brief.constraints.channels",
    ),
    Bound(
        AUDITS,
        lambda n: _audit(categoryScores={"tone": {"score": 1, "notes": "n" * n}}),
        MAX_TEXT,
        "categoryScores.tone.notes",
    ),
    Bound(
        AUDITS,
        lambda n: _audit(categoryScores={f"c{i}": {"score": 1} for i in range(n)}),
        MAX_LIST_ITEMS,
        "categoryScores",
    ),
    Bound(
        AUDITS,
        lambda n: _audit(categoryScores={"c" * n: {"score": 1}}),
        MAX_LABEL,
        "categoryScores",
    ),
    Bound(AUDITS, lambda n: _flagged(category="c" * n), MAX_LABEL, "flaggedItems[0].category"),
    Bound(AUDITS, lambda n: _flagged(description="d" * n), MAX_TEXT, "flaggedItems[0].description"),
    Bound(AUDITS, lambda n: _flagged(excerpt="e" * n), MAX_TEXT, "flaggedItems[0].excerpt"),
    Bound(
        AUDITS,
        lambda n: _audit(flaggedItems=_flagged()["flaggedItems"] * n),
        MAX_LIST_ITEMS,
        "flaggedItems",
    ),
    Bound(
        AUDITS, lambda n: _recommended(category="c" * n), MAX_LABEL, "recommendations[0].category"
    ),
    Bound(AUDITS, lambda n: _recommended(text="t" * n), MAX_TEXT, "recommendations[0].text"),
    Bound(
        AUDITS,
        lambda n: _audit(recommendations=_recommended()["recommendations"] * n),
        MAX_LIST_ITEMS,
        "recommendations",
    ),
    Bound(ITERATIONS, lambda n: _iteration(feedbackText="f" * n), MAX_TEXT, "feedbackText"),
    Bound(ITERATIONS, lambda n: _iteration(feedbackTags=["t" * n]), MAX_LABEL, "feedbackTags[0]"),
    Bound(ITERATIONS, lambda n: _iteration(feedbackTags=texts(n)), MAX_LIST_ITEMS, "feedbackTags"),
    Bound(RUNS, lambda n: _run(workflowName="w" * n), MAX_WORKFLOW_NAME, "workflowName"),
    Bound(REVISIONS, lambda n: _revision(feedbackText="f" * n), MAX_TEXT, "feedbackText"),
    Bound(
        REVISIONS,
        lambda n: _revision(specificChanges=["c" * n]),
        MAX_SPECIFIC_CHANGE,
        "specificChanges[0]",
    ),
    Bound(
        REVISIONS,
        lambda n: _revision(specificChanges=["c"] * n),
        MAX_SPECIFIC_CHANGES,
        "specificChanges",
    ),
    Bound(REVISIONS, lambda n: _revision(artifactIds=[AID] * n), MAX_LIST_ITEMS, "artifactIds"),
    Bound(RUNS, lambda n: _run(trigger={"initiatedBy": "a" * n}), MAX_LABEL, "trigger.initiatedBy"),
    Bound(
        RUNS,
        lambda n: _run(trigger={"payload": sized(n)}),
        MAX_JSON_OBJECT_BYTES,
        "trigger.payload",
    ),
    Bound(RUNS, lambda n: _run(trigger={"payload": nested(n)}), MAX_JSON_DEPTH, "trigger.payload"),
    Bound(STEPS, lambda n: {"stepId": "s" * n, "artifacts": []}, MAX_LABEL, "stepId"),
    Bound(STEPS, lambda n: _step(type="p" * n), MAX_LABEL, "artifacts[0].type"),
    Bound(
        STEPS,
        lambda n: _step(metadata=sized(n)),
        MAX_JSON_OBJECT_BYTES,
        "artifacts[0].metadata",
    ),
    Bound(CHECKS, lambda n: _check(checkType="c" * n), MAX_LABEL, "checkType"),
    Bound(CHECKS, lambda n: _check(message="m" * n), MAX_TEXT, "message"),
    Bound(CHECKS, lambda n: _check(details=sized(n)), MAX_JSON_OBJECT_BYTES, "details"),
    Bound(
        f"{B}/runs/{RID}/complete",
        lambda n: {"artifactVersionIds": [VID] * n},
        MAX_LIST_ITEMS,
        "artifactVersionIds",
    ),
]
BOUND_IDS = [f"{bound.field}<={bound.limit}" for bound in BOUNDS]


@pytest.mark.parametrize("bound", BOUNDS, ids=BOUND_IDS)
def test_a_text_list_or_free_form_object_over_its_bound_is_422_naming_the_field(
    client: TestClient, services: FakeServices, bound: Bound
) -> None:
    response = client.post(bound.path, json=bound.body(bound.limit + 1))
    problem = problem_of(response, 422, "validation-failed")
    assert any(field.startswith(bound.field) for field in fields_of(problem)), problem["errors"]
    assert services.commands.calls == []


@pytest.mark.parametrize("bound", BOUNDS, ids=BOUND_IDS)
def test_a_text_list_or_free_form_object_at_its_bound_is_accepted(
    client: TestClient, services: FakeServices, bound: Bound
) -> None:
    response = client.post(bound.path, json=bound.body(bound.limit))
    assert response.status_code in (200, 201), response.text
    assert len(services.commands.calls) == 1
