"""One-time codes: made with ``secrets``, kept only as a keyed HMAC, checked in constant time.

Pure functions: no Flask, no database.
"""

from __future__ import annotations

import hmac
import re
import secrets
from typing import Any

from .keys import keyed_digest
from .notices import N_

_DIGITS = {n: re.compile(f"[0-9]{{{n}}}", re.ASCII) for n in range(4, 9)}


def generate(length: int) -> str:
    """A code of ``length`` ASCII digits, leading zeros included, from the OS CSPRNG."""
    return f"{secrets.randbelow(10**length):0{length}d}"


def is_well_formed(candidate: Any, length: int) -> bool:
    """True only for a ``str`` of exactly ``length`` ASCII digits.

    ``int()``, ``str.isdigit()`` and ``\\d`` accept Arabic-Indic and full-width digits,
    whitespace and underscores; ``re.fullmatch`` on ``[0-9]`` accepts none of them.
    """
    return isinstance(candidate, str) and _DIGITS[length].fullmatch(candidate) is not None


def code_hash(key: bytes, *, challenge_id: str, purpose: str, user_id: str, code: str) -> str:
    """The stored form of ``code``: an HMAC bound to its challenge, purpose and user.

    The key lives outside the database, so a database dump does not let anyone try the 10⁴
    possible codes offline.
    """
    return keyed_digest(key, "code", challenge_id, purpose, user_id, code)


def matches(
    key: bytes,
    stored: str,
    candidate: Any,
    *,
    length: int,
    challenge_id: str,
    purpose: str,
    user_id: str,
) -> bool:
    """Check ``candidate`` against the ``stored`` hash; malformed input never matches.

    A malformed candidate still costs one HMAC and one constant-time comparison, so both paths
    take the same time.
    """
    well_formed = is_well_formed(candidate, length)
    text = candidate if well_formed else "x" * length
    computed = code_hash(
        key, challenge_id=challenge_id, purpose=purpose, user_id=user_id, code=text
    )
    return hmac.compare_digest(computed, stored) and well_formed


#: The English code SMS (the message id of the catalogues); ``%(app)s``, ``%(code)s``,
#: ``%(minutes)s``. Every translation must stay one SMS: 160 GSM-7 septets, or 70 UCS-2
#: characters for a language GSM-7 cannot carry (a test checks each, with the longest app name).
SMS_TEMPLATE = N_(
    "%(app)s: your login code is %(code)s. It expires in %(minutes)s min. Never share this code."
)


def sms_text(app_name: str, code: str, lifetime_minutes: int, template: str = SMS_TEMPLATE) -> str:
    """The SMS body: app name, code, lifetime and "do not share"; one SMS.

    ``template`` is :data:`SMS_TEMPLATE` or its translation (the caller translates: rules
    know no locale).
    """
    return template % {"app": app_name, "code": code, "minutes": lifetime_minutes}
