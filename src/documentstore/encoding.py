"""Encoding a document as the stores keep its JSON text: compact, not ASCII-escaped, refusing
``NaN`` and the infinities, exactly as ``json.dumps(value, separators=(",", ":"),
ensure_ascii=False, allow_nan=False)`` answers or raises; with ujson where that is exact (under
half the CPU of the standard library's encoder on the views' and events' documents: a
100,000-event rebuild encodes 124,000 of them, and every command its events and head).

For JSON values ujson writes the standard library's text but for one thing: a float that the
standard library writes with a one-digit negative exponent gets no leading zero (``1e-5`` where
it writes ``1e-05``). So a text holding a digit, ``e-``, one digit and then what may end a
number in compact JSON (``,``, ``}``, ``]`` or the end of the text; anywhere, strings included,
so the check errs on the safe side) is encoded again by the standard library, as is anything
ujson refuses (a non-finite float, a value that is not JSON, a nesting too deep), which then
answers or raises as it always has. (Asking only for a digit after the exponent's sent about
two view documents in five to the standard library a second time, for the uuids in them:
``…3e-4a…``; a uuid's group is never followed by an ending.) The text is therefore exactly
the standard library's, and so are the sizes the port's rules measure on it (Cosmos DB's
limits). One exception, for what is not JSON: a dict
key other than a string, number, boolean or None (a tuple, say) is written as its ``str``
where the standard library raises TypeError.
"""

from __future__ import annotations

import json
from typing import Any

import ujson

_STRICT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)

_NUMBER_SHAPES = bytes(
    0x30 if 0x30 <= byte <= 0x39 else byte if byte in b"e-" else 0x29 if byte in b",}]" else 0x20
    for byte in range(256)
)
"""A byte table keeping ``e`` and ``-``, turning every digit into ``0``, what ends a number
into ``)`` and anything else into a space."""

_SHORT_NEGATIVE_EXPONENT = b"0e-0)"
"""A float ujson writes otherwise than the standard library, as ``_NUMBER_SHAPES`` shows it
(the text is given an ending: ``,``)."""


def compact_text(value: Any) -> str:
    """``value`` as compact JSON text (see the module docstring); ValueError for ``NaN`` or an
    infinity, TypeError for what is not JSON, as ``json.dumps`` raises them."""
    try:
        text = ujson.dumps(
            value,
            ensure_ascii=False,
            escape_forward_slashes=False,
            allow_nan=False,
            reject_bytes=True,
        )
    except (OverflowError, TypeError, ValueError):
        return _STRICT.encode(value)
    if "e-" in text and _SHORT_NEGATIVE_EXPONENT in (
        text.encode("utf-8", "surrogatepass") + b","
    ).translate(_NUMBER_SHAPES):
        return _STRICT.encode(value)
    return text
