"""Artifacts and their versions: the entities of a campaign that carry generated content.

The aggregate keeps one small record per entity (ids, type, number, status, links; never the
content or the audit details, which live only in events), and no record grows with the
campaign's history: an artifact knows how many versions it has and its latest, not the list; a
version knows its latest audit report and how many it has had, not the lineage (the events and
the projections keep both). ``Artifact`` and ``Version`` are views
over those records that hold the rules; the records are plain dicts so that the aggregate's
snapshot is plain JSON.

Audit reports exist only inside a version's record: the one way to add one is
``Version.record_audit``, so an audit report without its version cannot be represented.
"""

from __future__ import annotations

from typing import TypedDict

from domain.errors import RuleViolation
from domain.values import AuditStatus, VersionStatus


class ArtifactRecord(TypedDict):
    type: str
    version_count: int
    """How many versions the artifact has: they are numbered 1..version_count."""
    latest_version_id: str | None


class VersionRecord(TypedDict):
    artifact_id: str
    number: int
    status: str
    run_id: str | None
    audit_count: int
    """How many audit reports the version has had (the lineage itself is in the events)."""
    latest_audit_report_id: str | None
    audit_status: str | None
    """The latest report's overall status, or None before the first audit."""


def new_artifact_record(artifact_type: str) -> ArtifactRecord:
    return {"type": artifact_type, "version_count": 0, "latest_version_id": None}


def new_version_record(artifact_id: str, number: int, run_id: str | None) -> VersionRecord:
    return {
        "artifact_id": artifact_id,
        "number": number,
        "status": VersionStatus.GENERATED.value,
        "run_id": run_id,
        "audit_count": 0,
        "latest_audit_report_id": None,
        "audit_status": None,
    }


class Artifact:
    """One artifact of a campaign (at most one per type) and its numbered versions."""

    def __init__(self, artifact_id: str, record: ArtifactRecord) -> None:
        self.id = artifact_id
        self._record = record

    @property
    def type(self) -> str:
        return self._record["type"]

    @property
    def version_count(self) -> int:
        return self._record["version_count"]

    @property
    def latest_version_id(self) -> str | None:
        return self._record["latest_version_id"]

    @property
    def next_version_number(self) -> int:
        """Versions are numbered 1, 2, 3... with no gap: the next is one past the count."""
        return self._record["version_count"] + 1

    def add_version(self, version_id: str, number: int) -> None:
        if number != self.next_version_number:
            raise RuleViolation(
                f"version {number} of artifact {self.id} would leave a gap", code="version-order"
            )
        self._record["version_count"] = number
        self._record["latest_version_id"] = version_id


class Version:
    """One version of an artifact: its status machine and its audit lineage."""

    def __init__(self, version_id: str, record: VersionRecord) -> None:
        self.id = version_id
        self._record = record

    @property
    def artifact_id(self) -> str:
        return self._record["artifact_id"]

    @property
    def number(self) -> int:
        return self._record["number"]

    @property
    def status(self) -> VersionStatus:
        return VersionStatus(self._record["status"])

    @property
    def audit_count(self) -> int:
        return self._record["audit_count"]

    @property
    def latest_audit_report_id(self) -> str | None:
        return self._record["latest_audit_report_id"]

    @property
    def audit_status(self) -> AuditStatus | None:
        status = self._record["audit_status"]
        return None if status is None else AuditStatus(status)

    @staticmethod
    def status_after_audit(overall_status: AuditStatus) -> VersionStatus:
        """Pass or Conditional make a version Audited; a Fail leaves it Generated."""
        if overall_status is AuditStatus.FAIL:
            return VersionStatus.GENERATED
        return VersionStatus.AUDITED

    def ensure_not_archived(self) -> None:
        if self.status is VersionStatus.ARCHIVED:
            raise RuleViolation(f"version {self.id} is archived", code="version-archived")

    def ensure_auditable(self) -> None:
        """An archived or approved version cannot be audited again."""
        self.ensure_not_archived()
        if self.status is VersionStatus.APPROVED:
            raise RuleViolation(f"version {self.id} is approved", code="version-approved")

    def ensure_approvable(self) -> None:
        """Only a version whose latest audit is Pass or Conditional can be approved."""
        self.ensure_not_archived()
        if self.status is not VersionStatus.AUDITED:
            raise RuleViolation(
                f"version {self.id} has no passing latest audit", code="version-not-approvable"
            )

    def record_audit(self, audit_report_id: str, audit_status: str, version_status: str) -> None:
        """Add a report to the lineage; it becomes the version's current audit state."""
        self._record["audit_count"] += 1
        self._record["latest_audit_report_id"] = audit_report_id
        self._record["audit_status"] = audit_status
        self._record["status"] = version_status

    def approve(self) -> None:
        self._record["status"] = VersionStatus.APPROVED.value

    def archive(self) -> None:
        self._record["status"] = VersionStatus.ARCHIVED.value
