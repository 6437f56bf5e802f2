"""Writes held back on a connection so that an answer leaves in one piece (``HeldWrites``)."""

from __future__ import annotations

from typing import Any


class HeldWrites:
    """A connection's transport that can hold what is written until ``release``: an answer's
    head and its body then leave in one write, one system call and one TCP segment instead of
    two (docs/performance.md, "Fourth session: CPU per HTTP command"). Closing releases first,
    so nothing written is lost or reordered; everything else is the transport's."""

    def __init__(self, transport: Any) -> None:
        self._transport = transport
        self._held: list[bytes] | None = None

    def hold(self) -> None:
        """Keep what is written from now until ``release``."""
        self._held = []

    def release(self) -> None:
        """Write what was kept, in one write (nothing once the connection is closing)."""
        held = self._held
        if held is None:
            return
        self._held = None
        if held and not self._transport.is_closing():
            self._transport.write(held[0] if len(held) == 1 else b"".join(held))

    def write(self, data: bytes) -> None:
        if self._held is not None:
            self._held.append(data)
        else:
            self._transport.write(data)

    def close(self) -> None:
        self.release()
        self._transport.close()

    def is_closing(self) -> bool:
        return bool(self._transport.is_closing())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def whole_answer(start: Any) -> bool:
    """Whether the answer ``start`` begins declares its length: its body follows at once (a
    stream's, of unknown length, may wait for its first event and is not held)."""
    return any(name.lower() == b"content-length" for name, _ in start.get("headers", ()))
