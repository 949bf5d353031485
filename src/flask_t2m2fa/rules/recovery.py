"""Recovery codes: the way back in when both phones are lost (issue 23).

A user holds :data:`COUNT` codes of :data:`LENGTH` characters from an alphabet without look-alike
characters (no 0/o, 1/l/i, u/v), shown as ``xxxxx-xxxxx``. Each is good for one login. Typed
input is read with or without the dash, in any case, with spaces: :func:`normalize` gives the
one form that is hashed, or None when the input cannot be a code at all.

Only a slow hash of each code is stored (``services.recovery``, argon2id) plus a short keyed
:func:`tag` that picks the row to check, so that a guess costs one slow hash, not ten.

Pure functions: no Flask, no database.
"""

from __future__ import annotations

import secrets
from typing import Any

from .keys import keyed_digest

#: 30 characters: digits and lower-case letters without 0 1 i l o u.
ALPHABET = "23456789abcdefghjkmnpqrstvwxyz"
#: Characters of a code: 30**10 is about 2**49, far beyond the 20-bit floor of a typed secret.
LENGTH = 10
#: Codes in one set; generating a new set voids the previous one.
COUNT = 10
#: Where the dash goes when a code is shown.
GROUP = 5
#: Longer input is refused before any work (a pasted code with spaces stays well below it).
MAX_INPUT = 40
#: Hex characters of the keyed tag: 8 bits, so about one stored code in 256 shares a tag.
TAG_CHARS = 2
_ALLOWED = frozenset(ALPHABET)


def generate() -> str:
    """One code, in its normalized form, from the OS CSPRNG."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def generate_set(count: int = COUNT) -> list[str]:
    """``count`` distinct codes (a repeat would be one code that works twice)."""
    codes: list[str] = []
    while len(codes) < count:
        code = generate()
        if code not in codes:
            codes.append(code)
    return codes


def normalize(candidate: Any) -> str | None:
    """The code ``candidate`` stands for, or None when it cannot be one.

    Case, dashes and whitespace (spaces, a pasted tab or newline) are ignored; any other
    character, or a wrong length, makes it malformed. Only ASCII counts: ``str.lower`` turns
    the Kelvin sign into ``k``, and other look-alikes would follow.
    """
    if not isinstance(candidate, str) or len(candidate) > MAX_INPUT or not candidate.isascii():
        return None
    text = "".join(ch for ch in candidate if ch not in "- \t\r\n").lower()
    if len(text) != LENGTH or not set(text) <= _ALLOWED:
        return None
    return text


def display(code: str) -> str:
    """The form shown and downloaded: ``xxxxx-xxxxx``."""
    return f"{code[:GROUP]}-{code[GROUP:]}"


def tag(key: bytes, user_id: str, code: str) -> str:
    """A short keyed digest of a normalized code: narrows the rows a guess is checked against.

    Keyed (the code key lives outside the database) and 8 bits long, it tells a database dump
    nothing it could test offline, and leaves the slow hash all of the code's strength.
    """
    return keyed_digest(key, "recovery", user_id, code)[:TAG_CHARS]
