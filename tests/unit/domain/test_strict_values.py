"""Formats are matched whole, numbers are numbers, and blank means nothing a reader would see
(issue #17, items 6 and 10); the checks of free-form JSON cost time linear in its size."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from domain.blank_text import is_blank, not_blank_pattern
from domain.json_values import escaped_size, json_breach, structure_of, walk_json
from domain.values import (
    Brief,
    CategoryScore,
    Constraints,
    ContextArtifact,
    Recommendation,
    Trigger,
    canonical_uuid,
)

ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


def _brief(**changes: Any) -> dict[str, Any]:
    return {"objective": "o", "targetAudience": "a", "productDetails": "p", **changes}


def _recommendation(priority: Any) -> Recommendation:
    return Recommendation.model_validate({"category": "c", "text": "t", "priority": priority})


def _artifact(**changes: Any) -> dict[str, Any]:
    return {"id": ID, "type": "plan", "uri": "blob://x", "hash": "a" * 64, **changes}


@pytest.mark.parametrize(
    "colour", ["#FFF\n", "#112233\n", "\n#FFF", "#FFF ", "#\uff26\uff26\uff26"]
)
def test_a_colour_with_anything_around_it_is_refused(colour: str) -> None:
    with pytest.raises(ValidationError, match="must be a colour"):
        Brief.model_validate(_brief(brandPalette=[colour]))


@pytest.mark.parametrize("suffix", ["\n", " ", "\r\n"])
def test_a_hash_with_a_trailing_newline_or_space_is_refused(suffix: str) -> None:
    with pytest.raises(ValidationError, match="64 hexadecimal"):
        ContextArtifact.model_validate(_artifact(hash="a" * 64 + suffix))


@pytest.mark.parametrize(
    "value",
    [
        "{7c9e6679-7425-40de-944b-e07fc1f90ae7}",
        "urn:uuid:7c9e6679-7425-40de-944b-e07fc1f90ae7",
        "7c9e6679742540de944be07fc1f90ae7",
        "7c9e6679-7425-40de-944b-e07fc1f90ae7\n",
        "7c9e-6679-7425-40de-944b-e07fc1f90ae7",
    ],
)
def test_a_uuid_is_accepted_only_in_its_one_spelling(value: str) -> None:
    assert canonical_uuid(value) is None
    with pytest.raises(ValidationError, match="must be a UUID"):
        ContextArtifact.model_validate(_artifact(id=value))


def test_an_upper_case_uuid_is_read_as_its_canonical_form() -> None:
    assert canonical_uuid(ID.upper()) == ID


@pytest.mark.parametrize("value", [True, False, "5", "5.0"])
@pytest.mark.parametrize(
    "build",
    [
        _recommendation,
        lambda value: Constraints.model_validate({"maxWords": value}),
        lambda value: CategoryScore.model_validate({"score": value}),
    ],
    ids=["priority", "maxWords", "score"],
)
def test_a_number_field_refuses_booleans_and_text(build: Callable[[Any], Any], value: Any) -> None:
    with pytest.raises(ValidationError, match="must be a number"):
        build(value)


def test_number_fields_take_json_numbers() -> None:
    assert _recommendation(3).priority == 3
    assert Constraints.model_validate({"maxWords": 120.0}).max_words == 120
    assert CategoryScore.model_validate({"score": 91}).score == 91.0


@pytest.mark.parametrize(
    "text",
    ["\u200b", "\u200b\u200c\u200d", "\ufeff", " \u2060 ", "\u3164", "\u2800", "\u00ad", "\x00"],
)
def test_a_name_made_only_of_invisible_characters_is_blank(text: str) -> None:
    assert is_blank(text)
    with pytest.raises(ValidationError, match="must not be blank"):
        Brief.model_validate(_brief(objective=text))


@pytest.mark.parametrize("text", ["a", "\u200ba", "é", "日本", "🙂", "#"])
def test_a_text_with_one_visible_character_is_not_blank(text: str) -> None:
    assert not is_blank(text)
    assert re.search(not_blank_pattern(), text)


@pytest.mark.parametrize("text", ["", " ", "\u200b\u200b", "\t\ufeff", "\U000e0020"])
def test_the_documented_pattern_refuses_what_the_rule_calls_blank(text: str) -> None:
    assert is_blank(text)
    assert re.search(not_blank_pattern(), text) is None


def test_walking_a_deep_and_wide_value_costs_its_size_not_size_times_depth() -> None:
    depth, width = 20_000, 20_000
    value: Any = list(range(width))
    for _ in range(depth):
        value = [value]
    started = time.perf_counter()
    walked = sum(1 for _ in walk_json(value))
    assert walked == depth + width + 1
    assert time.perf_counter() - started < 2.0  # copying paths took minutes


def test_a_free_form_object_without_a_breach_is_checked_by_the_encoder_alone() -> None:
    value = {"rows": [{"a": i, "b": [i, str(i)]} for i in range(2_000)]}
    assert json_breach(value, 32) is None
    payload = Trigger.model_validate({"payload": value}).payload
    assert payload == value


@pytest.mark.parametrize(
    ("value", "path", "reason"),
    [
        ({"a": [1, {"b": 2**60}]}, ("a", 1, "b"), "must be an integer"),
        ({"a": float("inf")}, ("a",), "must be a finite number"),
        ({"a": {1: "x"}}, ("a",), "must have text keys"),
        ({"a": (1, 2)}, ("a",), "must hold only JSON values"),
        ({"a": [[[[0]]]]}, ("a", 0, 0, 0), "must not nest more than 3 levels"),
    ],
)
def test_a_free_form_breach_is_named_at_its_place(
    value: dict[str, Any], path: tuple[Any, ...], reason: str
) -> None:
    breach = json_breach(value, 3)
    assert breach is not None
    assert breach[0] == path
    assert breach[1].startswith(reason)


def test_the_structure_of_raw_json_shows_its_depth_and_its_values() -> None:
    assert structure_of(b"[" * 65 + b"]" * 65, 64, 1000).too_deep
    assert not structure_of(b"[" * 64 + b"]" * 64, 64, 1000).too_deep
    wide = b"[" + b",".join([b"[" * 60 + b"]" * 60] * 1000) + b"]"
    assert not structure_of(wide, 64, 10**6).too_deep
    assert structure_of(b"[" + wide + b"]" * 4, 64, 10**6).too_deep is False
    assert structure_of(b"[[[[" + wide + b"]]]]", 64, 10**6).too_deep
    assert structure_of(b"[" + b",".join([b"0"] * 1001) + b"]", 64, 1000).too_many_values


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": "[[[[[[[[[[[[", "b": [1, 2, {"c": "]]],,,"}]}',
        b'{"a": "\\\\", "b": "\\"[[[[["}',
        b'["\\u0022[[[[", "x"]',
    ],
)
def test_brackets_commas_and_quotes_inside_strings_are_not_structure(raw: bytes) -> None:
    structure = structure_of(raw, 3, 8)
    assert not structure.too_deep
    assert not structure.too_many_values


@pytest.mark.parametrize(
    "value",
    [
        {"content": "x" * 1000},
        {"content": "é" * 1000, "tag": 'a\n"b\\'},
        {"content": "🙂" * 100, "n": [1, 2.5, None, True]},
        {"content": "\u2028 and \u00e9"},
    ],
)
def test_the_escaped_size_of_raw_json_is_bounded_both_ways(value: dict[str, Any]) -> None:
    for raw in (
        json.dumps(value, ensure_ascii=False).encode(),
        json.dumps(value, ensure_ascii=True, indent=2).encode(),
    ):
        structure = structure_of(raw, 64, 10**6)
        size = escaped_size(value)
        assert structure.escaped_size_at_least <= size <= structure.escaped_size_at_most
