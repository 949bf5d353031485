"""Phone numbers: parse, check it is a mobile number from an allowed country, mask for display.

Pure functions around ``phonenumbers``.
"""

from __future__ import annotations

from collections.abc import Collection

import phonenumbers
from phonenumbers import PhoneNumberType

_MOBILE_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
_DOT = "•"


class PhoneError(ValueError):
    """The number cannot receive login codes. The message is safe to show to the user."""


def normalise(
    text: str, *, default_region: str | None = None, allowed_regions: Collection[str] | None = None
) -> str:
    """Return ``text`` as an E.164 mobile number, or raise :class:`PhoneError`.

    :param default_region: region for numbers written without ``+`` and a country code.
    :param allowed_regions: ISO region codes allowed; None allows every region.
    """
    if not isinstance(text, str) or len(text) > 40:
        raise PhoneError("not a phone number")
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        raise PhoneError("not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise PhoneError("not a valid phone number")
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise PhoneError("not a mobile phone number")
    region = phonenumbers.region_code_for_number(number)
    if allowed_regions is not None and region not in allowed_regions:
        raise PhoneError("numbers from this country are not accepted")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def mask(e164: str) -> str:
    """Show only the country code and the last two digits: ``+32 ••• ••• •67``.

    The hidden digits are grouped by three from the right, so the shape hints at the length.
    """
    try:
        number = phonenumbers.parse(e164, None)
        country, national = str(number.country_code), str(number.national_number)
    except phonenumbers.NumberParseException:
        country, national = "", "".join(ch for ch in e164 if ch.isdigit())
    shown = _DOT * max(0, len(national) - 2) + national[-2:]
    groups = [shown[max(0, end - 3) : end] for end in range(len(shown), 0, -3)]
    return (f"+{country} " if country else "") + " ".join(reversed(groups))
