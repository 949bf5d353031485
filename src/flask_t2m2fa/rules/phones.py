"""Phone numbers: parse, check it is a mobile number from an allowed country, mask for display.

Pure functions around ``phonenumbers``. The reasons a number is refused are English message ids
of the translation catalogues (marked with ``N_``): the web layer shows them through gettext.
"""

from __future__ import annotations

import re
from collections.abc import Collection

import phonenumbers
from phonenumbers import PhoneNumberType

from .notices import N_

_MOBILE_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
_DOT = "•"

NOT_A_NUMBER = N_("not a phone number")
NOT_VALID = N_("not a valid phone number")
NOT_MOBILE = N_("not a mobile phone number")
COUNTRY_REFUSED = N_("numbers from this country are not accepted")
#: Raised by the services (enrolment, number change, an administrator's entry).
SAME_AS_PRIMARY = N_("the backup phone must differ from the primary phone")
#: The sentence around one of the reasons above (``%(reason)s``, translated too).
UNUSABLE = N_("This number cannot be used: %(reason)s.")


class PhoneError(ValueError):
    """The number cannot receive login codes.

    The message is safe to show to the user, once translated: it is a message id of the
    catalogues (one of this module's constants), a phrase that fits after "cannot be used: ".
    """


def normalise(
    text: str, *, default_region: str | None = None, allowed_regions: Collection[str] | None = None
) -> str:
    """Return ``text`` as an E.164 mobile number, or raise :class:`PhoneError`.

    :param default_region: region for numbers written without ``+`` and a country code.
    :param allowed_regions: ISO region codes allowed; None allows every region.
    """
    if not isinstance(text, str) or len(text) > 40:
        raise PhoneError(NOT_A_NUMBER)
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        raise PhoneError(NOT_A_NUMBER) from exc
    if not phonenumbers.is_valid_number(number):
        raise PhoneError(NOT_VALID)
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise PhoneError(NOT_MOBILE)
    region = phonenumbers.region_code_for_number(number)
    if allowed_regions is not None and region not in allowed_regions:
        raise PhoneError(COUNTRY_REFUSED)
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


#: A number as people write it: a ``+``, the country code, then groups of digits or dots.
_WRITTEN = re.compile(r"\+[0-9]{1,3}(?: [0-9•]{1,4})+")


def unbreakable(text: str) -> str:
    """``text`` with the spaces inside each number (masked ``+32 ••• ••• •67`` or typed) made
    non-breaking, so that a page never breaks a number across two lines."""
    return _WRITTEN.sub(lambda found: found.group(0).replace(" ", "\u00a0"), text)
