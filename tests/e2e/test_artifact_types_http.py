"""The artifact-type registry and the run context over real HTTP (API.md round 2, "Artifact types
and run context"), on a service started with the data model's own example of the artifact-types
file (``config/artifact-types.json``, with its ``$schema``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.tenant_reads import ArtifactTypeList
from api.views import RunDetail
from domain.artifact_types import STANDARD_ARTIFACT_TYPES
from tests.e2e.conftest import (
    RunningService,
    check,
    conforms,
    context_artifact,
    create_campaign,
    e2e_settings,
    problem,
    read_fresh,
    running_service,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "artifact-types.json"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    settings = e2e_settings(
        tmp_path_factory.mktemp("artifact-types"), ledger_artifact_types_file=EXAMPLE
    )
    with running_service(settings) as running:
        yield running


def test_the_example_file_with_its_schema_key_starts_the_service_and_registers_its_type(
    http: httpx.Client,
) -> None:
    answer = http.get("/api/artifact-types")

    body = conforms(ArtifactTypeList, answer)
    assert [item["name"] for item in body["items"]] == [*STANDARD_ARTIFACT_TYPES, "custom_asset"]
    assert body["items"][-1] == {
        "name": "custom_asset",
        "refName": "customAssetArtifactId",
        "standard": False,
        "description": "Custom asset type for specific workflows",
    }
    assert all(item["standard"] for item in body["items"][:-1])
    assert body["items"][1]["refName"] == "introImageArtifactId"
    assert answer.headers["Cache-Control"] == "private, no-cache"
    again = http.get("/api/artifact-types", headers={"If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304


def test_the_registry_is_the_same_for_every_tenant_and_checks_the_tenant(
    service: RunningService,
) -> None:
    with service.client(**{"X-Tenant-Id": "other"}) as other:
        assert len(check(other.get("/api/artifact-types"), 200)["items"]) == 13
    with service.client(**{"X-Tenant-Id": "a b"}) as bad:
        problem(bad.get("/api/artifact-types"), 400, "invalid-tenant")


def running_run(http: httpx.Client, cid: str, **body: object) -> dict[str, object]:
    queued = check(
        http.post(f"/api/campaigns/{cid}/runs", json={"executionMode": "Parallel", **body}), 201
    )
    check(http.post(f"/api/campaigns/{cid}/runs/{queued['id']}/start"), 200)
    return queued


def test_a_custom_type_of_the_file_is_accepted_in_a_run_context_under_its_reference_name(
    http: httpx.Client,
) -> None:
    cid = create_campaign(http)["id"]
    run = running_run(http, cid)
    custom = context_artifact("custom_asset")

    step = check(
        http.post(
            f"/api/campaigns/{cid}/runs/{run['id']}/steps",
            json={"stepId": "assets", "artifacts": [custom]},
        ),
        200,
    )

    detail = check(read_fresh(http, f"/api/campaigns/{cid}/runs/{run['id']}", step["version"]), 200)
    assert detail["context"]["refs"] == {"customAssetArtifactId": custom["id"]}
    unknown = http.post(
        f"/api/campaigns/{cid}/runs/{run['id']}/steps",
        json={"stepId": "more", "artifacts": [context_artifact("voice_over")]},
    )
    problem(unknown, 422, "invalid-artifact-type")


def test_a_runs_trigger_has_the_time_it_was_queued_and_who_initiated_it(
    http: httpx.Client,
) -> None:
    cid = create_campaign(http)["id"]
    queued = check(
        http.post(
            f"/api/campaigns/{cid}/runs",
            json={"executionMode": "Parallel", "trigger": {"type": "manual", "initiatedBy": "ops"}},
        ),
        201,
    )
    given = check(
        http.post(
            f"/api/campaigns/{cid}/runs",
            json={
                "executionMode": "Sequential",
                "trigger": {"type": "scheduled", "timestamp": "2026-03-01T10:00:00+02:00"},
            },
        ),
        201,
    )
    defaulted = check(
        http.post(f"/api/campaigns/{cid}/runs", json={"executionMode": "Parallel"}), 201
    )

    events = check(http.get(f"/api/campaigns/{cid}/events?after=1"), 200)["items"]
    run_path = f"/api/campaigns/{cid}/runs"
    first = conforms(
        RunDetail, read_fresh(http, f"{run_path}/{queued['id']}", defaulted["version"])
    )
    assert first["context"]["trigger"] == {
        "type": "manual",
        "initiatedBy": "ops",
        "timestamp": events[0]["recordedAt"],
    }
    second = check(http.get(f"{run_path}/{given['id']}"), 200)
    assert second["context"]["trigger"] == {
        "type": "scheduled",
        "timestamp": "2026-03-01T08:00:00+00:00",
    }
    third = check(http.get(f"{run_path}/{defaulted['id']}"), 200)
    assert third["context"]["trigger"] == {"type": "api", "timestamp": events[2]["recordedAt"]}


@pytest.mark.parametrize(
    ("trigger", "field"),
    [
        ({"timestamp": "2026-03-01T10:00:00"}, "trigger.timestamp"),
        ({"timestamp": "yesterday"}, "trigger.timestamp"),
        ({"timestamp": 17}, "trigger.timestamp"),
        ({"initiatedBy": "o" * 201}, "trigger.initiatedBy"),
    ],
)
def test_a_trigger_time_without_an_offset_or_unreadable_is_422(
    http: httpx.Client, trigger: dict[str, object], field: str
) -> None:
    cid = create_campaign(http)["id"]

    refused = http.post(
        f"/api/campaigns/{cid}/runs", json={"executionMode": "Parallel", "trigger": trigger}
    )

    body = problem(refused, 422, "validation-failed")
    assert field in [error["field"] for error in body["errors"]]


def test_a_workflow_name_may_have_255_characters_not_256(http: httpx.Client) -> None:
    cid = create_campaign(http)["id"]

    longest = check(
        http.post(
            f"/api/campaigns/{cid}/runs",
            json={"executionMode": "Parallel", "workflowName": "w" * 255, "id": str(uuid.uuid4())},
        ),
        201,
    )
    too_long = http.post(
        f"/api/campaigns/{cid}/runs", json={"executionMode": "Parallel", "workflowName": "w" * 256}
    )

    body = problem(too_long, 422, "validation-failed")
    assert [error["field"] for error in body["errors"]] == ["workflowName"]
    detail = check(
        read_fresh(http, f"/api/campaigns/{cid}/runs/{longest['id']}", longest["version"]), 200
    )
    assert detail["context"]["workflowName"] == "w" * 255
