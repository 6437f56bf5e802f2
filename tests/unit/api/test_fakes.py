"""The fakes of the hosts' ports take the same arguments as the ports (tests are not type-checked,
so this keeps them from drifting apart)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest

from api.ports import CampaignCommands, CampaignReads
from tests.unit.api.fakes import FakeCommands, FakeReads

POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def methods_of(protocol: type) -> list[str]:
    return [
        name
        for name, member in vars(protocol).items()
        if inspect.isfunction(member) and not name.startswith("_")
    ]


def shape(method: Callable[..., Any]) -> list[tuple[str | None, str, object]]:
    """Each parameter after ``self``: its name (None for one passed by position), whether it is
    positional or keyword-only, and its default."""
    parameters = list(inspect.signature(method).parameters.values())[1:]
    return [
        (
            None if p.kind in POSITIONAL else p.name,
            "positional" if p.kind in POSITIONAL else p.kind.name,
            p.default,
        )
        for p in parameters
    ]


@pytest.mark.parametrize(
    ("protocol", "fake"), [(CampaignCommands, FakeCommands), (CampaignReads, FakeReads)]
)
def test_each_fake_has_every_method_of_its_port_with_the_same_arguments(
    protocol: type, fake: type
) -> None:
    methods = methods_of(protocol)
    assert methods
    for name in methods:
        assert shape(getattr(fake, name)) == shape(getattr(protocol, name)), name
