"""JSON values that a JSON document store keeps exactly, and the bounded work of checking them.

Cosmos DB numbers are IEEE doubles, so an integer beyond ±2^53 or a number that overflows a
double cannot be stored exactly; a document nested deeper than a store allows cannot be stored at
all. The checks here cost time linear in the size of the value, whatever its shape:

- ``walk_json`` visits every value once; a value's path is built only when asked for (a place
  links to its parent), so a deep and wide value costs nodes, not nodes x depth;
- ``json_breach`` first lets the C encoder do the work (size, types, non-finite numbers) and
  scans the encoded text for depth and long integers; only a value that fails a cheap test is
  walked, to name the place of the breach;
- ``structure_of`` measures raw JSON text (nesting depth, a bound on its number of values)
  without parsing it, so that a request body can be refused before ``json.loads`` builds it.
"""

from __future__ import annotations

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

_STRING_LITERAL_BYTES = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_LONG_DIGITS = re.compile(rb"[0-9]{16,}")
_STRUCTURE_BYTES = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{},"))


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
    """Whether the brackets of a JSON text (only them: strings and commas removed, ``{}`` read
    as ``[]``) nest more than ``limit`` levels: each pass removes the innermost level, in C."""
    remaining = brackets
    for _ in range(limit):
        if not remaining:
            return False
        shorter = remaining.replace(b"[]", b"")
        if len(shorter) == len(remaining):
            return False  # unbalanced: not JSON, which the parser will say
        remaining = shorter
    return bool(remaining)


def json_breach(value: Any, max_depth: int) -> tuple[JsonPath, str] | None:
    """``walked_breach`` at the cost of the C encoder for a value without a breach: the encoder
    refuses non-finite numbers and foreign types; the encoded text shows the depth and the
    integers too long to be exact; a round trip shows keys that were not text."""
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (ValueError, TypeError, RecursionError):
        return walked_breach(value, max_depth)
    structure = _STRING_LITERAL_BYTES.sub(b"", text.encode("utf-8", "surrogatepass"))
    if (
        _brackets_deeper_than(structure, max_depth)
        or _LONG_DIGITS.search(structure) is not None
        or json.loads(text) != value
    ):
        return walked_breach(value, max_depth)
    return None


def _brackets_deeper_than(structure: bytes, max_depth: int) -> bool:
    brackets = structure.translate(_STRUCTURE_BYTES, _NOT_BRACKETS).replace(b",", b"")
    return deeper_than(brackets, max_depth)


@dataclass(frozen=True)
class JsonStructure:
    """What raw JSON text shows without being parsed."""

    too_deep: bool
    """Nested more than the limit asked for (or unbalanced brackets, for the parser to name)."""
    value_bound: int
    """At least the number of values in it (containers, members and items)."""


def structure_of(raw: bytes, max_depth: int) -> JsonStructure:
    """The nesting and size of the JSON text ``raw``, in C-speed passes over its bytes."""
    structure = _STRING_LITERAL_BYTES.sub(b"", raw)
    values = structure.count(b",") + structure.count(b"[") + structure.count(b"{") + 1
    return JsonStructure(_brackets_deeper_than(structure, max_depth), values)


def escaped_size(value: Any) -> int:
    """Bytes of ``value`` as compact JSON with every non-ASCII character escaped: what a batch
    to the document store carries (``documentstore.port.batch_size_bytes``)."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=True))
