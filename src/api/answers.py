"""Bodies the command routes answer with (API.md, "Commands"): the entity, and the campaign's new
stream ``version``, which is also sent as the header ``X-Campaign-Version``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

_VERSION = "The campaign's stream version after the command (pass it as minVersion to a read)."


class Answer(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class VersionAnswer(Answer):
    version: int = Field(description=_VERSION)


class EntityAnswer(Answer):
    id: str
    version: int = Field(description=_VERSION)


class StatusAnswer(Answer):
    id: str
    status: str = Field(description="The new status of the campaign, version or run addressed.")
    version: int = Field(description=_VERSION)


class NumberedVersionAnswer(Answer):
    id: str
    version_number: int = Field(description="The new artifact version's number (1, 2, 3...).")
    version: int = Field(description=_VERSION)


class RevisionAnswer(Answer):
    id: str
    revision_number: int = Field(description="The new revision's number (1, 2, 3...).")
    version: int = Field(description=_VERSION)
