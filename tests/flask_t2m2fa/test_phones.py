"""Phone numbers: valid mobiles only, E.164, a country allow-list, masked to the last 2 digits."""

from __future__ import annotations

import pytest

from flask_t2m2fa.rules.phones import PhoneError, mask, normalise


def test_normalises_to_e164() -> None:
    assert normalise("+32 470 12 34 67") == "+32470123467"
    assert normalise("0470 12 34 67", default_region="BE") == "+32470123467"


@pytest.mark.parametrize("text", ["+3223456789", "hello", "+32", "", "+1 " + "5" * 40])
def test_refuses_non_mobile_or_invalid(text: str) -> None:
    with pytest.raises(PhoneError):
        normalise(text)


def test_country_allow_list() -> None:
    assert normalise("+32470123467", allowed_regions={"BE"}) == "+32470123467"
    with pytest.raises(PhoneError, match="country"):
        normalise("+33612345678", allowed_regions={"BE"})


def test_mask_keeps_country_and_last_two_digits() -> None:
    assert mask("+32470123467") == "+32 ••• ••• •67"
    assert mask("+33612345678") == "+33 ••• ••• •78"
    masked = mask("+447700900123")
    assert masked.endswith("23") and "7700900" not in masked
