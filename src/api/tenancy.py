"""Which tenant a request acts for: the ``X-Tenant-Id`` header, or, when API keys are configured,
the tenant of the presented key (``X-Api-Key`` or ``Authorization: Bearer``).

``authorised_tenant`` is the one check of a request's tenant and key, used by the HTTP API and
by the Functions app's ``negotiate``. ``request_tenant`` is the routes' dependency (``Tenant``);
it declares the two security schemes, and ``without_key_schemes`` takes them out of the OpenAPI
document of a deployment without keys, so the document says what the deployment requires.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.dependencies import AppSettings
from api.problems import HttpProblem
from bootstrap.settings import Settings

DEFAULT_TENANT = "default"
TENANT_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
_TENANT = re.compile(TENANT_PATTERN)

TenantHeader = Annotated[
    str | None,
    Header(
        alias="X-Tenant-Id",
        description="The tenant (1-64 of A-Z a-z 0-9 _ -); absent means 'default'.",
        json_schema_extra={"pattern": TENANT_PATTERN},
    ),
]

_api_key_scheme = APIKeyHeader(
    name="X-Api-Key", auto_error=False, description="An API key; its tenant is the request's."
)
_bearer_scheme = HTTPBearer(auto_error=False, description="The same API key as a bearer token.")
_KEY_SCHEMES = {_api_key_scheme.scheme_name, _bearer_scheme.scheme_name}


def validated_tenant(header_value: str | None) -> str:
    """The tenant named by ``X-Tenant-Id``; 400 ``invalid-tenant`` when it breaks the pattern."""
    if header_value is None:
        return DEFAULT_TENANT
    if not _TENANT.fullmatch(header_value):
        raise HttpProblem(
            400,
            "invalid-tenant",
            "X-Tenant-Id must be 1-64 characters of A-Z, a-z, 0-9, '_' and '-'.",
        )
    return header_value


def tenant_of_key(api_keys: Mapping[str, str], presented: str) -> str | None:
    """The tenant of ``presented``, comparing every key in constant time."""
    found: str | None = None
    presented_bytes = presented.encode()
    for key, tenant in api_keys.items():
        if hmac.compare_digest(key.encode(), presented_bytes):
            found = tenant
    return found


def authorised_tenant(
    api_keys: Mapping[str, str], named_tenant: str | None, presented_key: str | None
) -> str:
    """The tenant a request acts for, or the ``HttpProblem`` that refuses it.

    Without API keys configured: the tenant ``named_tenant`` names (``X-Tenant-Id``; 400
    ``invalid-tenant`` when malformed), the default one when absent. With keys: the tenant of
    ``presented_key`` (401 ``unauthenticated`` without a valid key), which a named tenant must be
    (403 ``tenant-forbidden``)."""
    if not api_keys:
        return validated_tenant(named_tenant)
    tenant = tenant_of_key(api_keys, presented_key) if presented_key else None
    if tenant is None:
        raise HttpProblem(
            401,
            "unauthenticated",
            "A valid API key is required (X-Api-Key or Authorization: Bearer).",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if named_tenant is not None and validated_tenant(named_tenant) != tenant:
        raise HttpProblem(403, "tenant-forbidden", "This API key is not for that tenant.")
    return tenant


async def request_tenant(
    settings: AppSettings,
    x_tenant_id: TenantHeader = None,
    api_key: Annotated[str | None, Security(_api_key_scheme)] = None,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer_scheme)] = None,
) -> str:
    """The dependency that answers a request's tenant (401/403/400 problems otherwise)."""
    presented = api_key if api_key is not None else (bearer.credentials if bearer else None)
    return authorised_tenant(settings.ledger_api_keys, x_tenant_id, presented)


async def tenant_of_request(request: Request, settings: Settings) -> str:
    """What ``request_tenant`` answers, read straight from the request (the same schemes)."""
    api_key = await _api_key_scheme(request)
    bearer = await _bearer_scheme(request)
    presented = api_key if api_key is not None else (bearer.credentials if bearer else None)
    return authorised_tenant(
        settings.ledger_api_keys, request.headers.get("x-tenant-id"), presented
    )


Tenant = Annotated[str, Depends(request_tenant)]


def without_key_schemes(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` (an OpenAPI document) without the API-key security schemes and the
    operations' requirements of them: what a deployment without keys documents."""
    components = document.get("components", {})
    schemes = components.get("securitySchemes", {})
    for name in _KEY_SCHEMES:
        schemes.pop(name, None)
    if not schemes:
        components.pop("securitySchemes", None)
    for item in document.get("paths", {}).values():
        for operation in item.values():
            requirements = [
                requirement
                for requirement in operation.get("security", [])
                if not set(requirement) <= _KEY_SCHEMES
            ]
            if requirements:
                operation["security"] = requirements
            else:
                operation.pop("security", None)
    return document
