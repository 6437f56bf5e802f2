"""The function app: the projection trigger, the SignalR functions, the daily purge and (when
given) the HTTP API as one ASGI function.

``function_app.py`` at the repository root calls ``build_hosted_app``, which gives
``build_function_app`` the composition root's ``FunctionsHost`` and the HTTP API
(``func.AsgiFunctionApp``: host.json's empty ``routePrefix`` keeps the paths identical to the
local server's). Everything the functions use comes from the host, which builds each part on
first use and shares it for the life of the process (one settings read, one store, one runner,
one read model). Building the app registers functions only: no client is created until a
function runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import azure.functions as func

from api.lazy_app import LazyApiApp
from api.ports import CampaignReads
from bootstrap.functions_host import FunctionsHost
from functions.live_updates import campaign_access_of, live_updates_blueprint
from functions.projection_trigger import LagRecorder, projection_blueprint
from functions.purge_timer import purge_blueprint
from operations.purge import CampaignPurge
from projections.runner import ProjectionRunner


class FunctionsServices(Protocol):
    """What the functions need of the composition root, each part built once per process."""

    def runner(self) -> ProjectionRunner: ...

    def trigger_lag(self) -> LagRecorder: ...

    def reads(self) -> CampaignReads: ...

    def api_keys(self) -> Mapping[str, str]: ...

    def purge(self) -> CampaignPurge: ...


def build_function_app(
    host: FunctionsServices,
    *,
    asgi_app: Any | None = None,
    http_auth_level: str = "anonymous",
) -> func.FunctionApp | func.AsgiFunctionApp:
    """The app the Functions host indexes (``asgi_app``: the HTTP API, optional): the
    projection trigger (which also sends the notifications through SignalR), the SignalR
    functions ``negotiate`` and ``join_campaign_group`` and the daily purge, on the parts of
    ``host``."""
    auth_level = func.AuthLevel(http_auth_level.lower())
    app: func.FunctionApp | func.AsgiFunctionApp
    if asgi_app is None:
        app = func.FunctionApp(http_auth_level=auth_level)
    else:
        app = func.AsgiFunctionApp(app=asgi_app, http_auth_level=auth_level)
    app.register_functions(projection_blueprint(host.runner, host.trigger_lag))
    app.register_functions(
        live_updates_blueprint(lambda: campaign_access_of(host.reads()), host.api_keys)
    )
    app.register_functions(purge_blueprint(host.purge))
    return app


def build_hosted_app(host: FunctionsHost | None = None) -> func.FunctionApp | func.AsgiFunctionApp:
    """What ``function_app.py`` exposes, on ``host`` (default: a new one for this process): the
    HTTP API (its services built on the first request, with lag reported as the trigger's),
    the projection trigger and the SignalR functions, at the auth level the settings name."""
    host = host or FunctionsHost()
    return build_function_app(
        host,
        asgi_app=LazyApiApp(host.api_services),
        http_auth_level=host.settings.functions_auth_level,
    )
