"""What a projector may read of its campaign's other view documents: the working set as it
stands just before the event, so that an incremental projection and a replay from scratch see
the same thing."""

from __future__ import annotations

from typing import Any, Protocol

Document = dict[str, Any]


class EntityLookup(Protocol):
    """The campaign's version and run documents, as they stand before the event."""

    def version(self, version_id: str) -> Document | None:
        """The version's view document, or None when the view does not have the version."""

    def run(self, run_id: str) -> Document | None:
        """The run's view document, or None when the view does not have the run."""
