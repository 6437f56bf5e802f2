"""A stand-in for the Functions host's output binding object (``func.Out``)."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func


class CapturedOutput(func.Out[str]):
    """Keeps what the function set, as the host would send it on."""

    def __init__(self) -> None:
        self.value: str | None = None

    def set(self, val: str) -> None:
        self.value = val

    def get(self) -> str:
        assert self.value is not None, "the function set nothing"
        return self.value

    def sent(self) -> Any:
        """The JSON the function set; None when it set nothing."""
        return None if self.value is None else json.loads(self.value)
