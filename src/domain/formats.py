"""The formats of identifiers: a tenant's name and a UUID, each with its one accepted spelling,
matched whole (``fullmatch``, never ``$``, which would also match before a final newline)."""

from __future__ import annotations

import re
import uuid

TENANT_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
"""A tenant's name (API.md: 1-64 of ``[A-Za-z0-9_-]``), as a JSON Schema ``pattern``."""
_TENANT = re.compile(r"[A-Za-z0-9_-]{1,64}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
"""The one spelling of a UUID accepted (RFC 9562's, either case): no braces, no ``urn:uuid:``
prefix, hyphens where they belong; formats are matched whole (``fullmatch``, never ``$``,
which would also match before a final newline)."""


def is_tenant_name(value: object) -> bool:
    """Whether ``value`` is a tenant's name: 1-64 of ``[A-Za-z0-9_-]``, nothing around it."""
    return isinstance(value, str) and _TENANT.fullmatch(value) is not None


def canonical_uuid(value: object) -> str | None:
    """``value`` as a canonical (lower-case) UUID, or None when it is not one spelled as
    ``8-4-4-4-12`` hexadecimal digits."""
    if not isinstance(value, str) or not _UUID.fullmatch(value):
        return None
    return str(uuid.UUID(value))
