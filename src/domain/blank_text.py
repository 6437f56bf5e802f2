"""What counts as blank text: nothing a reader would see.

A text that must say something (a name, a feedback text, a label) is refused when it is made
only of white space, control characters, format characters (zero-width spaces and joiners, the
byte-order mark, bidirectional marks, invisible tags) and the few letters that render as
nothing (the Hangul fillers, the blank Braille pattern). Python's ``str.strip`` knows only the
white space, so ``"\\u200b"`` would pass it.

``not_blank_pattern`` says the same as a regular expression (one character outside the blank
ones), for the OpenAPI document: a client generated from it refuses what the server refuses.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterator

_BLANK_CATEGORIES = frozenset({"Cc", "Cf"})
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_PLANES_WITH_BLANKS = (range(0x0000, 0x20000), range(0xE0000, 0xE1000))
"""Every white-space, control and format character is in the first two planes or among the
tags of plane 14."""


def _is_blank_character(character: str) -> bool:
    return (
        character.isspace()
        or character in _BLANK_LETTERS
        or unicodedata.category(character) in _BLANK_CATEGORIES
    )


def is_blank(text: str) -> bool:
    """True when ``text`` shows nothing: every character is blank (see the module)."""
    return all(_is_blank_character(character) for character in text)


def _blank_ranges() -> Iterator[tuple[int, int]]:
    start: int | None = None
    previous = -2
    for plane in _PLANES_WITH_BLANKS:
        for code_point in plane:
            if not _is_blank_character(chr(code_point)):
                continue
            if code_point != previous + 1:
                if start is not None:
                    yield start, previous
                start = code_point
            previous = code_point
    if start is not None:
        yield start, previous


def _class_member(code_point: int) -> str:
    if code_point < 0x10000:
        return f"\\u{code_point:04x}"
    return chr(code_point)  # a regex escape for it differs between dialects; the character not


@functools.cache
def not_blank_pattern() -> str:
    """A JSON Schema ``pattern`` (unanchored: the text holds a character that is not blank);
    built once, on first use (the OpenAPI document), from the interpreter's Unicode tables."""
    members = "".join(
        _class_member(first) if first == last else f"{_class_member(first)}-{_class_member(last)}"
        for first, last in _blank_ranges()
    )
    return f"[^{members}]"
