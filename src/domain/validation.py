"""Shape rules for the plain arguments of commands (names, contents, ids, enum names).

Structured bodies arrive as value objects from ``domain.values`` and are valid by construction;
the few arguments that arrive as bare strings are checked here, so that every breach of a rule of
shape becomes one ``InvalidInput`` (422) naming the field, whoever calls the domain.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from domain.errors import FieldError, InvalidInput
from domain.formats import canonical_uuid
from domain.values import Content, ErrorMessage, Name, NonBlank

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")

_NAME: TypeAdapter[str] = TypeAdapter(Name)
_CONTENT: TypeAdapter[str] = TypeAdapter(Content)
_ERROR_MESSAGE: TypeAdapter[str] = TypeAdapter(ErrorMessage)
_NON_BLANK: TypeAdapter[str] = TypeAdapter(NonBlank)


def _checked(adapter: TypeAdapter[T], value: Any, field: str) -> T:
    try:
        return adapter.validate_python(value)
    except ValidationError as error:
        message = "; ".join(str(e["msg"]) for e in error.errors())
        raise InvalidInput(f"{field}: {message}", [FieldError(field, message)]) from None


def campaign_name(value: str, field: str = "name") -> str:
    """A campaign name: 1-200 characters, not blank."""
    return _checked(_NAME, value, field)


def version_content(value: str, field: str = "content") -> str:
    """A version's content: a string of at most 1,048,576 characters."""
    return _checked(_CONTENT, value, field)


def error_message(value: str, field: str = "errorMessage") -> str:
    """A failed run's message: not blank, at most 4,000 characters."""
    return _checked(_ERROR_MESSAGE, value, field)


def non_blank(value: str, field: str) -> str:
    """Any text that must say something (a step id, an input hash)."""
    return _checked(_NON_BLANK, value, field)


def entity_id(value: str, field: str = "id") -> str:
    """A caller-supplied UUID in canonical lower-case form; anything else is a 422."""
    canonical = canonical_uuid(value)
    if canonical is None:
        message = "must be a UUID"
        raise InvalidInput(f"{field}: {message}", [FieldError(field, message)])
    return canonical


def path_id(value: str) -> str:
    """An id named in a path: canonical when it is a UUID, else left as is (and then unknown)."""
    return canonical_uuid(value) or str(value)


def member_of(enum: type[E], value: str, field: str) -> E:
    """The member of ``enum`` named ``value`` (its wire value); an unknown name is a 422."""
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        message = f"must be one of {allowed}"
        raise InvalidInput(f"{field}: {message}", [FieldError(field, message)]) from None
