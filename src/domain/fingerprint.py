"""Payload fingerprints: how a repeated command is told apart from a conflicting one.

The aggregate remembers, for every entity id it created, the fingerprint of the command that
created it. A create that names an existing id is a repeat when the fingerprints match (answer the
first result, append nothing) and an ``IdConflict`` otherwise.

The fingerprint is a SHA-256 of canonical JSON: sorted keys, no whitespace, and integral floats
written as integers, because a JSON store may give ``90.0`` back as ``90`` and a replay must
compute the same fingerprint as the first write did.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any


def _normalised(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {str(key): _normalised(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_normalised(item) for item in value]
    return value


def fingerprint(kind: str, payload: Mapping[str, Any]) -> str:
    """The fingerprint of a command of ``kind`` carrying ``payload`` (JSON values)."""
    canonical = json.dumps(
        {"kind": kind, "payload": _normalised(payload)},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
