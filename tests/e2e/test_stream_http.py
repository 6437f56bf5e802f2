"""Live updates over real HTTP: ``GET /api/campaigns/{cid}/stream`` (Server-Sent Events) on the
embedded store, with the in-process change-feed processor publishing to the hub. Subscribers
hear every notification in order, resume with ``Last-Event-ID`` without gap or duplicate, get
heartbeats, and are bounded in number."""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import (
    RunningService,
    check,
    create_artifact,
    create_campaign,
    create_version,
    e2e_settings,
    passing_audit,
    problem,
    running_service,
)

STREAM_PATH = "/api/campaigns/{cid}/stream"
WAIT = 10.0
MAX_SUBSCRIBERS = 6


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    settings = e2e_settings(
        Path(tmp_path_factory.mktemp("stream")),
        ledger_stream_heartbeat_seconds=0.25,
        ledger_stream_max_subscribers=MAX_SUBSCRIBERS,
        ledger_poll_interval=0.02,
    )
    with running_service(settings) as running:
        yield running


@pytest.fixture
def tenant() -> str:
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture
def http(service: RunningService, tenant: str) -> Iterator[httpx.Client]:
    with service.client(**{"X-Tenant-Id": tenant}) as client:
        yield client


@dataclass(frozen=True)
class ServerSentEvent:
    id: str | None
    event: str | None
    data: dict[str, Any]


class Listener:
    """An SSE client on a thread: parsed events and heartbeats arrive in a queue."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.events: queue.Queue[ServerSentEvent | BaseException] = queue.Queue()
        self.heartbeats = 0
        self.retry: str | None = None
        self.opened = threading.Event()
        self.status: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, args=(url, headers), daemon=True)
        self._thread.start()
        assert self.opened.wait(WAIT), "the stream did not open"

    def _listen(self, url: str, headers: dict[str, str]) -> None:
        try:
            with (
                httpx.Client(timeout=httpx.Timeout(WAIT)) as client,
                client.stream("GET", url, headers=headers) as response,
            ):
                self.status = response.status_code
                self.content_type = response.headers.get("content-type", "")
                self.opened.set()
                fields: dict[str, str] = {}
                for line in response.iter_lines():
                    if self._stop.is_set():
                        return
                    if line.startswith(":"):
                        self.heartbeats += 1
                    elif line == "":
                        if "data" in fields:
                            self.events.put(
                                ServerSentEvent(
                                    fields.get("id"),
                                    fields.get("event"),
                                    json.loads(fields["data"]),
                                )
                            )
                        fields = {}
                    else:
                        name, _, value = line.partition(":")
                        fields[name] = value.removeprefix(" ")
                        if name == "retry":
                            self.retry = fields.pop("retry")
        except BaseException as error:  # handed to the test
            self.events.put(error)
        finally:
            self.opened.set()

    def take(self, count: int) -> list[ServerSentEvent]:
        """The next ``count`` events, waiting at most ``WAIT`` seconds for each."""
        taken: list[ServerSentEvent] = []
        for _ in range(count):
            item = self.events.get(timeout=WAIT)
            if isinstance(item, BaseException):
                raise item
            taken.append(item)
        return taken

    def nothing_more(self, within: float = 0.6) -> bool:
        try:
            item = self.events.get(timeout=within)
        except queue.Empty:
            return True
        pytest.fail(f"unexpected: {item}")

    def close(self) -> None:
        self._stop.set()  # the reader leaves at the next line (a heartbeat at the latest)
        self._thread.join(WAIT)


@contextmanager
def listening(service: RunningService, cid: str, tenant: str, **headers: str) -> Iterator[Listener]:
    url = service.base_url + STREAM_PATH.format(cid=cid)
    if "query" in headers:
        url += "?" + headers.pop("query")
    listener = Listener(url, {"X-Tenant-Id": tenant, **headers})
    assert listener.status == 200
    try:
        yield listener
    finally:
        listener.close()


def wait_for_subscribers(service: RunningService, count: int) -> None:
    hub = service.services.notification_hub
    assert hub is not None
    deadline = time.monotonic() + WAIT
    while hub.subscriber_count != count:
        assert time.monotonic() < deadline, f"{hub.subscriber_count} subscribers, not {count}"
        time.sleep(0.02)


def summary(events: list[ServerSentEvent]) -> list[tuple[str | None, int]]:
    return [(event.event, int(event.id or -1)) for event in events]


def test_a_subscriber_hears_versions_audits_failures_and_completion_in_order(
    service: RunningService, http: httpx.Client, tenant: str
) -> None:
    cid = create_campaign(http)["id"]
    base = f"/api/campaigns/{cid}"
    with listening(service, cid, tenant) as listener:
        assert listener.content_type.startswith("text/event-stream")
        started = check(http.post(f"{base}/status", json={"status": "Generating"}), 200)
        aid = create_artifact(http, cid, "Copy")
        first = create_version(http, cid, aid, "First draft")
        second = create_version(http, cid, aid, "Second draft")
        audit = check(
            http.post(f"{base}/versions/{second['id']}/audits", json=passing_audit()), 201
        )
        rid = check(http.post(f"{base}/runs", json={"executionMode": "Parallel"}), 201)["id"]
        check(http.post(f"{base}/runs/{rid}/start"), 200)
        failed = check(http.post(f"{base}/runs/{rid}/fail", json={"errorMessage": "timeout"}), 200)
        for status in ("Generated", "Auditing"):
            check(http.post(f"{base}/status", json={"status": status}), 200)
        completed = check(http.post(f"{base}/status", json={"status": "Completed"}), 200)

        received = listener.take(6)
        assert summary(received) == [
            ("CampaignStarted", started["version"]),
            ("ArtifactGenerated", first["version"]),
            ("ArtifactGenerated", second["version"]),
            ("ComplianceCheckCompleted", audit["version"]),
            ("GenerationFailed", failed["version"]),
            ("CampaignCompleted", completed["version"]),
        ]
        assert listener.nothing_more()
        assert listener.retry == "1000"  # the stream's first field: reconnect after a second
        assert received[0].data["campaignId"] == cid
        assert received[0].data["fromStatus"] == "Draft"
        artifact = received[2].data
        assert (artifact["artifactType"], artifact["versionNumber"]) == ("Copy", 2)
        assert artifact["versionId"] == second["id"]
        assert artifact["version"] == second["version"]
        assert received[3].data["overallStatus"] == "Pass"
        assert received[4].data["errorMessage"] == "timeout"
        # published after the views were written: the snapshot shows at least that version
        snapshot = check(http.get(base), 200)
        assert snapshot["version"] >= completed["version"]
        assert snapshot["status"] == "Completed"


def test_a_reconnect_with_last_event_id_replays_exactly_the_missed_ones_then_follows_live(
    service: RunningService, http: httpx.Client, tenant: str
) -> None:
    cid = create_campaign(http)["id"]
    aid = create_artifact(http, cid)
    with listening(service, cid, tenant) as listener:
        first = create_version(http, cid, aid, "one")
        [heard] = listener.take(1)
        assert summary([heard]) == [("ArtifactGenerated", first["version"])]
    wait_for_subscribers(service, 0)

    missed = [create_version(http, cid, aid, f"v{n}") for n in (2, 3, 4)]
    audit = check(
        http.post(f"/api/campaigns/{cid}/versions/{missed[-1]['id']}/audits", json=passing_audit()),
        201,
    )
    expected_missed = [("ArtifactGenerated", m["version"]) for m in missed]
    expected_missed.append(("ComplianceCheckCompleted", audit["version"]))

    with listening(service, cid, tenant, **{"Last-Event-ID": str(heard.id)}) as resumed:
        assert summary(resumed.take(4)) == expected_missed
        live = create_version(http, cid, aid, "after the reconnect")
        assert summary(resumed.take(1)) == [("ArtifactGenerated", live["version"])]
        assert resumed.nothing_more()

    # an EventSource that cannot set headers resumes through the query; the header wins
    with listening(service, cid, tenant, query=f"lastEventId={audit['version']}") as by_query:
        assert summary(by_query.take(1)) == [("ArtifactGenerated", live["version"])]
        assert by_query.nothing_more()
    with listening(
        service, cid, tenant, query="lastEventId=0", **{"Last-Event-ID": str(audit["version"])}
    ) as both:
        assert summary(both.take(1)) == [("ArtifactGenerated", live["version"])]
        assert both.nothing_more()


def test_without_last_event_id_a_subscriber_starts_after_what_the_snapshot_shows(
    service: RunningService, http: httpx.Client, tenant: str
) -> None:
    cid = create_campaign(http)["id"]
    before = create_version(http, cid, create_artifact(http, cid))
    check(http.get(f"/api/campaigns/{cid}?minVersion={before['version']}"), 200)
    with listening(service, cid, tenant) as listener:
        assert listener.nothing_more()
        started = check(
            http.post(f"/api/campaigns/{cid}/status", json={"status": "Generating"}), 200
        )
        assert summary(listener.take(1)) == [("CampaignStarted", started["version"])]


def test_a_quiet_stream_carries_heartbeats(
    service: RunningService, http: httpx.Client, tenant: str
) -> None:
    cid = create_campaign(http)["id"]
    with listening(service, cid, tenant) as listener:
        deadline = time.monotonic() + WAIT
        while listener.heartbeats < 3:
            assert time.monotonic() < deadline, "no heartbeats"
            time.sleep(0.05)


def test_unknown_foreign_and_deleted_campaigns_are_not_found(
    service: RunningService, http: httpx.Client
) -> None:
    cid = create_campaign(http)["id"]
    problem(http.get(STREAM_PATH.format(cid=uuid.uuid4())), 404, "campaign-not-found")
    problem(http.get(STREAM_PATH.format(cid="not-a-uuid")), 404, "campaign-not-found")
    foreign = http.get(STREAM_PATH.format(cid=cid), headers={"X-Tenant-Id": "someone-else"})
    problem(foreign, 404, "campaign-not-found")
    check(http.delete(f"/api/campaigns/{cid}"), 200)
    problem(http.get(STREAM_PATH.format(cid=cid)), 404, "campaign-not-found")
    problem(
        http.get(STREAM_PATH.format(cid=cid), headers={"X-Tenant-Id": "a b"}), 400, "invalid-tenant"
    )
    wait_for_subscribers(service, 0)


@pytest.mark.parametrize("value", ["-1", "seven", "1.5", "99999999999999999"])
def test_a_malformed_last_event_id_is_a_bad_request(http: httpx.Client, value: str) -> None:
    cid = create_campaign(http)["id"]
    answer = http.get(STREAM_PATH.format(cid=cid), headers={"Last-Event-ID": value})
    problem(answer, 400, "invalid-last-event-id")


def test_past_the_subscriber_limit_a_stream_is_refused_with_503_and_retry_after(
    service: RunningService, http: httpx.Client, tenant: str
) -> None:
    cid = create_campaign(http)["id"]
    wait_for_subscribers(service, 0)
    listeners = [
        Listener(service.base_url + STREAM_PATH.format(cid=cid), {"X-Tenant-Id": tenant})
        for _ in range(MAX_SUBSCRIBERS)
    ]
    try:
        assert all(listener.status == 200 for listener in listeners)
        refused = http.get(STREAM_PATH.format(cid=cid))
        problem(refused, 503, "too-many-subscribers")
        assert int(refused.headers["Retry-After"]) >= 1
    finally:
        for listener in listeners:
            listener.close()
    wait_for_subscribers(service, 0)
    with listening(service, cid, tenant) as again:
        assert again.status == 200


def test_head_of_a_stream_answers_its_headers_and_ends(
    service: RunningService, http: httpx.Client
) -> None:
    cid = create_campaign(http)["id"]
    started = time.monotonic()
    head = http.head(STREAM_PATH.format(cid=cid), timeout=5)
    assert head.status_code == 200
    assert head.headers["content-type"].startswith("text/event-stream")
    assert head.content == b""
    assert time.monotonic() - started < 5
    wait_for_subscribers(service, 0)


PER_TENANT = 2


@pytest.fixture(scope="module")
def tenant_capped_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    settings = e2e_settings(
        Path(tmp_path_factory.mktemp("stream-capped")),
        ledger_stream_max_subscribers=MAX_SUBSCRIBERS,
        ledger_stream_max_subscribers_per_tenant=PER_TENANT,
    )
    with running_service(settings) as running:
        yield running


def test_one_tenant_cannot_take_every_live_stream(tenant_capped_service: RunningService) -> None:
    service = tenant_capped_service
    with service.client(**{"X-Tenant-Id": "greedy"}) as greedy:
        greedy_cid = create_campaign(greedy)["id"]
        listeners = [
            Listener(
                service.base_url + STREAM_PATH.format(cid=greedy_cid), {"X-Tenant-Id": "greedy"}
            )
            for _ in range(PER_TENANT)
        ]
        try:
            assert all(listener.status == 200 for listener in listeners)
            refused = greedy.get(STREAM_PATH.format(cid=greedy_cid))
            problem(refused, 429, "too-many-tenant-subscribers")
            assert int(refused.headers["Retry-After"]) >= 1
            with service.client(**{"X-Tenant-Id": "modest"}) as modest:
                modest_cid = create_campaign(modest)["id"]
                with listening(service, modest_cid, "modest") as heard:
                    assert heard.status == 200
        finally:
            for listener in listeners:
                listener.close()


def test_the_openapi_document_describes_the_stream_route(http: httpx.Client) -> None:
    document = check(http.get("/api/openapi.json"), 200)
    operation = document["paths"][STREAM_PATH]["get"]
    assert operation["operationId"] == "stream_campaign"
    assert list(operation["responses"]["200"]["content"]) == ["text/event-stream"]
    assert {"404", "503"} <= set(operation["responses"])
    parameters = {(p["in"], p["name"]) for p in operation["parameters"]}
    assert {("header", "Last-Event-ID"), ("query", "lastEventId"), ("path", "cid")} <= parameters


def test_each_notification_carries_its_payload_as_written(
    service: RunningService, http: httpx.Client, tenant: str
) -> None:
    cid = create_campaign(http)["id"]
    base = f"/api/campaigns/{cid}"
    correlated = {"X-Correlation-Id": "orchestrator-42"}
    with listening(service, cid, tenant) as listener:
        check(http.post(f"{base}/status", json={"status": "Generating"}, headers=correlated), 200)
        aid = create_artifact(http, cid, "ShortCopy")
        rid = check(http.post(f"{base}/runs", json={"executionMode": "Parallel"}), 201)["id"]
        version = check(
            http.post(f"{base}/artifacts/{aid}/versions", json={"content": "Hi", "runId": rid}),
            201,
        )
        audit = check(
            http.post(f"{base}/versions/{version['id']}/audits", json=passing_audit()), 201
        )
        check(http.post(f"{base}/runs/{rid}/start"), 200)
        check(http.post(f"{base}/runs/{rid}/fail", json={"errorMessage": "timeout"}), 200)
        check(http.post(f"{base}/status", json={"status": "Generated"}), 200)
        revision = check(
            http.post(
                f"{base}/revisions", json={"reason": "audit-failed", "feedbackText": "Fix it"}
            ),
            201,
        )
        for status in ("Generated", "Auditing", "Completed"):
            check(http.post(f"{base}/status", json={"status": status}), 200)

        received = listener.take(6)
        assert listener.nothing_more()

    events = check(http.get(f"{base}/events?after=0&limit=1000"), 200)["items"]
    by_version = {event["version"]: event for event in events}

    def common(type_: str, version: int) -> dict[str, Any]:
        event = by_version[version]
        return {
            "type": type_,
            "campaignId": cid,
            "version": version,
            "occurredAt": event["recordedAt"],
            "correlationId": event["metadata"]["correlationId"],
        }

    versions = [int(event.id or 0) for event in received]
    assert [event.event for event in received] == [
        "CampaignStarted",
        "ArtifactGenerated",
        "ComplianceCheckCompleted",
        "GenerationFailed",
        "RevisionRequested",
        "CampaignCompleted",
    ]
    started, generated, checked, failed, revised, completed = received
    assert started.data == {
        **common("CampaignStarted", versions[0]),
        "fromStatus": "Draft",
        "status": "Generating",
    }
    assert started.data["correlationId"] == "orchestrator-42"
    assert generated.data == {
        **common("ArtifactGenerated", version["version"]),
        "artifactId": aid,
        "artifactType": "ShortCopy",
        "versionId": version["id"],
        "versionNumber": 1,
        "runId": rid,
    }
    assert checked.data == {
        **common("ComplianceCheckCompleted", audit["version"]),
        "auditReportId": audit["id"],
        "artifactId": aid,
        "versionId": version["id"],
        "overallStatus": "Pass",
        "versionStatus": "Audited",
        "categoryScores": passing_audit()["categoryScores"],
    }
    assert failed.data == {
        **common("GenerationFailed", versions[3]),
        "runId": rid,
        "errorMessage": "timeout",
    }
    assert revised.data == {
        **common("RevisionRequested", revision["version"]),
        "revisionId": revision["id"],
        "revisionNumber": 1,
        "reason": "audit-failed",
    }
    assert completed.data == {
        **common("CampaignCompleted", versions[5]),
        "fromStatus": "Auditing",
        "status": "Completed",
    }
    assert all("content" not in event.data for event in received)


def test_a_resumed_stream_replays_the_same_payloads_from_the_log(
    service: RunningService, http: httpx.Client, tenant: str
) -> None:
    cid = create_campaign(http)["id"]
    base = f"/api/campaigns/{cid}"
    with listening(service, cid, tenant) as listener:
        aid = create_artifact(http, cid)
        version = create_version(http, cid, aid)
        check(http.post(f"{base}/versions/{version['id']}/audits", json=passing_audit()), 201)
        for status in ("Generating", "Generated"):
            check(http.post(f"{base}/status", json={"status": status}), 200)
        check(
            http.post(f"{base}/revisions", json={"reason": "user-feedback", "feedbackText": "x"}),
            201,
        )
        live = listener.take(4)

    with listening(service, cid, tenant, **{"Last-Event-ID": "0"}) as replay:
        replayed = replay.take(4)

    assert [event.data for event in replayed] == [event.data for event in live]
    assert [event.event for event in live] == [
        "ArtifactGenerated",
        "ComplianceCheckCompleted",
        "CampaignStarted",
        "RevisionRequested",
    ]
