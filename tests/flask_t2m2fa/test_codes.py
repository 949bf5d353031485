"""Codes: from secrets, ASCII digits only, stored as a keyed HMAC, compared in constant time."""

from __future__ import annotations

import ast
import inspect
from typing import Any

import pytest

from flask_t2m2fa.rules import codes

KEY = b"k" * 32
BINDING: dict[str, str] = {"challenge_id": "c1", "purpose": "login", "user_id": "7"}


def test_generate_uses_secrets_and_keeps_leading_zeros(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codes.secrets, "randbelow", lambda n: 42)
    assert codes.generate(4) == "0042"
    assert codes.generate(6) == "000042"


def test_codes_module_never_imports_random() -> None:
    tree = ast.parse(inspect.getsource(codes))
    names = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "random" not in names | modules


def test_generated_codes_cover_all_digits() -> None:
    drawn = {codes.generate(4) for _ in range(2000)}
    assert all(codes.is_well_formed(code, 4) for code in drawn)
    assert {code[0] for code in drawn} == set("0123456789")


@pytest.mark.parametrize(
    "candidate",
    [
        "١٢٣٤",
        "１２３４",
        " 1234",
        "1234\n",
        "1234 ",
        "1_234",
        "12345",
        "123",
        "",
        "12a4",
        "+123",
        1234,
        None,
        ["1234"],
        {"code": "1234"},
        12.34,
        "𝟏𝟐𝟑𝟒",
    ],
)
def test_only_ascii_digit_strings_are_well_formed(candidate: Any) -> None:
    assert not codes.is_well_formed(candidate, 4)


def test_well_formed_code_of_the_configured_length() -> None:
    assert codes.is_well_formed("0123", 4)
    assert codes.is_well_formed("01234567", 8)
    assert not codes.is_well_formed("0123", 6)


def test_hash_is_keyed_and_bound_to_its_challenge() -> None:
    stored = codes.code_hash(KEY, code="1234", **BINDING)
    assert "1234" not in stored
    assert stored != codes.code_hash(b"x" * 32, code="1234", **BINDING)
    for field in BINDING:
        other = {**BINDING, field: "other"}
        assert stored != codes.code_hash(KEY, code="1234", **other)


def test_matches_right_code_only() -> None:
    stored = codes.code_hash(KEY, code="1234", **BINDING)
    assert codes.matches(KEY, stored, "1234", length=4, **BINDING)
    assert not codes.matches(KEY, stored, "1235", length=4, **BINDING)
    assert not codes.matches(KEY, stored, "１２３４", length=4, **BINDING)
    assert not codes.matches(KEY, stored, 1234, length=4, **BINDING)


def test_matches_compares_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str]] = []
    real = codes.hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(codes.hmac, "compare_digest", spy)
    stored = codes.code_hash(KEY, code="1234", **BINDING)
    codes.matches(KEY, stored, "1234", length=4, **BINDING)
    codes.matches(KEY, stored, "bad input", length=4, **BINDING)  # malformed: same path
    assert len(calls) == 2


def test_sms_text_is_one_gsm7_segment_with_no_link() -> None:
    text = codes.sms_text("A" * 30, "12345678", 10)
    assert len(text) <= 160
    assert text.isascii()
    assert "12345678" in text and "10 min" in text and "Never share" in text
    assert "http" not in text
