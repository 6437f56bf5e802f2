"""What the operator CLI needs of the composition root: the HTTP app's services plus the store,
the change-feed processor and the campaign application, built from settings by a
``ServicesBuilder`` (by default ``bootstrap.container.build_container``; tests give their
own)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from api.ports import ClosableApiServices
from application import CampaignApplication
from bootstrap.settings import Settings
from documentstore.port import DocumentStore
from projections.runner import ProjectionOutcome


class FeedProcessor(Protocol):
    """The change-feed processor as the CLI drives it: in the background (``serve``) or one
    round at a time in the foreground (``follow``)."""

    def start(self) -> None: ...

    def run_once(self) -> ProjectionOutcome: ...

    def flush(self) -> None:
        """Save the feed checkpoints now."""
        ...


class OperatorServices(ClosableApiServices, Protocol):
    """Everything one CLI command works with; closed when the command ends."""

    @property
    def store(self) -> DocumentStore: ...

    @property
    def processor(self) -> FeedProcessor: ...

    @property
    def application(self) -> CampaignApplication:
        """The campaign application on ``store`` (import and purge read campaigns with it)."""
        ...


ServicesBuilder = Callable[[Settings], OperatorServices]
"""Builds the services of one CLI command from its settings."""
