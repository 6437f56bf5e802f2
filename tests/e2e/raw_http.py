"""HTTP spoken by hand over a socket, as a hostile client does: partial heads, bodies that never
end, requests sent and answers read later. Loopback only; every wait is bounded."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class RawAnswer:
    status: int
    headers: dict[str, str]
    body: bytes


def connect(base_url: str, timeout: float = 10.0) -> socket.socket:
    host, port = base_url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=timeout)


def request_head(method: str, path: str, **headers: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def read_answer(connection: socket.socket, timeout: float = 10.0) -> RawAnswer:
    """One whole answer (it must declare its Content-Length)."""
    connection.settimeout(timeout)
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = connection.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before an answer's head: {received!r}")
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return RawAnswer(int(status_line.split()[1]), headers, body[:length])


def seconds_until_closed(connection: socket.socket, limit: float) -> float:
    """How long until the server closes ``connection`` (reading and dropping what it sends);
    ``limit`` when it is still open then."""
    started = time.monotonic()
    connection.settimeout(0.05)
    while time.monotonic() - started < limit:
        try:
            if connection.recv(65536) == b"":
                return time.monotonic() - started
        except TimeoutError:
            continue
        except ConnectionResetError:
            return time.monotonic() - started
    return limit


def send_quietly(connection: socket.socket, data: bytes) -> bool:
    """Send ``data``; False when the server has closed the connection meanwhile."""
    try:
        connection.sendall(data)
    except (BrokenPipeError, ConnectionResetError, TimeoutError):
        return False
    return True
