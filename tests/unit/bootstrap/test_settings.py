"""Settings refuse at start-up what could only fail later, request by request (issue #17,
item 13): API keys must be sendable in a header and name valid tenants."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bootstrap.settings import Settings


def test_api_keys_of_valid_tenants_are_read_from_json_text() -> None:
    settings = Settings.model_validate({"ledger_api_keys": '{"k3y-1": "acme", "k3y-2": "acme"}'})
    assert settings.ledger_api_keys == {"k3y-1": "acme", "k3y-2": "acme"}


@pytest.mark.parametrize(
    ("keys", "says"),
    [
        ('{"k3y": "acme corp"}', "acme corp"),
        ('{"k3y": ""}', "is not 1-64"),
        ('{"k3y": "' + "a" * 65 + '"}', "is not 1-64"),
        ('{"k3y": "acme\\n"}', "is not 1-64"),
        ('{"a key": "acme"}', "printable ASCII without spaces"),
        ('{"": "acme"}', "printable ASCII without spaces"),
        ('{"k\\u00e9y": "acme"}', "printable ASCII without spaces"),
    ],
)
def test_an_api_key_that_could_never_pass_is_refused_at_start_up(keys: str, says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        Settings.model_validate({"ledger_api_keys": keys})
