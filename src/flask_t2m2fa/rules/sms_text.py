"""Whether an SMS text stays one GSM-7 segment (160 septets), as every text of the extension must.

Uses python-gsmmodem-new's GSM-7 table, the one the gateway encodes with; extension-table
characters (``€``, ``[``, ``{`` …) take two septets. Pure: no Flask, no database.
"""

from __future__ import annotations

from gsmmodem.pdu import encodeGsm7

GSM7_SEGMENT_SEPTETS = 160


def gsm7_septets(text: str) -> int | None:
    """Septets ``text`` takes in GSM-7, or None when a character has no GSM-7 form."""
    if "\x1b" in text:  # the escape itself would garble the extension characters after it
        return None
    try:
        return len(encodeGsm7(text))
    except ValueError:
        return None


def fits_one_segment(text: str) -> bool:
    """True when ``text`` encodes in GSM-7 within one SMS."""
    septets = gsm7_septets(text)
    return septets is not None and 0 < septets <= GSM7_SEGMENT_SEPTETS
