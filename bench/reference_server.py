"""A reference service of ``../shared/reference-services`` under this service's server stack:
``python -m bench.reference_server APP KIND PORT DATA_DIR``.

The reference's ``app.py`` ends by calling ``uvicorn.run(app, host=..., port=...)``; here that
call is replaced by the uvicorn configuration ``campaigns serve`` uses (``cli.connection_guard.
uvicorn_config`` with ``cli.server``'s parser and loop: the same HTTP parser, event loop,
connection guard and settings), so that the figures compare the services, not their servers.
The reference itself runs unchanged."""

from __future__ import annotations

import runpy
import sys
from typing import Any

import uvicorn

from bootstrap.settings import Settings
from cli.connection_guard import uvicorn_config
from cli.server import EVENT_LOOP, GRACEFUL_SHUTDOWN_SECONDS, HTTP_PARSER


def _serve(app: Any, *, host: str = "127.0.0.1", port: int = 8000, **_: Any) -> None:
    config = uvicorn_config(
        app,
        Settings(host=host, port=port),
        http=HTTP_PARSER,
        loop=EVENT_LOOP,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        log_level="info",
    )
    uvicorn.Server(config).run()


def main(app_path: str, arguments: list[str]) -> None:
    uvicorn.run = _serve
    sys.argv = [app_path, *arguments]
    runpy.run_path(app_path, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
