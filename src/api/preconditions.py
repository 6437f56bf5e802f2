"""Conditional requests: ``If-Match`` on commands (an expected stream version) and ``ETag`` /
``If-None-Match`` on reads."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from api.problems import HttpProblem

EXPECTED_VERSION_PATTERN = r'^[ \t]*(?:"[0-9]{1,15}"|[0-9]{1,15})[ \t]*$'
"""``If-Match`` as a JSON Schema ``pattern``."""
_EXPECTED_VERSION = re.compile(r'"([0-9]{1,15})"|([0-9]{1,15})')


def parse_if_match(if_match: str | None) -> int | None:
    """The stream version ``If-Match`` pins: a bare integer, quotes allowed; else 400."""
    if if_match is None:
        return None
    found = _EXPECTED_VERSION.fullmatch(if_match.strip(" \t"))  # HTTP white space only
    if found is None:
        raise HttpProblem(
            400,
            "invalid-if-match",
            'If-Match must be the campaign version as an integer, for example 7 or "7".',
        )
    return int(found.group(1) or found.group(2))


def quote_entity_tag(opaque: str) -> str:
    """``opaque`` as an HTTP entity tag (quoted), unless it already is one."""
    if opaque.startswith('"') or opaque.startswith('W/"'):
        return opaque
    return '"' + opaque.replace('"', "") + '"'


def hash_entity_tag(body: Any) -> str:
    """An entity tag computed from a JSON body, for answers that have no stored etag."""
    digest = hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()
    return f'"{digest[:32]}"'


def _opaque_part(tag: str) -> str:
    tag = tag.strip()
    return tag.removeprefix("W/").strip('"')


def is_not_modified(if_none_match: str | None, current_tag: str) -> bool:
    """True when ``If-None-Match`` names ``current_tag`` (weak comparison) or is ``*``."""
    if if_none_match is None:
        return False
    candidates = [part for part in if_none_match.split(",") if part.strip()]
    if any(part.strip() == "*" for part in candidates):
        return True
    current = _opaque_part(current_tag)
    return any(_opaque_part(part) == current for part in candidates)
