"""The types of context artifacts a workflow step may produce, and their reference names.

Twelve standard types exist everywhere; a deployment may register more in its artifact-types
file (``{"customTypes": [{"name", "description"}]}``). ``ArtifactTypeRegistry.from_config`` is the
pure parser of that file's content; reading the file is the application's job.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from domain.errors import ConfigurationError, FieldError, InvalidArtifactType

STANDARD_ARTIFACT_TYPES: tuple[str, ...] = (
    "plan",
    "intro_image",
    "intro_video",
    "button_segmentation",
    "bgm",
    "sfx",
    "audio_manifest",
    "game_config",
    "game_bundle",
    "outcome_win_video",
    "outcome_lose_video",
    "campaign_manifest",
)

TYPE_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


def reference_name(artifact_type: str) -> str:
    """The context ref of a type: camelCase plus ``ArtifactId`` (``intro_image`` ->
    ``introImageArtifactId``)."""
    head, *rest = artifact_type.split("_")
    return head + "".join(part.capitalize() for part in rest) + "ArtifactId"


@dataclass(frozen=True)
class CustomArtifactType:
    """A type registered by the deployment, with what it is for."""

    name: str
    description: str


class ArtifactTypeRegistry:
    """The known context-artifact types: the standard ones plus the registered custom ones."""

    def __init__(self, custom_types: Iterable[CustomArtifactType] = ()) -> None:
        self.custom_types: tuple[CustomArtifactType, ...] = tuple(custom_types)
        self.names: tuple[str, ...] = STANDARD_ARTIFACT_TYPES + tuple(
            custom.name for custom in self.custom_types
        )
        self._check()

    def _check(self) -> None:
        seen_names: set[str] = set()
        seen_refs: dict[str, str] = {}
        for name in self.names:
            if not TYPE_NAME_PATTERN.fullmatch(name):
                raise ConfigurationError(
                    f"artifact type {name!r} must match {TYPE_NAME_PATTERN.pattern}"
                )
            if name in seen_names:
                standard = "a standard type" if name in STANDARD_ARTIFACT_TYPES else "listed twice"
                raise ConfigurationError(f"artifact type {name!r} is {standard}")
            ref = reference_name(name)
            if ref in seen_refs:
                raise ConfigurationError(
                    f"artifact types {seen_refs[ref]!r} and {name!r} share the reference "
                    f"name {ref!r}"
                )
            seen_names.add(name)
            seen_refs[ref] = name

    @classmethod
    def standard(cls) -> ArtifactTypeRegistry:
        """The registry without custom types."""
        return cls()

    @classmethod
    def from_config(
        cls, config: object, source: str = "artifact-types file"
    ) -> ArtifactTypeRegistry:
        """Parse the artifact-types file's content; any mistake raises ``ConfigurationError``
        saying where it is (``source`` names the file)."""
        if not isinstance(config, Mapping):
            raise ConfigurationError(f'{source}: expected a JSON object {{"customTypes": [...]}}')
        unknown = sorted(str(key) for key in config if key != "customTypes")
        if unknown:
            raise ConfigurationError(f"{source}: unknown keys {unknown}")
        entries = config.get("customTypes")
        if not isinstance(entries, list):
            raise ConfigurationError(f"{source}: 'customTypes' must be a list")
        custom = [_custom_type(f"{source}: customTypes[{i}]", e) for i, e in enumerate(entries)]
        try:
            return cls(custom)
        except ConfigurationError as error:
            raise ConfigurationError(f"{source}: {error.detail}") from None

    def is_known(self, artifact_type: str) -> bool:
        return artifact_type in self.names

    def ensure_known(self, artifact_type: str, field: str = "type") -> None:
        """Refuse a type that is neither standard nor registered (422 invalid-artifact-type)."""
        if not self.is_known(artifact_type):
            message = f"unknown artifact type {artifact_type!r}"
            raise InvalidArtifactType(message, [FieldError(field, message)])

    def reference_name(self, artifact_type: str) -> str:
        self.ensure_known(artifact_type)
        return reference_name(artifact_type)


def _custom_type(where: str, entry: object) -> CustomArtifactType:
    if not isinstance(entry, Mapping):
        raise ConfigurationError(f'{where}: expected an object {{"name", "description"}}')
    unknown = sorted(str(key) for key in entry if key not in ("name", "description"))
    if unknown:
        raise ConfigurationError(f"{where}: unknown keys {unknown}")
    name = entry.get("name")
    description = entry.get("description")
    if not isinstance(name, str) or not TYPE_NAME_PATTERN.fullmatch(name):
        raise ConfigurationError(
            f"{where}.name: {name!r} must be a string matching {TYPE_NAME_PATTERN.pattern}"
        )
    if name in STANDARD_ARTIFACT_TYPES:
        raise ConfigurationError(f"{where}.name: {name!r} is a standard type")
    if not isinstance(description, str) or not description.strip():
        raise ConfigurationError(f"{where}.description: must be a non-blank string")
    return CustomArtifactType(name=name, description=description)
