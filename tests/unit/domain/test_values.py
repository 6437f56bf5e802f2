"""The value objects refuse, whoever builds them, what a JSON document store could not keep
exactly and what would let one campaign's views grow without bound."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from domain.json_values import walk_json
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
    NOT_A_FINITE_NUMBER,
    AuditReport,
    Brief,
    CategoryScore,
    Constraints,
    ContextArtifact,
    FlaggedItem,
    Iteration,
    QualityCheck,
    Recommendation,
    Revision,
    Trigger,
)

ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
OTHER_ID = "1b4e28ba-2fa1-41d2-883f-0016d3cca427"
HASH = "a" * 64


def trigger(payload: Any) -> Trigger:
    return Trigger(payload=payload)


def artifact(metadata: Any) -> ContextArtifact:
    return ContextArtifact(id=ID, type="plan", uri="blob://p", hash=HASH, metadata=metadata)


def check(details: Any) -> QualityCheck:
    return QualityCheck(artifact_id=ID, check_type="schema", status="passed", details=details)


FREE_FORM: list[Callable[[Any], BaseModel]] = [trigger, artifact, check]
FREE_FORM_IDS = ["trigger.payload", "artifact.metadata", "check.details"]


def refusal_of(build: Callable[[], Any]) -> str:
    """The one message of the ``ValidationError`` that building raises."""
    with pytest.raises(ValidationError) as refused:
        build()
    (error,) = refused.value.errors()
    return str(error["msg"]).removeprefix("Value error, ")


@pytest.mark.parametrize("build", FREE_FORM, ids=FREE_FORM_IDS)
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"n": MAX_EXACT_INTEGER + 1}, f"n: {INTEGER_OUT_OF_RANGE}"),
        ({"n": [0, {"m": -(10**30)}]}, f"n[1].m: {INTEGER_OUT_OF_RANGE}"),
        ({"ratio": math.inf}, f"ratio: {NOT_A_FINITE_NUMBER}"),
        ({"ratio": -math.inf}, f"ratio: {NOT_A_FINITE_NUMBER}"),
        ({"ratio": math.nan}, f"ratio: {NOT_A_FINITE_NUMBER}"),
    ],
)
def test_a_free_form_object_with_a_number_a_document_store_cannot_keep_cannot_be_built(
    build: Callable[[Any], BaseModel], value: dict[str, Any], message: str
) -> None:
    assert refusal_of(lambda: build(value)) == message


@pytest.mark.parametrize("build", FREE_FORM, ids=FREE_FORM_IDS)
def test_a_free_form_object_keeps_integers_up_to_two_to_the_53_and_finite_doubles(
    build: Callable[[Any], BaseModel],
) -> None:
    value = {"top": MAX_EXACT_INTEGER, "bottom": -MAX_EXACT_INTEGER, "x": 1.7e308, "ok": True}
    assert value in build(value).model_dump().values()


@pytest.mark.parametrize("build", FREE_FORM, ids=FREE_FORM_IDS)
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"when": object()}, "when: must hold only JSON values, not object"),
        ({"pair": (1, 2)}, "pair: must hold only JSON values, not tuple"),
        ({"inner": {1: "x"}}, "inner: must have text keys"),
        ({"text": "\ud800"}, "must hold only text without lone surrogates"),
    ],
)
def test_a_free_form_object_holds_only_json_values(
    build: Callable[[Any], BaseModel], value: dict[str, Any], message: str
) -> None:
    assert refusal_of(lambda: build(value)) == message


def nested(depth: int) -> dict[str, Any]:
    value: Any = "leaf"
    for _ in range(depth - 1):
        value = {"k": value}
    return {"k": value}


@pytest.mark.parametrize("build", FREE_FORM, ids=FREE_FORM_IDS)
def test_a_free_form_object_nests_at_most_32_levels(build: Callable[[Any], BaseModel]) -> None:
    build(nested(MAX_JSON_DEPTH))
    message = refusal_of(lambda: build(nested(MAX_JSON_DEPTH + 1)))
    assert message.endswith(f"must not nest more than {MAX_JSON_DEPTH} levels deep")


def test_nesting_far_deeper_than_the_interpreter_recurses_is_refused_not_a_crash() -> None:
    assert "must not nest" in refusal_of(lambda: trigger(nested(100_000)))


@pytest.mark.parametrize("build", FREE_FORM, ids=FREE_FORM_IDS)
def test_a_free_form_object_is_at_most_64_kib_as_compact_json(
    build: Callable[[Any], BaseModel],
) -> None:
    envelope = len('{"k":""}')
    build({"k": "x" * (MAX_JSON_OBJECT_BYTES - envelope)})
    message = refusal_of(lambda: build({"k": "é" * ((MAX_JSON_OBJECT_BYTES - envelope) // 2 + 1)}))
    assert message == f"must be at most {MAX_JSON_OBJECT_BYTES} bytes as JSON, not 65538"


def test_walk_json_names_every_value_with_its_path_depth_first() -> None:
    walked = [(place.path, item) for place, item in walk_json({"a": [1, {"b": None}], "c": "x"})]
    assert walked == [
        ((), {"a": [1, {"b": None}], "c": "x"}),
        (("a",), [1, {"b": None}]),
        (("a", 0), 1),
        (("a", 1), {"b": None}),
        (("a", 1, "b"), None),
        (("c",), "x"),
    ]


def _brief(**changes: Any) -> Brief:
    return Brief.model_validate(
        {"objective": "o", "targetAudience": "a", "productDetails": "p", **changes}
    )


def _iteration(**changes: Any) -> Iteration:
    return Iteration.model_validate(
        {
            "artifactId": ID,
            "oldVersionId": ID,
            "newVersionId": OTHER_ID,
            "feedbackText": "f",
            **changes,
        }
    )


def _revision(**changes: Any) -> Revision:
    return Revision.model_validate({"reason": "user-feedback", "feedbackText": "f", **changes})


def _audit(**changes: Any) -> AuditReport:
    return AuditReport.model_validate({"overallStatus": "Pass", "categoryScores": {}, **changes})


BOUNDED: list[tuple[str, Callable[[int], Any], int]] = [
    ("Brief.objective", lambda n: _brief(objective="o" * n), MAX_TEXT),
    ("Brief.toneGuidelines[0]", lambda n: _brief(toneGuidelines=["t" * n]), MAX_TEXT),
    ("Brief.toneGuidelines", lambda n: _brief(toneGuidelines=["t"] * n), MAX_LIST_ITEMS),
    ("Brief.brandPalette", lambda n: _brief(brandPalette=["#fff"] * n), MAX_LIST_ITEMS),
    ("Constraints.rules[0]", lambda n: Constraints(rules=["r" * n]), MAX_TEXT),
    ("Constraints.rules", lambda n: Constraints(rules=["r"] * n), MAX_LIST_ITEMS),
    ("Constraints.channels[0]", lambda n: Constraints(channels=["c" * n]), MAX_LABEL),
    ("Constraints.channels", lambda n: Constraints(channels=["c"] * n), MAX_LIST_ITEMS),
    ("CategoryScore.notes", lambda n: CategoryScore(score=1, notes="n" * n), MAX_TEXT),
    (
        "FlaggedItem.category",
        lambda n: FlaggedItem(category="c" * n, severity="Low", description="d"),
        MAX_LABEL,
    ),
    (
        "FlaggedItem.description",
        lambda n: FlaggedItem(category="c", severity="Low", description="d" * n),
        MAX_TEXT,
    ),
    (
        "FlaggedItem.excerpt",
        lambda n: FlaggedItem(category="c", severity="Low", description="d", excerpt="e" * n),
        MAX_TEXT,
    ),
    ("Recommendation.category", lambda n: Recommendation(category="c" * n, text="t"), MAX_LABEL),
    ("Recommendation.text", lambda n: Recommendation(category="c", text="t" * n), MAX_TEXT),
    (
        "AuditReport.categoryScores",
        lambda n: _audit(categoryScores={f"c{i}": {"score": 1} for i in range(n)}),
        MAX_LIST_ITEMS,
    ),
    (
        "AuditReport.categoryScores names",
        lambda n: _audit(categoryScores={"c" * n: {"score": 1}}),
        MAX_LABEL,
    ),
    (
        "AuditReport.flaggedItems",
        lambda n: _audit(
            flaggedItems=[{"category": "c", "severity": "Low", "description": "d"}] * n
        ),
        MAX_LIST_ITEMS,
    ),
    (
        "AuditReport.recommendations",
        lambda n: _audit(recommendations=[{"category": "c", "text": "t"}] * n),
        MAX_LIST_ITEMS,
    ),
    ("Iteration.feedbackText", lambda n: _iteration(feedbackText="f" * n), MAX_TEXT),
    ("Iteration.feedbackTags[0]", lambda n: _iteration(feedbackTags=["t" * n]), MAX_LABEL),
    ("Iteration.feedbackTags", lambda n: _iteration(feedbackTags=["t"] * n), MAX_LIST_ITEMS),
    ("Trigger.initiatedBy", lambda n: Trigger(initiated_by="a" * n), MAX_LABEL),
    ("Revision.feedbackText", lambda n: _revision(feedbackText="f" * n), MAX_TEXT),
    (
        "Revision.specificChanges[0]",
        lambda n: _revision(specificChanges=["c" * n]),
        MAX_SPECIFIC_CHANGE,
    ),
    (
        "Revision.specificChanges",
        lambda n: _revision(specificChanges=["c"] * n),
        MAX_SPECIFIC_CHANGES,
    ),
    ("Revision.artifactIds", lambda n: _revision(artifactIds=[ID] * n), MAX_LIST_ITEMS),
    (
        "ContextArtifact.type",
        lambda n: ContextArtifact(id=ID, type="p" * n, uri="blob://p", hash=HASH),
        MAX_LABEL,
    ),
    (
        "QualityCheck.checkType",
        lambda n: QualityCheck(artifact_id=ID, check_type="c" * n, status="passed"),
        MAX_LABEL,
    ),
    (
        "QualityCheck.message",
        lambda n: QualityCheck(artifact_id=ID, check_type="c", status="passed", message="m" * n),
        MAX_TEXT,
    ),
]


@pytest.mark.parametrize(
    ("build", "limit"), [bound[1:] for bound in BOUNDED], ids=[bound[0] for bound in BOUNDED]
)
def test_every_text_and_list_of_a_value_is_bounded(build: Callable[[int], Any], limit: int) -> None:
    build(limit)
    with pytest.raises(ValidationError):
        build(limit + 1)


def test_the_integers_of_a_value_stay_within_two_to_the_53() -> None:
    assert Constraints(max_words=MAX_EXACT_INTEGER).max_words == MAX_EXACT_INTEGER
    assert Recommendation(category="c", text="t", priority=-MAX_EXACT_INTEGER).priority
    with pytest.raises(ValidationError):
        Constraints(max_words=MAX_EXACT_INTEGER + 1)
    with pytest.raises(ValidationError):
        Recommendation(category="c", text="t", priority=-MAX_EXACT_INTEGER - 1)


def test_a_trigger_timestamp_is_kept_in_utc_and_must_carry_an_offset() -> None:
    trigger = Trigger.model_validate({"timestamp": "2026-03-01T10:00:00+02:00"})

    assert trigger.to_json() == {"type": "api", "timestamp": "2026-03-01T08:00:00+00:00"}
    assert Trigger().to_json() == {"type": "api"}
    with pytest.raises(ValidationError):
        Trigger.model_validate({"timestamp": "2026-03-01T10:00:00"})
    with pytest.raises(ValidationError):
        Trigger.model_validate({"timestamp": "yesterday"})


def test_a_revision_needs_a_known_reason_and_feedback_that_says_something() -> None:
    revision = _revision(specificChanges=["shorter"], artifactIds=[ID.upper()])

    assert revision.to_json() == {
        "reason": "user-feedback",
        "feedbackText": "f",
        "specificChanges": ["shorter"],
        "artifactIds": [ID],
    }
    for bad in ({"reason": "whim"}, {"feedbackText": " "}, {"artifactIds": ["nope"]}):
        with pytest.raises(ValidationError):
            _revision(**bad)
