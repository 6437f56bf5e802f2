"""Pure projectors: (document or None, event, lookup) -> document. They import the domain only.

No I/O, no wall clock, no random ids: timestamps come from the events, so replaying the log
reproduces exactly what the incremental path wrote. ``catalog`` routes an event to the documents
it touches and applies it above each document's watermark.
"""

from projections.projectors.catalog import (
    ViewKey,
    campaign_index_key,
    contribution_key,
    project,
    snapshot_key,
    views_consulted,
    views_touched,
)
from projections.projectors.lookup import EntityLookup

__all__ = [
    "EntityLookup",
    "ViewKey",
    "campaign_index_key",
    "contribution_key",
    "project",
    "snapshot_key",
    "views_consulted",
    "views_touched",
]
