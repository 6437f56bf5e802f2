"""Command routes that build their context once, straight from the request.

A command route declares ``ctx: Context`` and ``commands: Commands`` as FastAPI dependencies,
which is what documents its headers and security schemes in the OpenAPI document. Solving that
tree for every request (the tenant, its key schemes and the settings under the context, five
headers, the services) was a large share of a command's CPU time under load (profiled:
docs/performance.md). ``CommandRoute`` keeps the declared dependencies for the document and,
at run time, hands FastAPI an endpoint without them: before FastAPI reads the path and body,
the route computes the context with the same functions and checks, in the same order
(``api.context.context_of_request``: tenant and key first, then the command headers), and the
endpoint receives it with the app's commands. A route with any other dependency is served the
usual way. The endpoint's answer is validated and rendered in the endpoint's own thread, as
FastAPI would render it, rather than in a second trip through the threadpool.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.utils import get_dependant
from fastapi.exceptions import ResponseValidationError
from fastapi.routing import _effective_route_context_var, get_request_handler
from fastapi.utils import is_body_allowed_for_status_code

from api.context import Context, context_of_request
from api.dependencies import Commands, services_of
from api.routing import StrictJsonRoute

_REQUEST_PARAMETER = "ledger_request"
_SOLVED = "campaign_ledger.command"
"""Where the route leaves the request's context and commands for the endpoint."""


class CommandRoute(StrictJsonRoute):
    """A ``StrictJsonRoute`` whose ``Context`` and ``Commands`` are computed directly."""

    def request_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        effective = _effective_route_context_var.get()
        route: Any = (
            effective if effective is not None and effective.original_route is self else self
        )
        runtime = _runtime_endpoint(route.dependant.call, route.dependant, _renderer(route))
        if runtime is None:
            return super().request_handler()
        handle = get_request_handler(
            dependant=get_dependant(path=route.dependant.path, call=runtime),
            body_field=route.body_field,
            status_code=route.status_code,
            response_class=route.response_class,
            response_field=route.response_field,
            response_model_include=route.response_model_include,
            response_model_exclude=route.response_model_exclude,
            response_model_by_alias=route.response_model_by_alias,
            response_model_exclude_unset=route.response_model_exclude_unset,
            response_model_exclude_defaults=route.response_model_exclude_defaults,
            response_model_exclude_none=route.response_model_exclude_none,
            dependency_overrides_provider=route.dependency_overrides_provider,
            embed_body_fields=route._embed_body_fields,
            strict_content_type=route.strict_content_type,
            stream_item_field=route.stream_item_field,
            is_json_stream=route.is_json_stream,
        )

        async def handle_command(request: Request) -> Response:
            services = services_of(request)
            context = await context_of_request(request, services.settings)
            request.scope[_SOLVED] = (context, services.commands)
            return await handle(request)

        return handle_command


Renderer = Callable[[Any, Response], Response]
"""Turns an endpoint's answer and the response it stamped into the final response."""


def _renderer(route: Any) -> Renderer | None:
    """How FastAPI would answer a route's returned model (``response_model`` validated and
    dumped as JSON, the status and headers set on the endpoint's ``response``), done in the
    endpoint's own thread rather than in a second threadpool call; None for a route whose
    answers FastAPI renders some other way."""
    field = route.response_field
    if field is None or not isinstance(route.response_class, DefaultPlaceholder):
        return None

    def render(answer: Any, stamped: Response) -> Response:
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
        status = route.status_code or stamped.status_code
        if stamped.status_code:
            status = stamped.status_code
        response = (
            Response(content=content, media_type="application/json")
            if status is None
            else Response(content=content, media_type="application/json", status_code=status)
        )
        if not is_body_allowed_for_status_code(response.status_code):
            response.body = b""
        response.headers.raw.extend(stamped.headers.raw)
        return response

    return render


def _runtime_endpoint(
    endpoint: Any, dependant: Any, render: Renderer | None
) -> Callable[..., Any] | None:
    """``endpoint`` without its ``Context`` and ``Commands`` parameters, which it gets from
    the request instead, answering the final response when ``render`` says how; None when it
    has other dependencies."""
    if endpoint is None or inspect.iscoroutinefunction(endpoint):
        return None
    hints = typing.get_type_hints(endpoint, include_extras=True)
    signature = inspect.signature(endpoint)
    context_name = commands_name = response_name = None
    kept: list[inspect.Parameter] = []
    for parameter in signature.parameters.values():
        hint = hints.get(parameter.name, parameter.annotation)
        if hint is Response and response_name is None:
            response_name = parameter.name
        if hint == Context and context_name is None:
            context_name = parameter.name
        elif hint == Commands and commands_name is None:
            commands_name = parameter.name
        else:
            kept.append(parameter.replace(annotation=hint))
    if context_name is None or commands_name is None or len(dependant.dependencies) != 2:
        return None
    solved_names = (context_name, commands_name)

    def runtime(**values: Any) -> Any:
        request: Request = values.pop(_REQUEST_PARAMETER)
        context, commands = request.scope[_SOLVED]
        answer = endpoint(**values, **dict(zip(solved_names, (context, commands), strict=True)))
        if render is None or response_name is None or isinstance(answer, Response):
            return answer
        return render(answer, values[response_name])

    request_parameter = inspect.Parameter(
        _REQUEST_PARAMETER, inspect.Parameter.KEYWORD_ONLY, annotation=Request
    )
    runtime.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*kept, request_parameter],
        return_annotation=hints.get("return", signature.return_annotation),
    )
    runtime.__name__ = endpoint.__name__
    runtime.__doc__ = endpoint.__doc__
    return runtime
