"""A document store that counts its round trips: the port, decorated."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from documentstore.port import DocumentStore
from tests.integration.store_decorator import DelegatingStore, Result


class CountingDocumentStore(DelegatingStore):
    """Passes every call to ``inner`` and counts it by name (one call = one round trip).

    ``initialise`` and ``close`` are not round trips of a command and are not counted.
    """

    def __init__(self, inner: DocumentStore) -> None:
        super().__init__(inner)
        self.calls: Counter[str] = Counter()

    @property
    def round_trips(self) -> int:
        return sum(self.calls.values())

    def reset(self) -> None:
        self.calls.clear()

    def _pass(self, name: str, call: Callable[[], Result]) -> Result:
        self.calls[name] += 1
        return call()
