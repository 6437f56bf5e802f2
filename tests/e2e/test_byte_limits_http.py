"""413 only beyond the documented byte limits (issue #17, item 11): on the real embedded store,
a command within them is stored and read back whole, one beyond them is refused with the
status the CHANGELOG names (413 ``command-too-large`` for a body, 409
``context-capacity-exceeded`` for a run's context, as for its 51st artifact)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from domain.runs import MAX_CONTEXT_BYTES
from domain.values import MAX_COMMAND_BYTES
from tests.e2e.conftest import (
    brief,
    check,
    context_artifact,
    create_artifact,
    create_campaign,
    problem,
    read_fresh,
)


def escaped(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=True))


def content_of_escaped_size(size: int, character: str) -> str:
    """A content whose body ``{"content": ...}`` takes ``size`` bytes escaped."""
    envelope = escaped({"content": ""})
    per_character = escaped(character) - 2  # without its quotes
    return character * ((size - envelope) // per_character)


def test_non_ascii_content_up_to_the_command_limit_is_stored_whole(http: httpx.Client) -> None:
    cid = create_campaign(http)["id"]
    aid = create_artifact(http, cid)
    content = content_of_escaped_size(MAX_COMMAND_BYTES, "\u00e9")
    assert escaped({"content": content}) <= MAX_COMMAND_BYTES
    created = check(
        http.post(f"/api/campaigns/{cid}/artifacts/{aid}/versions", json={"content": content}),
        201,
    )
    stored = check(
        read_fresh(http, f"/api/campaigns/{cid}/versions/{created['id']}", created["version"]), 200
    )
    assert stored["content"] == content


def test_content_past_the_command_limit_is_413_command_too_large(http: httpx.Client) -> None:
    cid = create_campaign(http)["id"]
    aid = create_artifact(http, cid)
    content = content_of_escaped_size(MAX_COMMAND_BYTES + 12, "\U0001f642")
    assert escaped({"content": content}) > MAX_COMMAND_BYTES
    assert len(content) < 1_048_576  # within API.md's character limit
    response = http.post(
        f"/api/campaigns/{cid}/artifacts/{aid}/versions", json={"content": content}
    )
    problem(response, 413, "command-too-large")


def steps_of(count: int, metadata_bytes: int) -> list[dict[str, Any]]:
    return [
        {**context_artifact("sfx"), "metadata": {"m": "x" * metadata_bytes}} for _ in range(count)
    ]


def running_run(http: httpx.Client) -> str:
    cid = create_campaign(http)["id"]
    rid = check(http.post(f"/api/campaigns/{cid}/runs", json={"executionMode": "Parallel"}), 201)[
        "id"
    ]
    check(http.post(f"/api/campaigns/{cid}/runs/{rid}/start"), 200)
    return f"/api/campaigns/{cid}/runs/{rid}"


def test_thirty_artifacts_with_large_metadata_within_the_capacity_are_stored_and_read(
    http: httpx.Client,
) -> None:
    run = running_run(http)
    artifacts = steps_of(30, 29_500)
    assert escaped(artifacts) <= MAX_CONTEXT_BYTES
    answer = check(
        http.post(f"{run}/steps", json={"stepId": "render", "artifacts": artifacts}), 200
    )
    view = check(read_fresh(http, run, answer["version"]), 200)
    assert len(view["context"]["artifacts"]) == 30


def test_a_context_past_its_capacity_in_bytes_is_409_not_413(http: httpx.Client) -> None:
    run = running_run(http)
    artifacts = steps_of(30, 40_000)
    response = http.post(f"{run}/steps", json={"stepId": "render", "artifacts": artifacts})
    problem(response, 409, "context-capacity-exceeded")


def test_a_brief_near_the_command_limit_is_stored_and_read(http: httpx.Client) -> None:
    texts = ["t" * 4_000] * 200
    big = brief(toneGuidelines=texts, constraints={"rules": texts})
    assert escaped({"name": "Big", "brief": big}) <= MAX_COMMAND_BYTES
    created = create_campaign(http, "Big", brief=big)
    snapshot = check(read_fresh(http, f"/api/campaigns/{created['id']}", created["version"]), 200)
    assert snapshot["brief"]["constraints"]["rules"] == texts
