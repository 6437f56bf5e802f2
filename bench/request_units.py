"""Request units estimated from document sizes, by Azure's published charge table (DESIGN.md
section 7: session consistency, default indexing).

Each document written or read is charged on its own: its size (the JSON the port would send,
``StoredJson.wire_bytes``) is looked up in the table and the charge interpolated linearly
between the two rows around it. A document smaller than the first row (1 KB) costs the first
row's charge, as Cosmos DB bills at least that; one beyond the last row is extrapolated along
the last segment. Reads are priced as point reads, one per document returned (the table has no
row for a query of known ids, which costs about the same for a handful of small documents).
It is an estimate for comparing sizes of history, not a bill.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

KIB = 1024

WRITE_CHARGES: tuple[tuple[int, float], ...] = (
    (1, 4.95),
    (16, 9.5),
    (64, 22.7),
    (128, 48.0),
    (256, 98.0),
    (512, 185.0),
    (1024, 625.0),
    (2048, 1250.0),
)
"""Charge of writing one document of so many KB (RU)."""

POINT_READ_CHARGES: tuple[tuple[int, float], ...] = (
    (1, 1.0),
    (16, 1.7),
    (128, 10.0),
    (512, 41.0),
    (1024, 146.0),
)
"""Charge of a point read of one document of so many KB (RU)."""


def write_charge(size_bytes: int) -> float:
    """Estimated RU of writing one document of ``size_bytes``."""
    return _interpolated(WRITE_CHARGES, size_bytes)


def read_charge(size_bytes: int) -> float:
    """Estimated RU of reading one document of ``size_bytes``."""
    return _interpolated(POINT_READ_CHARGES, size_bytes)


def _interpolated(table: Sequence[tuple[int, float]], size_bytes: int) -> float:
    kib = size_bytes / KIB
    if kib <= table[0][0]:
        return table[0][1]
    for (low_kib, low), (high_kib, high) in pairwise(table):
        if kib <= high_kib:
            return low + (high - low) * (kib - low_kib) / (high_kib - low_kib)
    (low_kib, low), (high_kib, high) = table[-2], table[-1]
    return high + (high - low) * (kib - high_kib) / (high_kib - low_kib)
