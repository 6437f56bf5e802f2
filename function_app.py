"""Azure Functions entry point (Python v2 programming model): wiring only.

Everything lives under ``src/functions/``; ``src`` is put on the import path so the deployed app
finds the packages. Nothing here builds a client: the functions get theirs from the composition
root when they first run.
"""

from __future__ import annotations

import sys
from pathlib import Path

_SOURCES = Path(__file__).resolve().parent / "src"
if str(_SOURCES) not in sys.path:
    sys.path.insert(0, str(_SOURCES))

from functions.app import build_hosted_app  # noqa: E402

app = build_hosted_app()
