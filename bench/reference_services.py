"""The two reference services of ``../shared/reference-services`` (its README): ``floor`` (FastAPI
+ one SQLite transaction per version) and ``stock`` (the eventsourcing library's own SQLite
persistence, no projections), each started in a subprocess under this service's server stack
(``bench.reference_server``) on a free loopback port with a data directory of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.served_ledger import free_port, stop, wait_until_healthy

ROOT = Path(__file__).resolve().parents[1]
REFERENCES = Path(
    os.environ.get("LEDGER_REFERENCE_SERVICES", ROOT.parent / "shared" / "reference-services")
)
KINDS = ("stock", "floor")


@dataclass(frozen=True)
class ServedReference:
    kind: str
    process: subprocess.Popen[bytes]
    port: int
    data_dir: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def available() -> bool:
    """Whether the reference services are where the bench looks for them."""
    return (REFERENCES / "app.py").is_file()


@contextmanager
def served_reference(kind: str, data_dir: Path) -> Iterator[ServedReference]:
    """The reference ``kind`` serving on a free port until the block ends (then SIGTERM)."""
    if kind not in KINDS:
        raise ValueError(f"unknown reference service {kind!r}; choose from {KINDS}")
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = (data_dir.parent / f"{data_dir.name}-server.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.reference_server",
            str(REFERENCES / "app.py"),
            kind,
            str(port),
            str(data_dir),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    served = ServedReference(kind, process, port, data_dir)
    try:
        wait_until_healthy(process, served.base_url)
        yield served
    finally:
        stop(process, grace_seconds=30)
        log.close()
