"""What the document-store port's calls answer: batches applied, query pages, change-feed
pages (re-exported by ``documentstore.port``, where they are part of the contract)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Document = dict[str, Any]


@dataclass(frozen=True)
class BatchesResult:
    """What ``execute_batches`` did: the results of the batches applied, in order (those given
    up to, not including, the one that failed), and the error that stopped it, if any."""

    applied: list[list[Document | None]]
    error: Exception | None = None

    def results(self) -> list[list[Document | None]]:
        """Every batch's results, or the error that stopped them raised."""
        if self.error is not None:
            raise self.error
        return self.applied


@dataclass(frozen=True)
class Page:
    """One page of results; ``continuation`` is None on the last page."""

    items: list[Document]
    continuation: str | None


@dataclass(frozen=True)
class TextPage:
    """One page of a query as ``(id, stored JSON)`` pairs; ``continuation`` as in ``Page``."""

    items: list[tuple[str, str]]
    continuation: str | None


@dataclass(frozen=True)
class FeedKeysPage:
    """Where the documents of a page of the change feed live, ``(partition key, id)``, oldest
    first; ``continuation`` as in ``FeedPage``."""

    items: list[tuple[str, str]]
    continuation: str


@dataclass(frozen=True)
class FeedPage:
    """Documents changed since a position, and the token that resumes after them.

    ``continuation`` is never None: with no new items it is the same position again.
    """

    items: list[Document]
    continuation: str
