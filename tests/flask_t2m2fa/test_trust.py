"""Remember-PC tokens: at least 128 random bits, only a hash kept, one cookie name per user."""

from __future__ import annotations

import base64

from flask_t2m2fa.rules import trust


def test_token_has_256_random_bits_and_only_its_hash_is_kept() -> None:
    new = trust.new_token()
    selector, validator = new.token.split(".")
    assert selector == new.selector
    assert len(base64.urlsafe_b64decode(validator + "=")) * 8 >= 128
    assert validator not in new.validator_hash
    assert trust.validator_matches(validator, new.validator_hash)
    tampered = ("B" if validator[0] == "A" else "A") + validator[1:]  # always a different one
    assert not trust.validator_matches(tampered, new.validator_hash)


def test_tokens_differ() -> None:
    assert len({trust.new_token().token for _ in range(100)}) == 100


def test_split_rejects_malformed() -> None:
    token = trust.new_token().token
    assert trust.split(token) is not None
    for bad in ["", "x.y", token + "a", token.upper(), 42, None, token.replace(".", "")]:
        assert trust.split(bad) is None


def test_cookie_name_is_per_user_and_keyed() -> None:
    key = b"k" * 32
    one, two = trust.cookie_name(key, "p_", "1"), trust.cookie_name(key, "p_", "2")
    assert one != two and one.startswith("p_")
    assert one != trust.cookie_name(b"j" * 32, "p_", "1")


def test_coarse_network_of_a_remembered_pc() -> None:
    from flask_t2m2fa.rules.trust import coarse_network

    assert coarse_network("203.0.113.77") == "203.0.113.0/24"
    assert coarse_network("2001:db8:1234:5678::1") == "2001:db8:1234::/48"
    assert coarse_network(None) is None and coarse_network("not-an-ip") is None
