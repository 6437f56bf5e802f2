"""The process's one Cosmos DB client, with the SDK's own retries turned off."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from azure.cosmos import CosmosClient
from azure.cosmos._retry_options import RetryOptions  # the SDK exports it only from here
from azure.cosmos.documents import ConnectionPolicy

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential


def connect_cosmos(
    endpoint: str,
    *,
    key: str | None = None,
    credential: TokenCredential | None = None,
    **client_options: Any,
) -> CosmosClient:
    """The process's one Cosmos DB client, by account key or by an Azure AD credential.

    Without a key and a credential it uses ``DefaultAzureCredential`` (managed identity in
    Azure, the developer's login locally). The SDK's throttling and connection retries are
    turned off: ``CosmosDocumentStore`` owns retrying (see ``documentstore.cosmos``).
    ``client_options`` go to ``CosmosClient`` (for example ``transport`` or timeouts).
    """
    if key:
        auth: str | TokenCredential = key
    elif credential is not None:
        auth = credential
    else:
        from azure.identity import DefaultAzureCredential

        auth = DefaultAzureCredential()
    policy = ConnectionPolicy()
    policy.RetryOptions = RetryOptions(max_retry_attempt_count=0)
    return CosmosClient(
        endpoint,
        credential=auth,
        connection_policy=policy,
        retry_total=0,
        retry_connect=0,
        retry_read=0,
        retry_status=0,
        **client_options,
    )
