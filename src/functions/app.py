"""The function app: the projection trigger, and (when given) the HTTP API as one ASGI function.

``function_app.py`` at the repository root calls ``build_hosted_app``, which gives
``build_function_app`` the HTTP API (``func.AsgiFunctionApp``: host.json's empty
``routePrefix`` keeps the paths identical to the local server's). Everything the functions use
comes from the composition root (``bootstrap.container``'s ``functions_*`` factories: one
settings read, one runner, one read model per process). Building the app registers functions
only: no client is created until a function runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import azure.functions as func

from api.lazy_app import LazyApiApp
from bootstrap.container import (
    functions_api_keys,
    functions_ledger,
    functions_runner,
    functions_settings,
)
from functions.live_updates import (
    ApiKeys,
    CampaignAccess,
    campaign_access_of_host,
    live_updates_blueprint,
)
from functions.projection_trigger import RunnerFactory, projection_blueprint


def build_function_app(
    asgi_app: Any | None = None,
    *,
    http_auth_level: str = "anonymous",
    runner_factory: RunnerFactory = functions_runner,
    campaign_access: Callable[[], CampaignAccess] = campaign_access_of_host,
    api_keys: Callable[[], ApiKeys] = functions_api_keys,
) -> func.FunctionApp | func.AsgiFunctionApp:
    """The app the Functions host indexes (``asgi_app``: the HTTP API, optional): the
    projection trigger (which also sends the notifications through SignalR) and the SignalR
    functions ``negotiate`` and ``join_campaign_group``."""
    auth_level = func.AuthLevel(http_auth_level.lower())
    app: func.FunctionApp | func.AsgiFunctionApp
    if asgi_app is None:
        app = func.FunctionApp(http_auth_level=auth_level)
    else:
        app = func.AsgiFunctionApp(app=asgi_app, http_auth_level=auth_level)
    app.register_functions(projection_blueprint(runner_factory))
    app.register_functions(live_updates_blueprint(campaign_access, api_keys))
    return app


def build_hosted_app() -> func.FunctionApp | func.AsgiFunctionApp:
    """What ``function_app.py`` exposes: the HTTP API (its ledger built on the first request,
    with lag reported as the trigger's), the projection trigger and the SignalR functions, at
    the auth level the settings name."""
    return build_function_app(
        asgi_app=LazyApiApp(functions_ledger),
        http_auth_level=functions_settings().functions_auth_level,
    )
