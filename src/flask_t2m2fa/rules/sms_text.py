"""How many SMS a text takes, and the limits every text of the extension is held to.

A text goes as GSM-7 when every character is in the GSM-7 alphabet or its extension table
(python-gsmmodem-new's table, the one the gateway encodes with; ``€``, ``[``, ``{`` … take two
septets), else as UCS-2 (Polish ą ć ę ł ń ó ś ź ż, Cyrillic…). One SMS holds 160 GSM-7 septets
or 70 UCS-2 characters; a longer text is concatenated, 153 septets or 67 characters a segment.
A code SMS must be one segment; a notice may take up to :data:`NOTICE_MAX_SEGMENTS`. Pure: no
Flask, no database.
"""

from __future__ import annotations

from gsmmodem.pdu import encodeGsm7

GSM7_SEGMENT_SEPTETS = 160
UCS2_SEGMENT_CHARS = 70
#: Per segment of a concatenated text (a 6-octet header takes the rest).
GSM7_PART_SEPTETS = 153
UCS2_PART_CHARS = 67
#: A notice may say more than a code: up to three concatenated SMS (the gateway's default cap).
NOTICE_MAX_SEGMENTS = 3


def gsm7_septets(text: str) -> int | None:
    """Septets ``text`` takes in GSM-7, or None when a character has no GSM-7 form."""
    if "\x1b" in text:  # the escape itself would garble the extension characters after it
        return None
    try:
        return len(encodeGsm7(text))
    except ValueError:
        return None


def encoding(text: str) -> str:
    """``"gsm7"`` or ``"ucs2"``: what the gateway will send ``text`` as."""
    return "gsm7" if gsm7_septets(text) is not None else "ucs2"


def segments(text: str) -> int | None:
    """SMS ``text`` takes; None when it cannot be sent (empty, or a character outside UCS-2
    such as an emoji)."""
    septets = gsm7_septets(text)
    if septets is not None:
        units, single, part = septets, GSM7_SEGMENT_SEPTETS, GSM7_PART_SEPTETS
    elif any(ord(char) > 0xFFFF for char in text):
        return None
    else:
        units, single, part = len(text), UCS2_SEGMENT_CHARS, UCS2_PART_CHARS
    if units == 0:
        return None
    return 1 if units <= single else -(-units // part)


def fits_segments(text: str, most: int) -> bool:
    """True when ``text`` can be sent in at most ``most`` SMS."""
    count = segments(text)
    return count is not None and count <= most


def fits_one_segment(text: str) -> bool:
    """True when ``text`` is one SMS (GSM-7 within 160 septets, or UCS-2 within 70)."""
    return fits_segments(text, 1)
