"""The Azure Functions host: the change-feed trigger's bindings, and what an invocation does."""

from __future__ import annotations

import importlib
import json
from collections.abc import Sequence
from typing import Any

import azure.functions as func
import pytest

from bootstrap.functions_host import FunctionsHost
from bootstrap.settings import Settings
from documentstore.memory import InMemoryDocumentStore
from documentstore.port import VIEWS, Document, Operation
from domain.errors import ConfigurationError, StoreUnavailable
from functions.app import build_function_app
from functions.live_updates import JOIN_FUNCTION, LEAVE_FUNCTION, NEGOTIATE_FUNCTION
from functions.projection_trigger import FUNCTION_NAME
from functions.purge_timer import FUNCTION_NAME as PURGE_FUNCTION
from projections.dead_letters import DeadLetterBox
from projections.generations import ProjectionState, ProjectionStateStore
from projections.reads import ReadModel
from projections.runner import ProjectionRunner
from projections.view_size import MAX_VIEW_DOCUMENT_BYTES
from tests.unit.functions.hosts import PartsHost
from tests.unit.functions.outputs import CapturedOutput
from tests.unit.projections.campaign_events import CampaignStream, interleaved_documents


def trigger_of(app: Any) -> Any:
    [function] = [f for f in app.get_functions() if f.get_function_name() == FUNCTION_NAME]
    return function


def document_list(documents: list[dict[str, Any]]) -> func.DocumentList:
    return func.DocumentList([func.Document.from_dict(document) for document in documents])


def test_the_trigger_follows_the_events_container_with_leases_and_a_per_generation_prefix() -> None:
    trigger = trigger_of(build_function_app(PartsHost()))
    bindings = json.loads(trigger.get_function_json())["bindings"]  # what the host indexes
    [binding] = [b for b in bindings if b["type"] == "cosmosDBTrigger"]
    assert binding["type"] == "cosmosDBTrigger"
    assert binding["direction"] == "IN"
    assert binding["connection"] == "COSMOS_CONNECTION"
    assert binding["databaseName"] == "%COSMOS_DATABASE%"
    assert binding["containerName"] == "events"
    assert binding["leaseContainerName"] == "leases"
    assert binding["leaseContainerPrefix"] == "%LEDGER_LEASE_PREFIX%"
    assert binding["maxItemsPerInvocation"] == 100
    assert binding["startFromBeginning"] is True


def test_the_trigger_retries_failed_batches_with_exponential_backoff_forever() -> None:
    retry = trigger_of(build_function_app(PartsHost())).get_settings_dict("retry_policy")
    assert retry["strategy"] == "exponential_backoff"
    assert retry["max_retry_count"] == "-1"
    assert retry["minimum_interval"]
    assert retry["maximum_interval"]


def test_an_invocation_projects_the_event_documents_and_ignores_heads() -> None:
    store = InMemoryDocumentStore()
    built: list[InMemoryDocumentStore] = []

    def open_store(settings: Settings) -> InMemoryDocumentStore:
        built.append(store)
        return store

    host = FunctionsHost(lambda: Settings(ledger_lease_prefix="views-g1-"), open_store)
    trigger = trigger_of(build_function_app(host))
    assert built == []  # nothing is built before the first invocation
    streams = [CampaignStream("A"), CampaignStream("B")]
    streams[0].status("Generating")
    trigger.get_user_function()(document_list(interleaved_documents(streams)), CapturedOutput())
    trigger.get_user_function()(document_list(interleaved_documents(streams)), CapturedOutput())
    assert len(built) == 1
    reads = ReadModel(store)
    assert reads.campaign("default", streams[0].campaign_id).body["status"] == "Generating"
    assert reads.campaign("default", streams[1].campaign_id).version == 1


def test_a_poison_event_goes_to_a_dead_letter_and_the_rest_of_the_batch_is_projected() -> None:
    store = InMemoryDocumentStore()
    trigger = trigger_of(build_function_app(PartsHost(lambda: ProjectionRunner(store))))
    poisoned = CampaignStream("Poisoned")
    poisoned.emit("RunCompleted", runId="never-queued", artifactVersionIds=[])
    poisoned.status("Generating")
    healthy = CampaignStream("Healthy")
    trigger.get_user_function()(
        document_list(interleaved_documents([poisoned, healthy])), CapturedOutput()
    )
    [letter] = DeadLetterBox(store).list()
    assert (letter.campaign_id, letter.version, letter.event_type) == (
        poisoned.campaign_id,
        2,
        "RunCompleted",
    )
    stored = DeadLetterBox(store).read(letter.id)
    assert stored is not None
    assert stored["event"]["data"]["runId"] == "never-queued"
    assert "never-queued" in stored["error"]
    reads = ReadModel(store)
    assert reads.campaign("default", poisoned.campaign_id).body["status"] == "Generating"
    assert reads.campaign("default", healthy.campaign_id).version == 1


def test_an_event_too_large_for_its_view_is_dead_lettered_and_the_invocation_succeeds() -> None:
    store = InMemoryDocumentStore()
    trigger = trigger_of(build_function_app(PartsHost(lambda: ProjectionRunner(store))))
    crowded, neighbour = CampaignStream("Crowded"), CampaignStream("Neighbour")
    copy = crowded.artifact("Copy")
    large = MAX_VIEW_DOCUMENT_BYTES * 3 // 5
    crowded.long_audit(crowded.version(copy, "v" * large), large)
    neighbour.status("Generating")

    trigger.get_user_function()(
        document_list(interleaved_documents([crowded, neighbour])), CapturedOutput()
    )

    [letter] = DeadLetterBox(store).list()
    assert (letter.event_type, letter.error_code) == ("AuditRecorded", "view-too-large")
    assert ReadModel(store).campaign("default", neighbour.campaign_id).version == 2


def test_a_trigger_on_the_lease_prefix_of_an_older_generation_fails_and_writes_nothing() -> None:
    store = InMemoryDocumentStore()
    ProjectionStateStore(store).save(ProjectionState(live=2))
    trigger = trigger_of(
        build_function_app(PartsHost(lambda: ProjectionRunner(store, lease_prefix="views-g1-")))
    )
    stream = CampaignStream()
    with pytest.raises(ConfigurationError, match="views-g2-"):
        trigger.get_user_function()(document_list(stream.documents()), CapturedOutput())
    assert DeadLetterBox(store).list() == []
    assert store.read(VIEWS, stream.campaign_id, "g2.snapshot") is None


def test_a_store_failure_fails_the_invocation_so_the_retry_policy_runs_it_again() -> None:
    class DownStore(InMemoryDocumentStore):
        def execute_batch(
            self, container: str, partition_key: str, operations: Sequence[Operation]
        ) -> list[Document | None]:
            if container == VIEWS:
                raise StoreUnavailable("no route to host")
            return super().execute_batch(container, partition_key, operations)

    trigger = trigger_of(build_function_app(PartsHost(lambda: ProjectionRunner(DownStore()))))
    with pytest.raises(StoreUnavailable):
        trigger.get_user_function()(document_list(CampaignStream().documents()), CapturedOutput())


def test_the_http_api_joins_the_same_app_as_one_asgi_function() -> None:
    async def asgi_app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("not called while indexing")

    app = build_function_app(PartsHost(), asgi_app=asgi_app)
    names = {function.get_function_name() for function in app.get_functions()}
    assert names == {
        FUNCTION_NAME,
        NEGOTIATE_FUNCTION,
        JOIN_FUNCTION,
        PURGE_FUNCTION,
        LEAVE_FUNCTION,
        "http_app_func",
    }


def test_the_root_function_app_module_only_wires_and_builds_no_client() -> None:
    module = importlib.import_module("function_app")
    names = [function.get_function_name() for function in module.app.get_functions()]
    assert sorted(names) == sorted(
        [
            FUNCTION_NAME,
            NEGOTIATE_FUNCTION,
            JOIN_FUNCTION,
            LEAVE_FUNCTION,
            PURGE_FUNCTION,
            "http_app_func",
        ]
    )
