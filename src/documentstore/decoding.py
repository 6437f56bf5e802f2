"""Decoding a stored document's JSON text: with orjson (about half the CPU of the standard
library on the views' and events' texts: a rebuild decodes every event once), and exactly as
``json.loads`` would.

orjson answers differently from ``json.loads`` in two ways that matter here: it refuses what
the standard library accepts beyond strict JSON (``NaN``, infinities, numbers too large for a
double, lone surrogates), and it reads an integer beyond 64 bits as a float, silently. So a
text holding a run of 19 digits or more (anywhere, strings included: the check is cheap and
errs on the safe side) and a text orjson refuses are decoded by the standard library.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_LONG_DIGITS = re.compile(r"\d{19}")
"""A run of digits that could be an integer orjson would not hold exactly (every integer of
18 digits or fewer fits in 64 bits)."""


def decode_text(text: str) -> Any:
    """The value ``json.loads(text)`` answers, decoded faster where that is exact."""
    if _LONG_DIGITS.search(text) is None:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)
