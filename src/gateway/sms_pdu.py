"""Build the SMS-SUBMIT PDUs of one message, with python-gsmmodem-new's encoder.

GSM-7 when every character is in the default alphabet or its extension table, else UCS-2;
longer than one SMS, the text is split into concatenated segments, each with a user data
header (IEI 0x00: an 8-bit reference shared by the segments, their count, the segment's
number). The library's encoder is sound when it is given no SMS centre (with one, its
``tpduLength`` wrongly counts the centre's octets); it writes the concatenation reference into
TP-MR too, which we set back to 0 so that the modem numbers each segment itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from gsmmodem.pdu import encodeGsm7, encodeSmsSubmitPdu

from gateway.errors import Outcome, SendError

#: A relative TP-VP cannot say less than 5 minutes (3GPP TS 23.040 §9.2.3.12.1).
MIN_VALIDITY = timedelta(minutes=5)
#: ... nor more than 63 weeks.
MAX_VALIDITY = timedelta(weeks=63)

GSM7_MAX_SEPTETS = 160
UCS2_MAX_CHARS = 70
#: Per segment once a 6-octet concatenation header takes its room (23.040 §9.2.3.24.1).
GSM7_SEGMENT_SEPTETS = 153
UCS2_SEGMENT_CHARS = 67
#: Segments per message unless the caller says otherwise; codes always fit one.
DEFAULT_MAX_SEGMENTS = 3
#: The spec allows 255 segments; handsets give up far earlier.
MAX_SEGMENTS_LIMIT = 10

_NUMBER = re.compile(r"\+?[0-9]{1,20}")
_TP_MR_OFFSET = 2  # the empty SMSC octet, the first octet, then TP-MR


@dataclass(frozen=True)
class SubmitPdu:
    """One SMS-SUBMIT ready for ``AT+CMGS``.

    :param hex: the PDU as upper-case hex, starting with the empty SMSC octet ``00``.
    :param tpdu_length: octets after the SMSC field: the number ``AT+CMGS=`` wants.
    :param encoding: ``"gsm7"`` or ``"ucs2"``.
    """

    hex: str
    tpdu_length: int
    encoding: str


def is_valid_number(number: str) -> bool:
    """Digits, optionally after ``+``: what an SMS destination address can carry."""
    return _NUMBER.fullmatch(number) is not None


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM-7 default alphabet or its extension table."""
    return gsm7_septets(text) is not None


def gsm7_septets(text: str) -> int | None:
    """Septets the text takes in GSM-7 (extension characters take two), None if it cannot."""
    # The library's table holds ESC itself, which would corrupt the extension escapes.
    if "\x1b" in text:
        return None
    try:
        return len(encodeGsm7(text))
    except ValueError:
        return None


def segment_count(text: str) -> int:
    """How many SMS ``text`` takes (GSM-7 when it can, else UCS-2); 0 for an empty text."""
    septets = gsm7_septets(text)
    units, single, part = (
        (len(text), UCS2_MAX_CHARS, UCS2_SEGMENT_CHARS)
        if septets is None
        else (septets, GSM7_MAX_SEPTETS, GSM7_SEGMENT_SEPTETS)
    )
    return 1 if 0 < units <= single else -(-units // part)


def build_submit_pdus(
    number: str,
    text: str,
    *,
    validity: timedelta | None,
    status_report: bool,
    reference: int = 0,
    max_segments: int = DEFAULT_MAX_SEGMENTS,
) -> list[SubmitPdu]:
    """Encode one message as one SMS-SUBMIT, or several concatenated ones.

    :param validity: how long the SMS centre keeps trying (clamped to 5 minutes .. 63 weeks);
        ``None`` leaves the centre's default.
    :param reference: the concatenation reference (0-255) shared by the segments; a modem
        rolls it, so that two long messages to one phone are not merged.
    :param max_segments: a longer text is refused.
    :raise SendError: (permanent) for a malformed number, or a text that cannot be encoded or
        needs more than ``max_segments`` SMS.
    """
    if not is_valid_number(number):
        raise SendError("invalid destination number", outcome=Outcome.PERMANENT)
    encoding = _check_text(text, max_segments)
    pdus = encodeSmsSubmitPdu(
        number,
        text,
        reference=reference % 256,
        validity=_clamp(validity),
        requestStatusReport=status_report,
    )
    if len(pdus) > max_segments:  # the library's split can differ from the estimate by one
        raise _too_long(encoding, len(pdus), max_segments)
    built = []
    for pdu in pdus:
        data = bytearray(pdu.data)
        data[_TP_MR_OFFSET] = 0  # the modem assigns TP-MR itself
        built.append(SubmitPdu(bytes(data).hex().upper(), int(pdu.tpduLength), encoding))
    return built


def _check_text(text: str, max_segments: int) -> str:
    if not text:
        raise SendError("empty text", outcome=Outcome.PERMANENT)
    if "\x1b" in text:  # the library would put it in GSM-7 as is, garbling what follows
        raise SendError("text contains an ESC character", outcome=Outcome.PERMANENT)
    encoding = "gsm7" if gsm7_septets(text) is not None else "ucs2"
    if encoding == "ucs2" and any(ord(char) > 0xFFFF for char in text):
        # UCS-2 has no surrogate pairs, and the library crashes on them (babca#120).
        raise SendError(
            "text has characters UCS-2 cannot carry (emoji?)", outcome=Outcome.PERMANENT
        )
    segments = segment_count(text)
    if segments > max_segments:
        raise _too_long(encoding, segments, max_segments)
    return encoding


def _too_long(encoding: str, segments: int, max_segments: int) -> SendError:
    name = "GSM-7" if encoding == "gsm7" else "UCS-2"
    return SendError(
        f"text needs {segments} {name} segments; at most {max_segments} are sent",
        outcome=Outcome.PERMANENT,
    )


def _clamp(validity: timedelta | None) -> timedelta | None:
    if validity is None:
        return None
    return max(MIN_VALIDITY, min(validity, MAX_VALIDITY))
