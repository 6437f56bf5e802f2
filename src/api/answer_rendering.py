"""Command answers rendered in the endpoint's own thread.

FastAPI runs a plain (``def``) endpoint in its threadpool, then validates and serializes the
model it returned in a second trip through the threadpool: two thread hand-offs per command,
a visible share of a command's CPU under load (docs/performance.md, "Throughput, round 2").
``ThreadRenderedRoute`` gives FastAPI a coroutine endpoint that runs the original in one of the
command threads (``api.endpoint_threads``, a leaner hand-off than anyio's) and does that second
step there too, exactly as FastAPI would (the ``response_model`` validated, dumped as JSON by
alias, the route's status code or the one the endpoint set, the headers it stamped on its
``response``), and answers the finished ``Response``, which FastAPI sends as it is.

The endpoint FastAPI sees has the original's parameters (``functools.wraps``), so the
dependencies, the body and the OpenAPI document are unchanged. A route that is a coroutine is
served the usual way; one that declares a custom response class or has no response model gets
its endpoint's answer back from the thread and renders it as usual.

The route also solves less per request: the ``Context`` dependency documents the command
headers and the key schemes (a tree of a dozen parameters and sub-dependencies, about a tenth
of a command's CPU time under load), while ``context_from_request`` computes the same context
from the request's headers with the same checks in the same order (``api.context``). The
handler FastAPI builds for the route runs on a dependant without the ``Context`` and
``Commands`` dependencies (each one a recursive solve in FastAPI): the context is computed
where FastAPI would have solved it first (the body parsed, the path and the body not yet
validated), and the commands are the app's; the route's own dependant, which the OpenAPI
document is made from, keeps both.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_dependant
from fastapi.exceptions import ResponseValidationError
from fastapi.routing import APIRoute, _effective_route_context_var
from fastapi.utils import is_body_allowed_for_status_code

from api.context import Context, context_from_request
from api.dependencies import Commands, services_of
from api.endpoint_threads import EndpointThreads
from api.routing import StrictJsonRoute


class ThreadRenderedRoute(StrictJsonRoute):
    """A ``StrictJsonRoute`` whose answer is rendered in the endpoint's thread."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        rendered = _rendered_endpoint(endpoint, self)
        super().__init__(path, endpoint if rendered is None else rendered, **options)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """FastAPI's handler, built on the lean dependant (the route as included in its
        router, when FastAPI builds it for an inclusion), behind the strict body and the
        context computed from the request."""
        effective = _effective_route_context_var.get()
        route: Any = (
            effective if effective is not None and effective.original_route is self else self
        )
        documented: Dependant = route.dependant
        lean = _lean_dependant(documented)
        if lean is None:
            return super().get_route_handler()
        route.dependant = lean
        try:
            handle = APIRoute.get_route_handler(self)
        finally:
            route.dependant = documented
        return self.strict_handler(handle, prepare=_note_context)


_CONTEXT_KEY = "campaign_ledger.command_context"
"""Where a request's scope keeps the context computed for its lean dependant."""
_REQUEST = "_ledger_request"


def _note_context(request: Request) -> None:
    request.scope[_CONTEXT_KEY] = context_from_request(request)


def _lean_dependant(documented: Dependant) -> Dependant | None:
    """``documented`` without its ``Context`` and ``Commands`` parameters, which its call
    takes from the request (``_note_context``, the app's services); None when it has no
    ``Context``, or dependencies other than these and its endpoint's own."""
    call, path = documented.call, documented.path
    if call is None or path is None or not getattr(call, _IN_COMMAND_THREADS, False):
        return None
    hints = typing.get_type_hints(call, include_extras=True)
    signature = inspect.signature(call)
    parameters = [
        parameter.replace(annotation=hints.get(parameter.name, parameter.annotation))
        for parameter in signature.parameters.values()
    ]
    contexts = [parameter.name for parameter in parameters if parameter.annotation == Context]
    commands = [parameter.name for parameter in parameters if parameter.annotation == Commands]
    if not contexts or _REQUEST in signature.parameters:
        return None
    lean_parameters = [
        parameter
        for parameter in parameters
        if parameter.name not in contexts and parameter.name not in commands
    ]
    lean_parameters.append(
        inspect.Parameter(_REQUEST, inspect.Parameter.KEYWORD_ONLY, annotation=Request)
    )

    async def solved_leanly(**values: Any) -> Any:
        request: Request = values.pop(_REQUEST)
        context = request.scope[_CONTEXT_KEY]
        values.update(dict.fromkeys(contexts, context))
        if commands:
            values.update(dict.fromkeys(commands, services_of(request).commands))
        return await call(**values)

    solved_leanly.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=lean_parameters, return_annotation=hints.get("return", Any)
    )
    solved_leanly.__name__ = getattr(call, "__name__", "endpoint")
    solved_leanly.__doc__ = call.__doc__
    lean = get_dependant(path=path, call=solved_leanly, scope="function")
    if len(lean.dependencies) != len(documented.dependencies) - len(contexts) - len(commands):
        return None
    return lean


_command_threads = EndpointThreads(name="command")
_IN_COMMAND_THREADS = "_in_command_threads"


def _rendered_endpoint(endpoint: Callable[..., Any], route: APIRouteLike) -> Any:
    """``endpoint`` as a coroutine that runs it in a command thread and answers its rendered
    ``Response``; None for a coroutine."""
    if inspect.iscoroutinefunction(endpoint):
        return None
    response_name = next(
        (
            name
            for name, parameter in inspect.signature(endpoint).parameters.items()
            if parameter.annotation in (Response, "Response")
        ),
        None,
    )

    def render(arguments: tuple[Any, ...], values: dict[str, Any]) -> Any:
        answer = endpoint(*arguments, **values)
        if isinstance(answer, Response) or not _renders_itself(route):
            return answer
        stamped = values.get(response_name) if response_name is not None else None
        return _render(route, answer, stamped if isinstance(stamped, Response) else None)

    @functools.wraps(endpoint)
    async def rendering(*arguments: Any, **values: Any) -> Any:
        return await _command_threads.run(lambda: render(arguments, values))

    setattr(rendering, _IN_COMMAND_THREADS, True)
    return rendering


APIRouteLike = Any
"""The route being built (its response field is known only once FastAPI has built it)."""


def _renders_itself(route: APIRouteLike) -> bool:
    return route.response_field is not None and isinstance(route.response_class, DefaultPlaceholder)


def _render(route: APIRouteLike, answer: Any, stamped: Response | None) -> Response:
    """What FastAPI's request handler makes of ``answer`` on its JSON fast path."""
    field = route.response_field
    value, errors = field.validate(answer, {}, loc=("response",))
    if errors:
        raise ResponseValidationError(errors=errors, body=answer)
    content = field.serialize_json(
        value,
        include=route.response_model_include,
        exclude=route.response_model_exclude,
        by_alias=route.response_model_by_alias,
        exclude_unset=route.response_model_exclude_unset,
        exclude_defaults=route.response_model_exclude_defaults,
        exclude_none=route.response_model_exclude_none,
    )
    status = route.status_code
    if stamped is not None and stamped.status_code:
        status = stamped.status_code
    response = (
        Response(content=content, media_type="application/json")
        if status is None
        else Response(content=content, media_type="application/json", status_code=status)
    )
    if not is_body_allowed_for_status_code(response.status_code):
        response.body = b""
    if stamped is not None:
        response.headers.raw.extend(stamped.headers.raw)
    return response
