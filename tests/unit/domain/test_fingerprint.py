"""Payload fingerprints tell a repeated command from a conflicting one."""

from __future__ import annotations

from domain.fingerprint import fingerprint


def test_the_same_payload_in_any_key_order_has_the_same_fingerprint() -> None:
    assert fingerprint("audit", {"a": 1, "b": {"x": [1, 2]}}) == fingerprint(
        "audit", {"b": {"x": [1, 2]}, "a": 1}
    )


def test_an_integral_float_and_its_integer_have_the_same_fingerprint() -> None:
    assert fingerprint("audit", {"score": 90.0}) == fingerprint("audit", {"score": 90})
    assert fingerprint("audit", {"score": 90.5}) != fingerprint("audit", {"score": 90})


def test_the_kind_is_part_of_the_fingerprint() -> None:
    assert fingerprint("artifact", {}) != fingerprint("run", {})


def test_booleans_are_not_confused_with_numbers() -> None:
    assert fingerprint("x", {"v": True}) != fingerprint("x", {"v": 1})
