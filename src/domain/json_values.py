"""JSON values that a JSON document store keeps exactly, and the bounded work of checking them.

Cosmos DB numbers are IEEE doubles, so an integer beyond ±2^53 or a number that overflows a
double cannot be stored exactly; a document nested deeper than a store allows cannot be stored at
all. The checks here cost time linear in the size of the value, whatever its shape:

- ``walk_json`` visits every value once; a value's path is built only when asked for (a place
  links to its parent), so a deep and wide value costs nodes, not nodes x depth;
- ``json_breach`` first lets the C encoder do the work (size, types, non-finite numbers) and
  scans the encoded text for depth and long integers; only a value that fails a cheap test is
  walked, to name the place of the breach;
- ``structure_of`` measures raw JSON text (nesting depth, number of values, whether any number
  could be out of range) without parsing it, so that a request body can be refused before
  ``json.loads`` builds it; its passes over the bytes are calls in C of bounded length.
"""

from __future__ import annotations

import array
import itertools
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

MAX_EXACT_INTEGER = 2**53
"""The largest integer magnitude an IEEE double (a Cosmos DB number) holds exactly."""

INTEGER_OUT_OF_RANGE = f"must be an integer from -{MAX_EXACT_INTEGER} to {MAX_EXACT_INTEGER}"
NOT_A_FINITE_NUMBER = "must be a finite number within the range of a double (about ±1.8e308)"

JsonPath = tuple[str | int, ...]
"""Where a value sits inside a JSON value: object keys and list indexes, outermost first."""

_LONG_DIGITS = re.compile(rb"[0-9]{16,}")
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_NOT_ASCII = bytes(range(0x80, 0x100))
_NOT_SHORT_LEADS = bytes(set(range(256)) - set(range(0xC0, 0xF0)))
_NOT_LONG_LEADS = bytes(set(range(256)) - set(range(0xF0, 0xF8)))
_STRUCTURE_BYTES = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
_STEPS = bytes.maketrans(b"[]", b"\x01\xff")
"""Brackets as signed steps: ``[`` +1, ``]`` -1."""
_DEPTH_CHUNK = 4096
_QUOTES_PER_PASS = 65_536
"""Quotes split at in one call (an even number: each pass ends outside a string)."""


@dataclass(frozen=True, slots=True)
class JsonPlace:
    """Where a value sits: its container's place and its key there (None for the root)."""

    parent: JsonPlace | None
    key: str | int | None
    depth: int

    @property
    def path(self) -> JsonPath:
        keys: list[str | int] = []
        place: JsonPlace | None = self
        while place is not None and place.key is not None:
            keys.append(place.key)
            place = place.parent
        return tuple(reversed(keys))


ROOT = JsonPlace(None, None, 0)


def _members(value: Any) -> Iterator[tuple[str | int, Any]]:
    if isinstance(value, dict):
        return iter(value.items())
    if isinstance(value, list):
        return enumerate(value)
    return iter(())


def walk_json(value: Any) -> Iterator[tuple[JsonPlace, Any]]:
    """``value`` and everything inside it with its place, depth first.

    Iterative (no ``RecursionError`` however deep the nesting), lazy (it keeps only the chain of
    containers above the current value) and linear in the number of values.
    """
    yield ROOT, value
    stack: list[tuple[JsonPlace, Iterator[tuple[Any, Any]]]] = [(ROOT, _members(value))]
    while stack:
        place, members = stack[-1]
        member = next(members, None)
        if member is None:
            stack.pop()
            continue
        key, item = member
        item_place = JsonPlace(place, key, place.depth + 1)
        yield item_place, item
        if isinstance(item, dict | list):
            stack.append((item_place, _members(item)))


def json_path_text(path: JsonPath) -> str:
    """``("sizes", 3, "w")`` -> ``sizes[3].w``: a path as the error messages name it."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def number_breach(value: Any) -> str | None:
    """Why the JSON number ``value`` cannot be stored exactly, or None when it can."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and abs(value) > MAX_EXACT_INTEGER:
        return INTEGER_OUT_OF_RANGE
    if isinstance(value, float) and not math.isfinite(value):
        return NOT_A_FINITE_NUMBER
    return None


def walked_breach(value: Any, max_depth: int) -> tuple[JsonPath, str] | None:
    """The first place where ``value`` is not JSON that a document store keeps exactly."""
    for place, item in walk_json(value):
        if place.depth > max_depth:
            return place.path, f"must not nest more than {max_depth} levels deep"
        if isinstance(item, dict):
            if not all(isinstance(key, str) for key in item):
                return place.path, "must have text keys"
        elif isinstance(item, int | float) and not isinstance(item, bool):
            reason = number_breach(item)
            if reason is not None:
                return place.path, reason
        elif not (item is None or isinstance(item, str | bool | list)):
            return place.path, f"must hold only JSON values, not {type(item).__name__}"
    return None


def deeper_than(brackets: bytes, limit: int) -> bool:
    """Whether ``brackets`` (the brackets of a JSON text, ``{}`` read as ``[]``, nothing else)
    nest more than ``limit`` levels. A chunk is looked into only when its opening brackets could
    take it past the limit; the look is a running sum in C."""
    depth = 0
    for start in range(0, len(brackets), _DEPTH_CHUNK):
        chunk = brackets[start : start + _DEPTH_CHUNK]
        opening = chunk.count(b"[")
        if depth + opening > limit:
            steps = array.array("b", chunk.translate(_STEPS))
            if max(itertools.accumulate(steps, initial=depth)) > limit:
                return True
        depth += 2 * opening - len(chunk)
        if depth < 0:
            return False  # unbalanced: not JSON, which the parser will say
    return False


def json_breach(value: Any, max_depth: int) -> tuple[JsonPath, str] | None:
    """``walked_breach`` at the cost of the C encoder for a value without a breach: the encoder
    refuses non-finite numbers and foreign types; the encoded text shows the depth and the
    integers too long to be exact; a round trip shows keys that were not text."""
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (ValueError, TypeError, RecursionError):
        return walked_breach(value, max_depth)
    structure = _outside_strings(text.encode("utf-8", "surrogatepass"), None)
    if (
        structure is None
        or deeper_than(_brackets(structure), max_depth)
        or _LONG_DIGITS.search(structure) is not None
        or json.loads(text) != value
    ):
        return walked_breach(value, max_depth)
    return None


def _brackets(structure: bytes) -> bytes:
    return structure.translate(_STRUCTURE_BYTES, _NOT_BRACKETS)


def _outside_strings(raw: bytes, max_values: int | None) -> bytes | None:
    """The text of ``raw`` outside its string literals (None once it shows more than
    ``max_values`` values). Escaped backslashes and quotes are dropped first, so every quote
    left opens or closes a string; the text is then split at the quotes a bounded number at a
    time, each pass a short call in C."""
    rest = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside: list[bytes] = []
    values = 1
    while True:
        pieces = rest.split(b'"', _QUOTES_PER_PASS)
        last = len(pieces) <= _QUOTES_PER_PASS
        if not last:
            rest = pieces.pop()
        segment = b"".join(pieces[::2])
        outside.append(segment)
        if max_values is not None:
            values += segment.count(b",") + segment.count(b"[") + segment.count(b"{")
            if values > max_values:
                return None
        if last:
            return b"".join(outside)


@dataclass(frozen=True)
class JsonStructure:
    """What raw JSON text shows without being parsed."""

    too_deep: bool
    """Nested more than the limit asked for."""
    too_many_values: bool
    """Holds more items and members (of arrays and objects) than the limit asked for."""
    exact_numbers_only: bool
    """No number in it can be beyond what a double holds exactly (no run of 16 digits, no
    exponent): the parser need not look at each one."""
    escaped_size_at_most: int
    """An upper bound of ``escaped_size`` of the value it holds."""
    escaped_size_at_least: int
    """A lower bound of the same."""


def structure_of(raw: bytes, max_depth: int, max_values: int) -> JsonStructure:
    """The nesting and size of the JSON text ``raw`` (bytes that are not JSON give a
    structure the parser then refuses), in bounded passes in C over its bytes."""
    structure = _outside_strings(raw, max_values)
    if structure is None:
        return JsonStructure(False, True, False, len(raw) * 12, 0)
    digits = structure.translate(_DIGITS_AS_ZERO)
    exact = b"0" * 16 not in digits and b"0e" not in digits and b"0E" not in digits
    at_most = _escaped_size_bound(raw, structure)
    at_least = at_most - 5 * raw.count(b"\\")
    too_deep = deeper_than(_brackets(structure), max_depth)
    return JsonStructure(too_deep, False, exact, at_most, at_least)


def _escaped_size_bound(raw: bytes, structure: bytes) -> int:
    """Compact JSON drops the white space outside strings; ASCII escaping writes a character
    of two or three UTF-8 bytes as six bytes (``\\uXXXX``), one of four as twelve (a pair);
    a backslash escape in ``raw`` stays as long or gets shorter."""
    ascii_bytes = len(raw.translate(None, _NOT_ASCII))
    white_space = len(structure) - len(structure.translate(None, b" \t\r\n"))
    short_leads = len(raw.translate(None, _NOT_SHORT_LEADS))
    long_leads = len(raw.translate(None, _NOT_LONG_LEADS))
    return ascii_bytes - white_space + 6 * short_leads + 12 * long_leads


def escaped_size(value: Any) -> int:
    """Bytes of ``value`` as compact JSON with every non-ASCII character escaped: what a batch
    to the document store carries (``documentstore.batch_rules.batch_size_bytes``)."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=True))


def json_number(value: Any) -> Any:
    """A JSON number only: ``true``/``false`` and text are refused, not read as numbers."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number")
    return value


def storable_json_object(
    value: dict[str, Any], *, max_depth: int, max_bytes: int
) -> dict[str, Any]:
    """``value`` when it is storable JSON within ``max_depth`` levels and ``max_bytes`` bytes
    as compact UTF-8; else ValueError naming the first breach."""
    breach = json_breach(value, max_depth)
    if breach is not None:
        path, reason = breach
        raise ValueError(f"{json_path_text(path)}: {reason}" if path else reason)
    try:
        size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    except UnicodeEncodeError:
        raise ValueError("must hold only text without lone surrogates") from None
    if size > max_bytes:
        raise ValueError(f"must be at most {max_bytes} bytes as JSON, not {size}")
    return value
