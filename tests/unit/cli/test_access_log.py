"""The server's own access log writes the line uvicorn's access log would."""

import asyncio
import io
import logging

from uvicorn.logging import AccessFormatter
from uvicorn.protocols.utils import get_client_addr, get_path_with_query_string

from cli.access_log import AccessLog

FORMAT = '%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s'


def _scope(**overrides: object) -> dict[str, object]:
    scope: dict[str, object] = {
        "method": "POST",
        "path": "/api/campaigns/c 1/artifacts",
        "query_string": b"",
        "http_version": "1.1",
        "client": ("127.0.0.1", 50420),
    }
    scope.update(overrides)
    return scope


def _uvicorn_line(scope: dict[str, object], status: int) -> str:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        (
            get_client_addr(scope),  # type: ignore[arg-type]
            scope["method"],
            get_path_with_query_string(scope),  # type: ignore[arg-type]
            scope["http_version"],
            status,
        ),
        None,
    )
    return AccessFormatter(FORMAT, use_colors=False).format(record) + "\n"


def test_each_answer_is_written_as_uvicorn_writes_it() -> None:
    stream = io.StringIO()
    log = AccessLog(stream)
    answers = [
        (_scope(), 201),
        (_scope(method="GET", query_string=b"limit=2&x=%20"), 200),
        (_scope(client=None), 422),
        (_scope(method="HEAD", http_version="1.0"), 599),
        (_scope(path="/api/é?x=[1]"), 404),
        (_scope(path="/api/a-b_c.d~e/F9"), 405),
    ]
    for scope, status in answers:
        log.answered(scope, status)
    assert stream.getvalue() == "".join(_uvicorn_line(scope, status) for scope, status in answers)


def test_lines_noted_in_one_event_loop_turn_are_written_together_before_the_next() -> None:
    stream = io.StringIO()
    log = AccessLog(stream)

    async def answer_twice() -> str:
        log.answered(_scope(), 201)
        log.answered(_scope(), 409)
        written_at_once = stream.getvalue()
        await asyncio.sleep(0)
        return written_at_once

    assert asyncio.run(answer_twice()) == ""
    assert stream.getvalue() == _uvicorn_line(_scope(), 201) + _uvicorn_line(_scope(), 409)
