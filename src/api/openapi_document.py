"""The OpenAPI document says what the service refuses (issue #17): a client generated from it,
or a fuzzer, validates as the server does.

FastAPI's document leaves some of that out; ``described`` adds it:

- a parameter is absent or a string, never ``null``: FastAPI declares an optional header or
  query parameter as ``anyOf: [string, null]``, and a client would then send the text ``null``;
  the ``null`` branch is dropped (absence is ``required: false``);
- every JSON value a body may hold beyond the fields it names (unknown fields are ignored, but
  their numbers are checked), and every value of a free-form object (``payload``,
  ``metadata``, ``details``), is a ``JsonValue``: integers within ±2^53, the rest any JSON;
- a context artifact's ``type`` is one of the deployment's registered types (an ``enum``);
- an update names a ``name`` or a ``brief`` that is not null.

What JSON Schema cannot say stays in the descriptions and in CHANGELOG.md: the byte limits (a
free-form object's 65,536 bytes, a command's 1,835,008 escaped bytes, a body's 4 MiB), the
nesting limits, and that a continuation token must come from the list it continues.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from domain.values import MAX_EXACT_INTEGER

JSON_VALUE = "JsonValue"
_REF_PREFIX = "#/components/schemas/"
_JSON_VALUE_REF = {"$ref": _REF_PREFIX + JSON_VALUE}


def json_value_schema() -> dict[str, Any]:
    """Any JSON value a document store keeps exactly."""
    return {
        "description": (
            f"Any JSON value whose integers are within ±2^53 ({MAX_EXACT_INTEGER}); numbers "
            "with a fraction may be any finite double."
        ),
        "anyOf": [
            {"type": "null"},
            {"type": "boolean"},
            {"type": "string"},
            {"type": "integer", "minimum": -MAX_EXACT_INTEGER, "maximum": MAX_EXACT_INTEGER},
            {"type": "number", "not": {"multipleOf": 1}},
            {"type": "array", "items": _JSON_VALUE_REF},
            {"type": "object", "additionalProperties": _JSON_VALUE_REF},
        ],
    }


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    variants = schema.get("anyOf")
    if not isinstance(variants, list):
        return schema
    kept = [variant for variant in variants if variant.get("type") != "null"]
    if len(kept) != 1 or len(kept) == len(variants):
        return schema
    return {**{key: value for key, value in schema.items() if key != "anyOf"}, **kept[0]}


def _operations(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for item in document.get("paths", {}).values():
        yield from item.values()


def _references(value: Any) -> Iterator[str]:
    """The names of the component schemas ``value`` refers to, anywhere inside it."""
    if isinstance(value, dict):
        reference = value.get("$ref")
        if isinstance(reference, str) and reference.startswith(_REF_PREFIX):
            yield reference.removeprefix(_REF_PREFIX)
        for inner in value.values():
            yield from _references(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _references(inner)


def _request_schemas(document: dict[str, Any]) -> list[str]:
    """The component schemas a request body may use, directly or through another one."""
    schemas = document.get("components", {}).get("schemas", {})
    pending = [
        name
        for operation in _operations(document)
        for name in _references(operation.get("requestBody", {}))
    ]
    found: list[str] = []
    while pending:
        name = pending.pop()
        if name in found or name not in schemas:
            continue
        found.append(name)
        pending.extend(_references(schemas[name]))
    return found


def _free_form_to_json_values(schema: Any) -> None:
    """Every ``additionalProperties: true`` inside ``schema`` holds ``JsonValue``s."""
    if isinstance(schema, dict):
        if schema.get("additionalProperties") is True:
            schema["additionalProperties"] = _JSON_VALUE_REF
        for inner in schema.values():
            _free_form_to_json_values(inner)
    elif isinstance(schema, list):
        for inner in schema:
            _free_form_to_json_values(inner)


def _described_requests(document: dict[str, Any], artifact_types: Sequence[str]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in _request_schemas(document):
        schema = schemas[name]
        _free_form_to_json_values(schema)
        if schema.get("type") == "object" and "additionalProperties" not in schema:
            schema["additionalProperties"] = _JSON_VALUE_REF
    schemas[JSON_VALUE] = json_value_schema()
    artifact = schemas.get("ContextArtifact", {}).get("properties", {})
    if "type" in artifact:
        artifact["type"] = {
            **artifact["type"],
            "enum": list(artifact_types),
            "description": "A standard type or one registered in the artifact-types file.",
        }
    update = schemas.get("UpdateCampaign")
    if update is not None:
        update["anyOf"] = [
            {"required": [field], "properties": {field: {"not": {"type": "null"}}}}
            for field in ("name", "brief")
        ]


def described(document: dict[str, Any], artifact_types: Sequence[str]) -> dict[str, Any]:
    """``document`` with the constraints FastAPI leaves out (see the module docstring);
    ``artifact_types`` are the names a context artifact's ``type`` may take."""
    for operation in _operations(document):
        for parameter in operation.get("parameters", []):
            if "schema" in parameter:
                parameter["schema"] = _without_null(parameter["schema"])
    _described_requests(document, artifact_types)
    return document
