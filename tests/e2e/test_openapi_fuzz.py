"""Fuzzing the OpenAPI document with schemathesis against the real app on the embedded store,
over real HTTP: no answer may be a server error, and every answer must match what the document
says for its operation (status, media type, headers, body schema). Invalid inputs must be refused.

Generated ids would only ever meet 404s, so half of the cases with well-formed ids are pointed at
a campaign seeded with an artifact, versions, an audit and a running run; their tenant header is
then the seed's. Bounded: FUZZ_EXAMPLES (default 25) examples per operation and mode.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS as ALL_CHECKS
from schemathesis.checks import load_all_checks
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.app import create_app
from tests.e2e.conftest import (
    RunningService,
    check,
    context_artifact,
    e2e_settings,
    passing_audit,
    running_service,
)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
SEED_TENANT = "fuzz"
load_all_checks()
CHECKS = list(ALL_CHECKS.get_all())
"""Every check schemathesis has (its CLI's ``--checks all``)."""


@pytest.fixture(scope="module")
def fuzzed_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    data_dir = tmp_path_factory.mktemp("fuzz")
    with running_service(e2e_settings(data_dir, ledger_read_wait_seconds=0.05)) as running:
        yield running


def seed(service: RunningService) -> dict[str, str]:
    """A campaign with something behind every path parameter; returns the ids by name."""
    with service.client(**{"X-Tenant-Id": SEED_TENANT}) as client:
        body = {
            "name": "Seed",
            "brief": {"objective": "o", "targetAudience": "a", "productDetails": "p"},
        }
        cid = check(client.post("/api/campaigns", json=body), 201)["id"]
        base = f"/api/campaigns/{cid}"
        aid = check(client.post(f"{base}/artifacts", json={"type": "Copy"}), 201)["id"]
        vid = check(client.post(f"{base}/artifacts/{aid}/versions", json={"content": "a"}), 201)[
            "id"
        ]
        check(client.post(f"{base}/artifacts/{aid}/versions", json={"content": "b"}), 201)
        check(client.post(f"{base}/versions/{vid}/audits", json=passing_audit()), 201)
        rid = check(client.post(f"{base}/runs", json={"executionMode": "Parallel"}), 201)["id"]
        check(client.post(f"{base}/runs/{rid}/start"), 200)
        step = {"stepId": "plan", "artifacts": [context_artifact("plan")]}
        check(client.post(f"{base}/runs/{rid}/steps", json=step), 200)
    return {"cid": cid, "aid": aid, "vid": vid, "rid": rid}


@pytest.fixture(scope="module")
def seeded_ids(fuzzed_service: RunningService) -> dict[str, str]:
    return seed(fuzzed_service)


def served_document() -> dict[str, Any]:
    """The OpenAPI document the service serves; it depends on the settings only (API keys),
    so it is built at collection time without a store."""
    settings = e2e_settings(Path(tempfile.gettempdir()))
    document: dict[str, Any] = create_app(
        SimpleNamespace(commands=None, reads=None, settings=settings)
    ).openapi()
    return document


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def aim_at_seed(case: Any, ids: dict[str, str]) -> None:
    """Point half of the cases whose path ids are well-formed at the seeded campaign."""
    parameters = case.path_parameters or {}
    ids_in_path = {name: value for name, value in parameters.items() if name in ids}
    if not ids_in_path or not all(_is_uuid(value) for value in ids_in_path.values()):
        return
    if uuid.UUID(str(ids_in_path["cid"])).int % 2:
        return
    case.path_parameters = {**parameters, **{name: ids[name] for name in ids_in_path}}
    headers = dict(case.headers or {})
    headers["X-Tenant-Id"] = SEED_TENANT
    case.headers = headers


def exempted_checks(case: Any, response: Any) -> list[Any]:
    """The checks a case is exempt from, and why.

    A continuation token is opaque: the document says its alphabet and that only a token the
    service issued for the list is accepted (API.md: any other is 400
    ``invalid-continuation``), but no schema can say which tokens were issued, so a
    well-formed token made up by the fuzzer is rightly refused.

    ``atVersion`` and ``asOf`` each read the past, and API.md refuses both at once (422); the
    document says so in each one's description, but OpenAPI cannot make two query parameters
    exclusive, so a request giving both is rightly refused."""
    query = case.query or {}
    code = response.json().get("code") if response.status_code in (400, 422) else None
    if query.get("continuation") is not None and code == "invalid-continuation":
        return [positive_data_acceptance]
    if "atVersion" in query and "asOf" in query and code == "validation-failed":
        return [positive_data_acceptance]
    return []


# An event stream never ends, so it cannot be fuzzed request by request.
schema = schemathesis.openapi.from_dict(served_document()).exclude(path_regex=r"/stream$")
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=EXAMPLES
)
schema.config.checks.positive_data_acceptance.expected_statuses = [
    *schema.config.checks.positive_data_acceptance.expected_statuses,
    "412",  # a valid command that pins a version the campaign is not at (If-Match)
]


@schema.parametrize()
@settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_generated_request_gets_a_server_error_or_an_answer_off_its_schema(
    case: Any, seeded_ids: dict[str, str], fuzzed_service: RunningService
) -> None:
    aim_at_seed(case, seeded_ids)
    response = case.call(base_url=fuzzed_service.base_url)
    case.validate_response(
        response,
        checks=CHECKS,
        excluded_checks=exempted_checks(case, response),
        transport_kwargs={"base_url": fuzzed_service.base_url},
    )


def test_the_seeded_campaign_was_reachable(
    fuzzed_service: RunningService, seeded_ids: dict[str, str]
) -> None:
    """Guards the fuzz test's depth: the seed is readable by its tenant."""
    with httpx.Client(base_url=fuzzed_service.base_url, headers={"X-Tenant-Id": SEED_TENANT}) as c:
        assert c.get(f"/api/campaigns/{seeded_ids['cid']}/events").status_code == 200
