"""Orchestration runs over real HTTP on the embedded store: queue, start, steps, quality checks,
complete, fail, cancel, and the run's context."""

from __future__ import annotations

import httpx

from api.answers import EntityAnswer, StatusAnswer
from api.views import RunDetail
from tests.e2e.conftest import (
    HASH,
    check,
    conforms,
    context_artifact,
    create_artifact,
    create_campaign,
    create_version,
    new_id,
    problem,
    read_fresh,
)


def test_a_run_collects_step_artifacts_checks_and_completes(http: httpx.Client) -> None:
    cid = create_campaign(http)["id"]
    vid = create_version(http, cid, create_artifact(http, cid))["id"]
    runs = f"/api/campaigns/{cid}/runs"
    queued = http.post(
        runs,
        json={
            "executionMode": "Sequential",
            "workflowName": "full",
            "trigger": {"type": "manual", "initiatedBy": "ana", "payload": {"k": 1}},
        },
    )
    rid = conforms(EntityAnswer, queued)["id"]
    assert queued.status_code == 201
    assert queued.headers["Location"] == f"{runs}/{rid}"
    run = f"{runs}/{rid}"

    plan = context_artifact("plan")
    not_running = http.post(f"{run}/steps", json={"stepId": "s1", "artifacts": [plan]})
    problem(not_running, 409, "run-not-running")
    started = conforms(StatusAnswer, http.post(f"{run}/start"))
    assert started["status"] == "Running"
    step = check(
        http.post(f"{run}/steps", json={"stepId": "plan", "inputHash": HASH, "artifacts": [plan]}),
        200,
    )
    image = context_artifact("intro_image")
    check(http.post(f"{run}/steps", json={"stepId": "img", "artifacts": [image]}), 200)
    problem(
        http.post(f"{run}/steps", json={"stepId": "again", "artifacts": [plan]}),
        409,
        "duplicate-artifact-id",
    )
    problem(
        http.post(f"{run}/steps", json={"stepId": "x", "artifacts": [context_artifact("poster")]}),
        422,
        "invalid-artifact-type",
    )
    check(
        http.post(
            f"{run}/quality-checks",
            json={"artifactId": plan["id"], "checkType": "schema", "status": "passed"},
        ),
        200,
    )
    problem(
        http.post(
            f"{run}/quality-checks",
            json={"artifactId": new_id(), "checkType": "schema", "status": "passed"},
        ),
        409,
        "unknown-reference",
    )
    problem(
        http.post(f"{run}/complete", json={"artifactVersionIds": [new_id()]}),
        409,
        "unknown-reference",
    )
    completed = conforms(
        StatusAnswer, http.post(f"{run}/complete", json={"artifactVersionIds": [vid]})
    )
    assert completed["status"] == "Completed"
    problem(http.post(f"{run}/cancel"), 409, "invalid-run-transition")

    detail = conforms(RunDetail, read_fresh(http, run, completed["version"]))
    assert detail["status"] == "Completed"
    assert detail["executionMode"] == "Sequential"
    assert detail["artifactVersionIds"] == [vid]
    assert detail["startedAt"]
    assert detail["completedAt"]
    context = detail["context"]
    assert (context["campaignId"], context["runId"], context["workflowName"]) == (cid, rid, "full")
    assert context["trigger"]["type"] == "manual"
    assert context["refs"] == {"planArtifactId": plan["id"], "introImageArtifactId": image["id"]}
    assert context["artifacts"][plan["id"]]["hash"] == HASH
    assert context["artifacts"][plan["id"]]["stepId"] == "plan"
    assert context["computed"]["inputHashesByStep"] == {"plan": HASH}
    (quality,) = context["computed"]["qualityChecks"]
    assert (quality["artifactId"], quality["status"]) == (plan["id"], "passed")
    assert step["version"] < completed["version"]

    snapshot = check(http.get(f"/api/campaigns/{cid}"), 200)
    assert [(r["id"], r["status"]) for r in snapshot["runs"]] == [(rid, "Completed")]


def test_a_run_can_fail_or_be_cancelled_and_a_new_run_starts_from_a_base(
    http: httpx.Client,
) -> None:
    cid = create_campaign(http)["id"]
    runs = f"/api/campaigns/{cid}/runs"
    first = check(http.post(runs, json={"executionMode": "Parallel"}), 201)["id"]
    check(http.post(f"{runs}/{first}/start"), 200)
    plan = context_artifact("plan")
    check(http.post(f"{runs}/{first}/steps", json={"stepId": "p", "artifacts": [plan]}), 200)
    problem(http.post(f"{runs}/{first}/fail", json={"errorMessage": ""}), 422, "validation-failed")
    failed = conforms(
        StatusAnswer, http.post(f"{runs}/{first}/fail", json={"errorMessage": "timeout"})
    )
    assert failed["status"] == "Failed"

    second = check(http.post(runs, json={"executionMode": "Parallel", "baseRunId": first}), 201)[
        "id"
    ]
    cancelled = conforms(StatusAnswer, http.post(f"{runs}/{second}/cancel"))
    assert cancelled["status"] == "Cancelled"
    problem(http.post(f"{runs}/{second}/start"), 409, "invalid-run-transition")
    problem(
        http.post(runs, json={"executionMode": "Parallel", "baseRunId": new_id()}),
        409,
        "unknown-reference",
    )
    problem(http.post(runs, json={"executionMode": "Fast"}), 422, "validation-failed")
    problem(http.post(f"{runs}/{new_id()}/start"), 404, "entity-not-found")

    failed_run = check(read_fresh(http, f"{runs}/{first}", cancelled["version"]), 200)
    assert failed_run["errorMessage"] == "timeout"
    based = check(http.get(f"{runs}/{second}"), 200)
    assert based["status"] == "Cancelled"
    assert based["context"]["refs"] == {"planArtifactId": plan["id"]}
    assert plan["id"] in based["context"]["artifacts"]
