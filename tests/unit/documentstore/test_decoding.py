"""A stored text decodes to exactly what ``json.loads`` answers, whichever decoder reads it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from documentstore.decoding import decode_text
from tests.unit.documentstore.json_values import json_values

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
)
_VALUES = json_values(_SCALARS)


def _same(one: Any, other: Any) -> bool:
    """Equal values of the same types all the way down (``repr`` tells 1 from 1.0 and NaN from
    NaN's absence)."""
    return repr(one) == repr(other)


@given(_VALUES)
def test_any_encoded_value_decodes_as_the_standard_library_decodes_it(value: Any) -> None:
    text = json.dumps(value)

    assert _same(decode_text(text), json.loads(text))


@pytest.mark.parametrize(
    "text",
    [
        "18446744073709551616",
        "-9223372036854775809",
        '{"n": 123456789012345678901234567890}',
        "1e400",
        "-1e400",
        "NaN",
        "[Infinity, -Infinity]",
        '"\\ud800"',
        '{"a": 1, "a": 2}',
        "1.7976931348623159e308",
        "123456789012345678901234567890.5",
        '{"k": [true, false, null, -0, -0.0, 1E5, "\\u0000"]}',
    ],
)
def test_texts_where_orjson_differs_decode_as_the_standard_library_decodes_them(
    text: str,
) -> None:
    assert _same(decode_text(text), json.loads(text))


def test_a_text_that_is_not_json_is_refused_as_the_standard_library_refuses_it() -> None:
    with pytest.raises(json.JSONDecodeError):
        decode_text('{"unterminated": ')
