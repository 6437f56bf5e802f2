"""An answer's head and body leave a connection in one write, in order, and nothing held is
lost when the connection closes."""

from __future__ import annotations

from cli.held_writes import HeldWrites, whole_answer


class Transport:
    """What a connection's transport was asked to do."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str) -> str:
        return f"info:{name}"


def _holding(transport: Transport, *chunks: bytes) -> HeldWrites:
    """Writes on ``transport`` holding ``chunks``, written in order."""
    writes = HeldWrites(transport)
    writes.hold()
    for chunk in chunks:
        writes.write(chunk)
    return writes


def test_a_head_and_its_body_held_together_leave_in_one_write() -> None:
    transport = Transport()

    writes = _holding(transport, b"HTTP/1.1 201 Created\r\n\r\n", b'{"id":"a"}')
    assert transport.writes == []
    writes.release()

    assert transport.writes == [b'HTTP/1.1 201 Created\r\n\r\n{"id":"a"}']


def test_writes_pass_straight_through_when_nothing_is_held() -> None:
    transport = Transport()
    writes = HeldWrites(transport)

    writes.write(b"one")
    writes.release()
    writes.write(b"two")

    assert transport.writes == [b"one", b"two"]


def test_a_head_without_a_body_leaves_alone_on_release() -> None:
    transport = Transport()
    writes = _holding(transport, b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n")

    writes.release()

    assert transport.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n"]


def test_closing_writes_what_is_held_first() -> None:
    transport = Transport()
    writes = _holding(transport, b"head")

    writes.close()

    assert transport.writes == [b"head"]
    assert transport.closed
    assert writes.is_closing()


def test_nothing_is_written_to_a_connection_already_closing() -> None:
    transport = Transport()
    writes = _holding(transport, b"head")

    transport.closed = True
    writes.release()

    assert transport.writes == []


def test_everything_else_is_the_transports() -> None:
    assert HeldWrites(Transport()).get_extra_info("peername") == "info:peername"


def test_only_an_answer_of_declared_length_is_held() -> None:
    whole = {"type": "http.response.start", "headers": [(b"content-length", b"2")]}
    stream = {"type": "http.response.start", "headers": [(b"content-type", b"text/event-stream")]}

    assert whole_answer(whole)
    assert not whole_answer(stream)
