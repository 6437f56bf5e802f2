"""host.json and local.settings.json.example: what the Functions host and a developer need."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bootstrap.settings import Settings

ROOT = Path(__file__).resolve().parents[3]


def test_host_json_uses_the_v4_bundle_and_an_empty_route_prefix() -> None:
    host = json.loads((ROOT / "host.json").read_text())
    assert host["version"] == "2.0"
    assert host["extensionBundle"] == {
        "id": "Microsoft.Azure.Functions.ExtensionBundle",
        "version": "[4.*, 5.0.0)",
    }
    assert host["extensions"]["http"]["routePrefix"] == ""


def test_the_local_settings_example_names_every_setting_and_loads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    values = json.loads((ROOT / "local.settings.json.example").read_text())["Values"]
    assert values["FUNCTIONS_WORKER_RUNTIME"] == "python"
    for name in ("AzureWebJobsStorage", "COSMOS_CONNECTION", "LEDGER_LEASE_PREFIX"):
        assert values[name]
    optional_without_value = {"LEDGER_ARTIFACT_TYPES_FILE"}
    expected = {name.upper() for name in Settings.model_fields} - optional_without_value
    assert expected <= set(values)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.ledger_store == "cosmos"
    assert settings.cosmos_database == "marketingagents"
