"""Build the SMS-SUBMIT PDU of one message, with python-gsmmodem-new's encoder.

The library's encoder is sound when it is given no SMS centre (with one, its ``tpduLength``
wrongly counts the centre's octets) and when the text fits one segment.
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

_NUMBER = re.compile(r"\+?[0-9]{1,20}")


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
    return _gsm7_septets(text) is not None


def _gsm7_septets(text: str) -> int | None:
    """Septets the text takes in GSM-7 (extension characters take two), None if it cannot."""
    # The library's table holds ESC itself, which would corrupt the extension escapes.
    if "\x1b" in text:
        return None
    try:
        return len(encodeGsm7(text))
    except ValueError:
        return None


def build_submit_pdu(
    number: str, text: str, *, validity: timedelta | None, status_report: bool
) -> SubmitPdu:
    """Encode one single-segment message; GSM-7 when possible, else UCS-2.

    :param validity: how long the SMS centre keeps trying (clamped to 5 minutes .. 63 weeks);
        ``None`` leaves the centre's default.
    :raise SendError: (permanent) for a malformed number or a text that needs more than one SMS.
    """
    if not is_valid_number(number):
        raise SendError("invalid destination number", outcome=Outcome.PERMANENT)
    encoding = _check_text(text)
    pdus = encodeSmsSubmitPdu(
        number,
        text,
        reference=0,  # the modem assigns TP-MR itself
        validity=_clamp(validity),
        requestStatusReport=status_report,
    )
    pdu = pdus[0]
    return SubmitPdu(bytes(pdu.data).hex().upper(), int(pdu.tpduLength), encoding)


def _check_text(text: str) -> str:
    if "\x1b" in text:  # the library would put it in GSM-7 as is, garbling what follows
        raise SendError("text contains an ESC character", outcome=Outcome.PERMANENT)
    septets = _gsm7_septets(text)
    if septets is not None:
        if septets > GSM7_MAX_SEPTETS:
            raise SendError(
                f"text needs {septets} GSM-7 septets; one SMS holds {GSM7_MAX_SEPTETS}",
                outcome=Outcome.PERMANENT,
            )
        return "gsm7"
    if any(ord(char) > 0xFFFF for char in text):
        # UCS-2 has no surrogate pairs, and the library crashes on them (babca#120).
        raise SendError(
            "text has characters UCS-2 cannot carry (emoji?)", outcome=Outcome.PERMANENT
        )
    if len(text) > UCS2_MAX_CHARS:
        raise SendError(
            f"text needs {len(text)} UCS-2 characters; one SMS holds {UCS2_MAX_CHARS}",
            outcome=Outcome.PERMANENT,
        )
    return "ucs2"


def _clamp(validity: timedelta | None) -> timedelta | None:
    if validity is None:
        return None
    return max(MIN_VALIDITY, min(validity, MAX_VALIDITY))
