"""Request bodies read with orjson where it is safe give exactly what the strict reader gives:
the same value (numbers of the same type and value), or the same refusal."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.routing import parse_json_strictly, read_json_strictly
from domain.errors import InvalidInput


def _outcome(read: Any, raw: bytes) -> tuple[str, str]:
    try:
        return "value", repr(read(raw))
    except json.JSONDecodeError as error:
        return "JSONDecodeError", error.msg
    except InvalidInput as error:
        return "InvalidInput", repr([(e.field, e.message) for e in error.errors])


EDGES = [
    b'{"a":1,"a":2}',
    b'{"a":1e-400}',
    b'{"a":-0.0}',
    b'{"a":5e-324}',
    b'{"a":1e400}',
    b'{"a":-1e400}',
    b'{"a":NaN}',
    b'{"a":Infinity}',
    b'{"a":9007199254740991}',
    b'{"a":9007199254740992}',
    b'{"a":-9007199254740993}',
    b'{"a":18446744073709551615}',
    b'{"a":123456789012345678901}',
    b'{"a":1234567890123456.5}',
    b'{"a":12345678901234567890e-4}',
    b'"\\ud800"',
    b'"\\udc00x"',
    b'"\\ud83d\\ude00"',
    b"\xef\xbb\xbf{}",
    b"\xff\xfe{\x00}\x00",
    b'{"a":"\xff"}',
    b'{"a":"\x7f"}',
    b'{"a":"\\u0000"}',
    b"[1,]",
    b'{"a":1}x',
    b"",
    b"   ",
    b"[" * 600 + b"]" * 600,
    b"[" * 1200 + b"]" * 1200,
    b'{"s":"' + b"[" * 600 + b'"}',
    b'{"content":"' + b"9" * 40 + b'"}',
]


@pytest.mark.parametrize("raw", EDGES, ids=range(len(EDGES)))
def test_an_edge_body_is_read_as_the_strict_reader_reads_it(raw: bytes) -> None:
    assert _outcome(parse_json_strictly, raw) == _outcome(read_json_strictly, raw)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_body_is_read_as_the_strict_reader_reads_it(value: Any) -> None:
    raw = json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")

    assert _outcome(parse_json_strictly, raw) == _outcome(read_json_strictly, raw)
