"""Only the last two digits of a number are ever kept once a message is final."""

from __future__ import annotations

from gateway.outbox import mask_number, recipient_key


def test_mask_keeps_the_last_two_digits() -> None:
    assert mask_number("+32470123467") == "+•••67"
    assert mask_number("0470123467") == "•••67"


def test_recipient_key_is_stable_short_and_distinct() -> None:
    key = recipient_key("+32470123467")
    assert key == recipient_key("+32470123467")
    assert len(key) == 5 and key.startswith("67")
    keys = {recipient_key(f"+324701{n:05d}") for n in range(250)}
    assert len(keys) >= 249
