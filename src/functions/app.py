"""The function app: the projection trigger, and (when given) the HTTP API as one ASGI function.

``function_app.py`` at the repository root calls ``build_function_app``; the HTTP API joins with
``build_function_app(asgi_app=...)`` (``func.AsgiFunctionApp``: host.json's empty
``routePrefix`` keeps the paths identical to the local server's). Building the app registers
functions only: no client is created until a function runs.
"""

from __future__ import annotations

from typing import Any

import azure.functions as func

from functions.projection_trigger import RunnerFactory, projection_blueprint, runner_from_settings


def build_function_app(
    asgi_app: Any | None = None,
    *,
    http_auth_level: str = "anonymous",
    runner_factory: RunnerFactory = runner_from_settings,
) -> func.FunctionApp | func.AsgiFunctionApp:
    """The app the Functions host indexes (``asgi_app``: the HTTP API, optional)."""
    auth_level = func.AuthLevel(http_auth_level.lower())
    app: func.FunctionApp | func.AsgiFunctionApp
    if asgi_app is None:
        app = func.FunctionApp(http_auth_level=auth_level)
    else:
        app = func.AsgiFunctionApp(app=asgi_app, http_auth_level=auth_level)
    app.register_functions(projection_blueprint(runner_factory))
    return app
