"""Artifacts, versions, audits, approval, archiving, active versions and iterations over real
HTTP on the embedded store."""

from __future__ import annotations

import httpx

from api.answers import EntityAnswer, NumberedVersionAnswer, StatusAnswer, VersionAnswer
from api.views import AuditList, CampaignSnapshot, IterationList, VersionDetail, VersionHistory
from tests.e2e.conftest import (
    check,
    conforms,
    create_artifact,
    create_campaign,
    create_version,
    new_id,
    passing_audit,
    problem,
    read_fresh,
)


def test_versions_are_numbered_per_artifact_and_listed_ascending(http: httpx.Client) -> None:
    cid = create_campaign(http)["id"]
    copy = create_artifact(http, cid, "Copy")
    short = create_artifact(http, cid, "ShortCopy")
    duplicate = http.post(f"/api/campaigns/{cid}/artifacts", json={"type": "Copy"})
    problem(duplicate, 409, "duplicate-artifact-type")
    problem(
        http.post(f"/api/campaigns/{cid}/artifacts", json={"type": "Banner"}),
        422,
        "validation-failed",
    )

    response = http.post(
        f"/api/campaigns/{cid}/artifacts/{copy}/versions", json={"content": '{"headline": "Go"}'}
    )
    first = conforms(NumberedVersionAnswer, response)
    assert response.status_code == 201
    assert response.headers["Location"] == f"/api/campaigns/{cid}/versions/{first['id']}"
    second = create_version(http, cid, copy, "v2")
    other = create_version(http, cid, short, "short")
    assert (first["versionNumber"], second["versionNumber"], other["versionNumber"]) == (1, 2, 1)

    history = conforms(
        VersionHistory,
        read_fresh(http, f"/api/campaigns/{cid}/artifacts/{copy}/versions", other["version"]),
    )
    assert history["artifactId"] == copy
    assert history["type"] == "Copy"
    assert [v["versionNumber"] for v in history["versions"]] == [1, 2]
    assert [v["id"] for v in history["versions"]] == [first["id"], second["id"]]
    assert history["versions"][0]["status"] == "Generated"
    assert history["versions"][0]["auditStatus"] is None

    version = conforms(VersionDetail, http.get(f"/api/campaigns/{cid}/versions/{first['id']}"))
    assert version["content"] == '{"headline": "Go"}'
    assert (version["artifactId"], version["artifactType"], version["versionNumber"]) == (
        copy,
        "Copy",
        1,
    )
    assert version["runId"] is None

    problem(http.get(f"/api/campaigns/{cid}/versions/{new_id()}"), 404, "entity-not-found")
    problem(
        http.post(f"/api/campaigns/{cid}/artifacts/{new_id()}/versions", json={"content": "x"}),
        404,
        "entity-not-found",
    )
    problem(
        http.post(
            f"/api/campaigns/{cid}/artifacts/{copy}/versions",
            json={"content": "x", "runId": new_id()},
        ),
        409,
        "unknown-reference",
    )


def test_audits_decide_approval_and_are_all_kept(http: httpx.Client) -> None:
    cid = create_campaign(http)["id"]
    copy = create_artifact(http, cid)
    vid = create_version(http, cid, copy)["id"]
    audits = f"/api/campaigns/{cid}/versions/{vid}/audits"

    failing = {**passing_audit(), "overallStatus": "Fail"}
    failed = conforms(EntityAnswer, http.post(audits, json=failing))
    problem(
        http.post(f"/api/campaigns/{cid}/versions/{vid}/approve"), 409, "version-not-approvable"
    )
    passed = check(http.post(audits, json=passing_audit()), 201)
    approved = conforms(StatusAnswer, http.post(f"/api/campaigns/{cid}/versions/{vid}/approve"))
    assert approved["status"] == "Approved"
    again = check(http.post(f"/api/campaigns/{cid}/versions/{vid}/approve"), 200)
    assert again["version"] == approved["version"]

    listed = conforms(AuditList, read_fresh(http, audits, approved["version"]))["items"]
    assert [a["id"] for a in listed] == [failed["id"], passed["id"]]
    assert listed[1]["categoryScores"]["brand"]["score"] == 91
    assert listed[1]["flaggedItems"][0]["severity"] == "Low"
    version = check(http.get(f"/api/campaigns/{cid}/versions/{vid}"), 200)
    assert version["status"] == "Approved"
    assert version["auditReportIds"] == [failed["id"], passed["id"]]
    problem(http.post(audits, json=passing_audit()), 409, "version-approved")
    problem(
        http.post(f"/api/campaigns/{cid}/versions/{new_id()}/audits", json=passing_audit()),
        404,
        "entity-not-found",
    )
    problem(http.post(audits, json={"overallStatus": "Pass"}), 422, "validation-failed")


def test_active_versions_archiving_and_the_snapshot(http: httpx.Client) -> None:
    cid = create_campaign(http)["id"]
    copy = create_artifact(http, cid)
    v1 = create_version(http, cid, copy, "one")["id"]
    v2 = create_version(http, cid, copy, "two")["id"]
    check(http.post(f"/api/campaigns/{cid}/versions/{v2}/audits", json=passing_audit()), 201)

    active = conforms(
        VersionAnswer,
        http.put(f"/api/campaigns/{cid}/active-versions/Copy", json={"versionId": v2}),
    )
    assert set(active) == {"version"}
    problem(
        http.put(f"/api/campaigns/{cid}/active-versions/Copy", json={"versionId": new_id()}),
        409,
        "unknown-reference",
    )
    problem(
        http.put(f"/api/campaigns/{cid}/active-versions/Poster", json={"versionId": v2}),
        422,
        "validation-failed",
    )
    wrong_type = http.put(f"/api/campaigns/{cid}/active-versions/ShortCopy", json={"versionId": v2})
    problem(wrong_type, 409, "version-artifact-mismatch")
    problem(
        http.post(f"/api/campaigns/{cid}/versions/{v2}/archive"),
        409,
        "active-version-cannot-be-archived",
    )

    archived = conforms(StatusAnswer, http.post(f"/api/campaigns/{cid}/versions/{v1}/archive"))
    assert archived["status"] == "Archived"
    problem(http.post(f"/api/campaigns/{cid}/versions/{v1}/approve"), 409, "version-archived")
    audit_archived = http.post(f"/api/campaigns/{cid}/versions/{v1}/audits", json=passing_audit())
    problem(audit_archived, 409, "version-archived")
    activate_archived = http.put(
        f"/api/campaigns/{cid}/active-versions/Copy", json={"versionId": v1}
    )
    problem(activate_archived, 409, "version-archived")
    assert (
        check(
            http.get(f"/api/campaigns/{cid}/versions/{v1}?minVersion={archived['version']}"), 200
        )["status"]
        == "Archived"
    )

    snapshot = conforms(
        CampaignSnapshot, read_fresh(http, f"/api/campaigns/{cid}", archived["version"])
    )
    assert snapshot["activeVersions"]["Copy"]["id"] == v2
    assert snapshot["activeVersions"]["Copy"]["content"] == "two"
    assert v2 in snapshot["auditReports"]
    (artifact,) = snapshot["artifacts"]
    assert (artifact["id"], artifact["type"], artifact["versionCount"]) == (copy, "Copy", 2)
    assert artifact["latestVersionId"] == v2


def test_iterations_link_versions_of_one_artifact_oldest_first(http: httpx.Client) -> None:
    cid = create_campaign(http)["id"]
    copy = create_artifact(http, cid)
    short = create_artifact(http, cid, "ShortCopy")
    v1 = create_version(http, cid, copy)["id"]
    v2 = create_version(http, cid, copy)["id"]
    s1 = create_version(http, cid, short)["id"]
    s2 = create_version(http, cid, short)["id"]
    path = f"/api/campaigns/{cid}/iterations"

    body = {"artifactId": copy, "oldVersionId": v1, "newVersionId": v2, "feedbackText": "punchier"}
    first = http.post(path, json={**body, "feedbackTags": ["tone"]})
    assert first.status_code == 201
    second = check(
        http.post(
            path,
            json={"artifactId": short, "oldVersionId": s1, "newVersionId": s2, "feedbackText": "x"},
        ),
        201,
    )
    problem(http.post(path, json={**body, "newVersionId": new_id()}), 409, "unknown-reference")
    backwards = http.post(path, json={**body, "oldVersionId": v2, "newVersionId": v1})
    problem(backwards, 409, "iteration-order")
    problem(http.post(path, json={**body, "feedbackText": "  "}), 422, "validation-failed")

    everything = conforms(IterationList, read_fresh(http, path, second["version"]))["items"]
    assert [i["id"] for i in everything] == [first.json()["id"], second["id"]]
    assert everything[0]["feedbackTags"] == ["tone"]
    only_copy = check(http.get(path, params={"artifactId": copy}), 200)["items"]
    assert [i["artifactId"] for i in only_copy] == [copy]
