"""The stripe locks that processes on one store share: a stripe taken here is busy for other
processes, other stripes stay free, and it is free again once given back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bootstrap.process_locks import FileStripeLocks

PROBE = """
import fcntl, os, sys
file = os.open(sys.argv[1], os.O_RDWR)
try:
    fcntl.lockf(file, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, int(sys.argv[2]))
except OSError:
    print("busy")
else:
    print("free")
"""


def _seen_from_another_process(path: Path, stripe: int) -> str:
    probe = [sys.executable, "-c", PROBE, str(path), str(stripe)]
    return subprocess.run(probe, capture_output=True, text=True, check=True).stdout.strip()


def test_a_stripe_held_here_is_busy_for_other_processes_until_it_is_given_back(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ledger.sqlite3-campaigns"
    locks = FileStripeLocks(path)

    locks.acquire(7)
    held = _seen_from_another_process(path, 7)
    other_stripe = _seen_from_another_process(path, 8)
    locks.release(7)
    released = _seen_from_another_process(path, 7)
    locks.close()

    assert (held, other_stripe, released) == ("busy", "free", "free")
