"""Orchestration runs: their status machine and the context their workflow steps build up.

A run's context is what the next step of a workflow reads: the artifacts produced so far (id,
type, uri, hash, metadata, when and by which step), ``refs`` naming the latest artifact of each
type, and the input hash each step ran on. The aggregate keeps the context (bounded by
``MAX_CONTEXT_ARTIFACTS``) because a new run may start from a base run's context and because
quality checks must name an artifact of it. Context entries are kept in their camelCase wire form:
they are copied into ``RunQueued`` events as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

from domain.artifact_types import ArtifactTypeRegistry
from domain.errors import ContextCapacityExceeded, DuplicateArtifactId, RuleViolation
from domain.json_values import escaped_size
from domain.lifecycle import check_run_transition
from domain.values import MAX_COMMAND_BYTES, ContextArtifact, RunStatus

MAX_CONTEXT_ARTIFACTS = 50
MAX_CONTEXT_BYTES = MAX_COMMAND_BYTES // 2
"""A run's context artifacts (``id``, ``type``, ``uri``, ``hash``, ``metadata``) written as
compact ASCII-escaped JSON take at most 917,504 bytes: a step's event and the run's state,
which both carry them, then fit one transactional batch. Past it, as past the 50th artifact,
a step is 409 ``context-capacity-exceeded``."""

ContextEntry = TypedDict(  # noqa: UP013 (camelCase keys: the wire form)
    "ContextEntry",
    {
        "type": str,
        "uri": str,
        "hash": str,
        "metadata": dict[str, Any] | None,
        "createdAt": str,
        "stepId": str | None,
    },
)
"""One artifact of a run's context, as ``RunQueued`` carries it and the run view shows it."""


_MEASURED = ("type", "uri", "hash", "metadata")
"""What of a context artifact counts towards ``MAX_CONTEXT_BYTES``, beside its id."""


class RunRecord(TypedDict):
    status: str
    refs: dict[str, str]
    artifacts: dict[str, ContextEntry]
    input_hashes_by_step: dict[str, str]
    step_fingerprints: dict[str, str]
    """Per step id, the fingerprint of the result last attached (to recognise a repeat)."""
    check_fingerprints: list[str]
    """Fingerprints of the quality checks recorded (a repeated check appends nothing)."""
    outcome_fingerprint: str | None
    """Fingerprint of the command that ended the run (to recognise a repeat)."""


def new_run_record(
    refs: dict[str, str],
    artifacts: dict[str, ContextEntry],
    input_hashes_by_step: dict[str, str],
) -> RunRecord:
    return {
        "status": RunStatus.QUEUED.value,
        "refs": refs,
        "artifacts": artifacts,
        "input_hashes_by_step": input_hashes_by_step,
        "step_fingerprints": {},
        "check_fingerprints": [],
        "outcome_fingerprint": None,
    }


def step_artifacts(artifacts: Sequence[ContextArtifact]) -> list[dict[str, Any]]:
    """A step's artifacts as ``StepResultAttached`` carries them: ``{id, type, uri, hash,
    metadata}`` with ``metadata`` always present (null when not given)."""
    return [
        {
            "id": artifact.id,
            "type": artifact.type,
            "uri": artifact.uri,
            "hash": artifact.hash,
            "metadata": artifact.metadata,
        }
        for artifact in artifacts
    ]


class Run:
    """One orchestration run of a campaign: a view over its record with the rules."""

    def __init__(self, run_id: str, record: RunRecord) -> None:
        self.id = run_id
        self._record = record

    @property
    def status(self) -> RunStatus:
        return RunStatus(self._record["status"])

    @property
    def refs(self) -> dict[str, str]:
        return dict(self._record["refs"])

    @property
    def context_artifacts(self) -> dict[str, ContextEntry]:
        return dict(self._record["artifacts"])

    @property
    def input_hashes_by_step(self) -> dict[str, str]:
        return dict(self._record["input_hashes_by_step"])

    @property
    def outcome_fingerprint(self) -> str | None:
        return self._record["outcome_fingerprint"]

    def has_in_context(self, artifact_id: str) -> bool:
        return artifact_id in self._record["artifacts"]

    def has_step_result(self, step_id: str, step_fingerprint: str) -> bool:
        return self._record["step_fingerprints"].get(step_id) == step_fingerprint

    def has_quality_check(self, check_fingerprint: str) -> bool:
        return check_fingerprint in self._record["check_fingerprints"]

    def ensure_running(self, what: str) -> None:
        """Steps and quality checks are accepted only while the run is Running."""
        if self.status is not RunStatus.RUNNING:
            raise RuleViolation(
                f"run {self.id} is {self.status.value}; a {what} needs a Running run",
                code="run-not-running",
            )

    def ensure_transition(self, target: RunStatus) -> None:
        check_run_transition(self.id, self.status.value, target)

    def check_step_artifacts(
        self, artifacts: Sequence[ContextArtifact], registry: ArtifactTypeRegistry
    ) -> None:
        """Known types, ids new to the context and distinct, and room left in the context."""
        for index, artifact in enumerate(artifacts):
            registry.ensure_known(artifact.type, field=f"artifacts[{index}].type")
        seen: set[str] = set()
        for artifact in artifacts:
            if artifact.id in seen:
                raise DuplicateArtifactId(f"artifact {artifact.id} is repeated in the request")
            if self.has_in_context(artifact.id):
                raise DuplicateArtifactId(
                    f"artifact {artifact.id} is already in the context of run {self.id}"
                )
            seen.add(artifact.id)
        total = len(self._record["artifacts"]) + len(artifacts)
        if total > MAX_CONTEXT_ARTIFACTS:
            raise ContextCapacityExceeded(
                f"run {self.id} would hold {total} context artifacts; "
                f"at most {MAX_CONTEXT_ARTIFACTS} are allowed"
            )
        held = [
            {"id": artifact_id, **{key: value for key, value in entry.items() if key in _MEASURED}}
            for artifact_id, entry in self._record["artifacts"].items()
        ]
        size = escaped_size(held) + escaped_size(step_artifacts(artifacts))
        if size > MAX_CONTEXT_BYTES:
            raise ContextCapacityExceeded(
                f"run {self.id}'s context would take {size} bytes as JSON; "
                f"at most {MAX_CONTEXT_BYTES} are allowed"
            )

    @staticmethod
    def refs_set_by(
        artifacts: Sequence[ContextArtifact], registry: ArtifactTypeRegistry
    ) -> dict[str, str]:
        """The refs a step sets: for each type it produced, its latest (last listed) artifact."""
        refs: dict[str, str] = {}
        for artifact in artifacts:
            refs[registry.reference_name(artifact.type)] = artifact.id
        return refs

    def attach_step_result(
        self,
        step_id: str,
        *,
        input_hash: str | None,
        artifacts: Sequence[dict[str, Any]],
        refs: dict[str, str],
        created_at: str,
        step_fingerprint: str,
    ) -> None:
        for artifact in artifacts:
            self._record["artifacts"][str(artifact["id"])] = {
                "type": artifact["type"],
                "uri": artifact["uri"],
                "hash": artifact["hash"],
                "metadata": artifact.get("metadata"),
                "createdAt": created_at,
                "stepId": step_id,
            }
        self._record["refs"].update(refs)
        if input_hash is not None:
            self._record["input_hashes_by_step"][step_id] = input_hash
        self._record["step_fingerprints"][step_id] = step_fingerprint

    def record_quality_check(self, check_fingerprint: str) -> None:
        self._record["check_fingerprints"].append(check_fingerprint)

    def move_to(self, status: RunStatus, outcome_fingerprint: str | None = None) -> None:
        """Move along the machine (start, complete, fail, cancel)."""
        self._record["status"] = status.value
        if outcome_fingerprint is not None:
            self._record["outcome_fingerprint"] = outcome_fingerprint
