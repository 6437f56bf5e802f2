"""The bodies the read model builds from view documents rather than sending one as stored: an
artifact from the snapshot, an artifact's history page, a version's audit report."""

from __future__ import annotations

from typing import Any

from documentstore.port import Document
from domain.errors import EntityNotFound
from projections.live_views import ListPage


def artifact_body(snapshot: Document, entry: dict[str, Any]) -> dict[str, Any]:
    """API.md's ``Artifact`` from the snapshot's entry of it: its creation time from the
    snapshot's ``state``, its active version from ``activeVersions`` (one artifact per type)."""
    created: dict[str, str] = snapshot.get("state", {}).get("artifactsCreatedAt", {})
    active = next(
        (
            version["id"]
            for version in snapshot["body"]["activeVersions"].values()
            if version["artifactId"] == entry["id"]
        ),
        None,
    )
    return {
        "id": entry["id"],
        "type": entry["type"],
        "createdAt": created.get(entry["id"]),
        "versionCount": entry["versionCount"],
        "latestVersionId": entry["latestVersionId"],
        "activeVersionId": active,
    }


def artifact_entry(snapshot: Document, artifact_id: str) -> dict[str, Any]:
    """The snapshot's entry of an artifact; ``EntityNotFound`` when the campaign has none."""
    for entry in snapshot["body"]["artifacts"]:
        if entry["id"] == artifact_id:
            found: dict[str, Any] = entry
            return found
    raise EntityNotFound(f"artifact not found in campaign {snapshot['body']['id']}")


def history_body(artifact: dict[str, Any], page: ListPage) -> dict[str, Any]:
    return {
        "artifactId": artifact["id"],
        "type": artifact["type"],
        "versions": page.items,
        "continuation": page.continuation,
    }


def plain_report(item: dict[str, Any]) -> dict[str, Any]:
    """A version's audit report as ``GET …/versions/{vid}/audits`` lists it (API.md's
    ``AuditReport``, without the campaign-level fields)."""
    return {key: value for key, value in item.items() if key not in ("artifactId", "versionNumber")}
