"""Valid request bodies and read-model views, shared by the HTTP unit tests."""

from __future__ import annotations

from typing import Any

CID = "0f8fad5b-d9cb-469f-a165-70867728950e"
AID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
VID = "1b4e28ba-2fa1-41d2-883f-0016d3cca427"
VID2 = "6fa459ea-ee8a-4ca4-894e-db77e160355e"
RID = "16fd2706-8baf-433b-82eb-8c7fada847da"
HASH = "a" * 64


def brief() -> dict[str, Any]:
    return {
        "objective": "Launch the spring range",
        "targetAudience": "Runners aged 25-40",
        "productDetails": "A light trail shoe",
        "brandPalette": ["#fff", "#00AA33"],
        "constraints": {"maxWords": 120, "channels": ["email"]},
    }


def context_artifact(artifact_id: str = AID) -> dict[str, Any]:
    return {"id": artifact_id, "type": "plan", "uri": "blob://plans/1.json", "hash": HASH}


def audit() -> dict[str, Any]:
    return {
        "overallStatus": "Pass",
        "categoryScores": {"tone": {"score": 92.5, "notes": "on brand"}},
        "flaggedItems": [{"category": "claims", "severity": "Low", "description": "vague"}],
        "recommendations": [{"category": "cta", "text": "be bolder", "priority": 2}],
    }


def snapshot_body(version: int = 3) -> dict[str, Any]:
    return {
        "id": CID,
        "tenantId": "default",
        "name": "Spring",
        "brief": brief(),
        "status": "Draft",
        "createdAt": "2025-01-01T00:00:00+00:00",
        "updatedAt": "2025-01-01T00:00:00+00:00",
        "isDeleted": False,
        "version": version,
        "activeVersions": {},
        "auditReports": {},
        "artifacts": [],
        "runs": [],
    }
