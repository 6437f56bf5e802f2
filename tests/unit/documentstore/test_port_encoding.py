"""A write operation encodes its document once, and the port's size rules still count the
document as the Cosmos DB SDK sends it (ASCII-escaped compact JSON)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from documentstore.batch_rules import batch_size_bytes
from documentstore.port import (
    Create,
    Delete,
    Replace,
    Upsert,
    ascii_escaped_length,
    stored_json,
    without_system_fields,
)

_ENVELOPE = 160

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def wire_length(document: dict[str, Any]) -> int:
    """What ``batch_size_bytes`` counted before: the ASCII-escaped encoding, encoded again."""
    body = without_system_fields(document)
    return len(json.dumps(body, separators=(",", ":"), ensure_ascii=True))


@pytest.mark.parametrize(
    "text",
    [
        "plain",
        "é and ü",
        "\x7f delete",
        "emoji 😀 beyond the plane",
        'quotes " and \\ backslashes',
        "controls \n \t \x01 \x1f",
        "lone \ud800 surrogate",
        "€\x7f😀\x00",
    ],
)
def test_the_escaped_length_is_the_length_of_the_ascii_escaped_encoding(text: str) -> None:
    document = {"id": "a", "text": text}

    assert stored_json(document).wire_bytes == wire_length(document)
    assert ascii_escaped_length(json.dumps(text, ensure_ascii=False)) == len(json.dumps(text))


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_any_document_measures_as_it_did_when_it_was_encoded_escaped(
    fields: dict[str, Any],
) -> None:
    document = {**fields, "id": "a"}

    encoded = stored_json(document)

    assert encoded.wire_bytes == wire_length(document)
    assert json.loads(encoded.text) == without_system_fields(document)
    assert batch_size_bytes([Create(document)]) == _ENVELOPE + wire_length(document)


def test_store_fields_are_left_out_of_the_stored_json() -> None:
    encoded = stored_json({"id": "a", "_etag": "e", "_ts": 1, "_rid": "r", "n": 1})

    assert encoded.text == '{"id":"a","n":1}'
    assert encoded.strict


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
def test_a_number_json_cannot_hold_is_measured_but_marked_not_strict(number: float) -> None:
    document = {"id": "a", "x": number}

    encoded = stored_json(document)

    assert not encoded.strict
    assert encoded.wire_bytes == wire_length(document)


def test_a_document_that_is_not_json_fails_as_json_dumps_does() -> None:
    with pytest.raises(TypeError):
        stored_json({"id": "a", "when": object()})


def test_an_operation_encodes_its_document_once_and_keeps_it() -> None:
    operation = Replace({"id": "a", "n": 1}, if_match="e")

    first = operation.stored_json

    assert operation.stored_json is first
    assert batch_size_bytes([operation, Delete("b")]) == 2 * _ENVELOPE + first.wire_bytes


def test_an_encoding_given_with_the_operation_is_used_and_never_compared() -> None:
    document = {"id": "a", "n": 1}
    encoded = stored_json(document)

    operation = Upsert(document, encoded=encoded)

    assert operation.stored_json is encoded
    assert operation == Upsert(document)
    assert Create(document, encoded=encoded) == Create(document)
