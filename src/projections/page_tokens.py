"""The continuation tokens of the paged reads: opaque to clients, bound to the list they came
from.

A token holds the logical id of the last item a page answered (pages are ranges of ids) and a
digest of the list it belongs to (the campaign, the route, the filters), so that a token passed
to another list, another campaign or with other filters is refused (``InvalidContinuation``,
400) instead of silently skipping or repeating items. The ids are logical (no generation), so a
token stays valid across a rebuild's switch.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

from domain.errors import InvalidContinuation


def list_scope(*parts: str | None) -> str:
    """The digest naming one list: a token of one scope is refused by every other."""
    joined = "\x1f".join("" if part is None else part for part in parts)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:16]


def encode_token(scope: str, after: str | None) -> str | None:
    """The token resuming ``scope``'s list after the logical id ``after`` (None: no more)."""
    if after is None:
        return None
    raw = json.dumps({"s": scope, "a": after}, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_token(token: str | None, scope: str, prefix: str) -> str | None:
    """The logical id a token of ``scope`` resumes after (an id under ``prefix``), or None
    without a token; anything else is ``InvalidContinuation``."""
    if token is None:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        after = decoded["a"]
        valid = (
            decoded["s"] == scope
            and isinstance(after, str)
            and after.startswith(prefix)
            and len(after) <= 256
        )
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeEncodeError):
        valid = False
    if not valid:
        raise InvalidContinuation("the continuation token was not issued for this list")
    return str(after)
