"""An import in a process of its own, for the crash tests to kill:
``python -m tests.integration.operations.import_worker DATA_DIR FILE FLUSH_BYTES`` imports FILE
into the embedded store of DATA_DIR, flushing every FLUSH_BYTES (small: many batches, so that
a kill lands inside a campaign)."""

from __future__ import annotations

import sys
from pathlib import Path

from bootstrap.container import build_container
from bootstrap.settings import Settings
from operations.event_import import EventImport


def main(data_dir: Path, export: Path, flush_bytes: int) -> None:
    services = build_container(Settings(ledger_data_dir=data_dir))
    try:
        with export.open(encoding="utf-8") as lines:
            EventImport(services.store, services.application, flush_bytes=flush_bytes).run(lines)
    finally:
        services.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]))
