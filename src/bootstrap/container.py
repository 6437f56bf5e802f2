"""The composition root: the one place that chooses concrete adapters and wires the service.

Hosts (the HTTP app, the CLI, the Functions app) call ``build_ledger`` and receive a ``Ledger``:
the command side, the read side, the store and the projection processor, built once per process.
Nothing here runs at import time.

INTERFACE DRAFT: ``Ledger``'s attributes are the contract for the hosts; the wiring is completed
as the store, application and projection work lands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from application.service import CampaignLedger
from bootstrap.settings import Settings
from documentstore.port import DocumentStore
from projections.reads import ReadModel


class BackgroundProcessor(Protocol):
    """The in-process change-feed processor: started with the service, stopped cleanly."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class Ledger:
    """Everything a host needs, built once per process."""

    settings: Settings
    commands: CampaignLedger
    reads: ReadModel
    store: DocumentStore
    processor: BackgroundProcessor
    _closed: bool = field(default=False, repr=False)

    def close(self) -> None:
        """Stop the processor (saving checkpoints) and release the store."""
        if self._closed:
            return
        self._closed = True
        self.processor.stop()
        self.store.close()


def build_ledger(settings: Settings | None = None) -> Ledger:
    """Build the service for ``settings`` (default: from the environment)."""
    raise NotImplementedError
