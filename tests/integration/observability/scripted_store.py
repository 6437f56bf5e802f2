"""A decorator of the port for the observability tests: transient faults on demand, retried by
a ``RetryPolicy`` as an adapter retries them, and a hook run before the next append to
``events`` (where a test lets another writer append first)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from documentstore.backoff import RetryPolicy
from documentstore.port import EVENTS, Document, DocumentStore, Operation
from domain.errors import StoreUnavailable
from tests.integration.store_decorator import DelegatingStore, Result


class ScriptedStore(DelegatingStore):
    """``fail_next(n)``: the next ``n`` calls fail with a 503; ``before_next_append(hook)``:
    ``hook`` runs just before the next batch of ``events`` is passed on."""

    def __init__(self, inner: DocumentStore) -> None:
        super().__init__(inner)
        self.retry = RetryPolicy(attempts=3, initial_delay=0.001, max_delay=0.002)
        self._faults = 0
        self._before_append: Callable[[], object] | None = None

    def fail_next(self, calls: int) -> None:
        self._faults = calls

    def before_next_append(self, hook: Callable[[], object]) -> None:
        self._before_append = hook

    def _pass(self, name: str, call: Callable[[], Result]) -> Result:
        def attempt() -> Result:
            if self._faults:
                self._faults -= 1
                raise StoreUnavailable(f"{name}: injected 503", retry_after=0.001)
            return call()

        return self.retry.run(attempt, what=name)

    def execute_batch(
        self, container: str, partition_key: str, operations: Sequence[Operation]
    ) -> list[Document | None]:
        hook = self._before_append if container == EVENTS else None
        if hook is not None:
            self._before_append = None
            hook()
        return super().execute_batch(container, partition_key, operations)

    def transient_retries(self) -> dict[str, int]:
        return self.retry.tally.as_dict()
