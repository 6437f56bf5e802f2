"""Ids named in the path. Every id is a UUID; one that is not names nothing, so it is answered
like an unknown id (404), and upper-case forms are read as the canonical lower-case one."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from domain.errors import CampaignNotFound, EntityNotFound
from domain.formats import canonical_uuid

CampaignIdPath = Annotated[
    str, Path(description="The campaign's id (UUID).", json_schema_extra={"format": "uuid"})
]
EntityIdPath = Annotated[
    str, Path(description="The entity's id (UUID).", json_schema_extra={"format": "uuid"})
]


def campaign_id_from_path(value: str) -> str:
    """The canonical campaign id; 404 ``campaign-not-found`` when ``value`` is not a UUID."""
    canonical = canonical_uuid(value)
    if canonical is None:
        raise CampaignNotFound(f"No campaign {value!r}.")
    return canonical


def entity_id_from_path(value: str, kind: str) -> str:
    """The canonical id of an entity; 404 ``entity-not-found`` when ``value`` is not a UUID."""
    canonical = canonical_uuid(value)
    if canonical is None:
        raise EntityNotFound(f"No {kind} {value!r} in this campaign.")
    return canonical
