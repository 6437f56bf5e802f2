"""A document's stored text is exactly what the standard library's compact encoder writes,
whichever encoder wrote it, and what it refuses is refused alike."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from documentstore.encoding import compact_text
from tests.unit.documentstore.json_values import json_values

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.floats(min_value=1e-12, max_value=1e-3)
    | st.text()
    | st.from_regex(r"[0-9a-f]{1,4}e-[0-9][a-f,]?", fullmatch=True)
)
_VALUES = json_values(_SCALARS)


def _standard(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


@given(_VALUES)
def test_any_json_value_is_encoded_as_the_standard_library_encodes_it(value: Any) -> None:
    assert compact_text(value) == _standard(value)


@pytest.mark.parametrize(
    "value",
    [
        1e-05,
        [8.1e-05, 1e-09, 1e-10, 1e-4],
        {"score": 2.5e-07, "id": "3e-4a"},
        {"last": 1e-05},
        [[3e-08], -7.5e-06],
        {"id": "0b3e-4c1d", "scores": {"relevance": 4e-09}},
        "e-\ud800 1e-5",
        {"big": 2**64, "bigger": -(2**70)},
        {"text": 'é😀\u2028\x7f\x1f/"\\'},
        {2: "a", True: "b", None: "c", 1.5: "d"},
        (1, 2, 3),
    ],
)
def test_values_one_encoder_would_write_differently_are_written_as_the_standard_library_does(
    value: Any,
) -> None:
    assert compact_text(value) == _standard(value)


@pytest.mark.parametrize("value", [math.nan, {"a": [math.inf]}, -math.inf])
def test_a_non_finite_float_is_refused_as_the_standard_library_refuses_it(value: Any) -> None:
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        compact_text(value)


@pytest.mark.parametrize("value", [b"bytes", {1, 2}, object(), {"when": [object()]}])
def test_what_is_not_json_raises_the_standard_library_s_type_error(value: Any) -> None:
    with pytest.raises(TypeError) as raised:
        compact_text(value)

    with pytest.raises(TypeError) as expected:
        _standard(value)
    assert str(raised.value) == str(expected.value)
