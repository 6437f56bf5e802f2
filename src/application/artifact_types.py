"""Reading the artifact-types file (``LEDGER_ARTIFACT_TYPES_FILE``) at start-up.

The rules of its content are the domain's (``ArtifactTypeRegistry.from_config``); this module
only reads the file and turns reading and JSON errors into ``ConfigurationError``, naming the file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from domain.artifact_types import ArtifactTypeRegistry
from domain.errors import ConfigurationError


def parse_artifact_types(text: str, source: str = "artifact-types file") -> ArtifactTypeRegistry:
    """The registry described by the file's text; ``source`` names it in error messages."""
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigurationError(
            f"{source}: not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})"
        ) from None
    return ArtifactTypeRegistry.from_config(config, source)


def load_artifact_types(path: str | os.PathLike[str] | None) -> ArtifactTypeRegistry:
    """The standard types plus those of the file at ``path`` (standard only when None)."""
    if path is None:
        return ArtifactTypeRegistry.standard()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigurationError(f"artifact-types file {path}: cannot be read ({error})") from None
    return parse_artifact_types(text, source=f"artifact-types file {path}")
