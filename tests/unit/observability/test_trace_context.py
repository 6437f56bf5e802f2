"""``traceparent`` values to span contexts and back."""

from __future__ import annotations

import pytest

from observability.trace_context import span_context_of, traceparent_of

VALUE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_a_traceparent_names_a_remote_span_context_and_comes_back_the_same() -> None:
    context = span_context_of(VALUE)
    assert context is not None
    assert context.is_remote
    assert (context.trace_id, context.span_id) == (
        0x4BF92F3577B34DA6A3CE929D0E0E4736,
        0x00F067AA0BA902B7,
    )
    assert context.trace_flags.sampled
    assert traceparent_of(context) == VALUE


@pytest.mark.parametrize(
    "value",
    [
        None,
        42,
        "",
        VALUE.upper(),
        "01" + VALUE[2:],
        VALUE.replace("-", "_"),
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        VALUE + "-extra",
        VALUE[:-1] + "g",
    ],
)
def test_anything_else_names_no_context(value: object) -> None:
    assert span_context_of(value) is None
