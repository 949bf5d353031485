"""SMS status reports (3GPP TS 23.040 §9.2.2.3) as a modem hands them over (TS 27.005 §3.4.1).

A report arrives as ``+CDS: <length>`` and a PDU line (PDU mode), as one ``+CDS: <fo>,<mr>,…``
line (text mode), or is stored and announced by ``+CDSI: <mem>,<index>`` to be read with
``AT+CMGR``. :class:`ReportLines` recognises these among a modem's lines; the decoding is our
own (python-gsmmodem's decoder raises ``StopIteration`` on a short PDU and its ``+CDS`` pattern
never matches), small, and never logs the recipient's number.
"""

from __future__ import annotations

import enum
import logging
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

log = logging.getLogger("gateway.modem")

_TEXT_STAMP = re.compile(r"(\d\d)/(\d\d)/(\d\d),(\d\d):(\d\d):(\d\d)([+-]\d+)?")
_CDSI = re.compile(r'\+CDSI: *"?([A-Za-z]+)"?, *(\d+)')


class ReportOutcome(enum.Enum):
    """What a TP-ST value means for the message (23.040 §9.2.3.15)."""

    DELIVERED = "delivered"
    #: A temporary error; the SMS centre keeps trying, a final report follows.
    PENDING = "pending"
    NOT_DELIVERED = "not_delivered"


@dataclass(frozen=True)
class StatusReport:
    """One decoded status report. ``recipient`` is the full number: never log or store it."""

    reference: int
    recipient: str
    status: int
    submitted_at: datetime | None
    discharged_at: datetime | None

    @property
    def outcome(self) -> ReportOutcome:
        return outcome_of(self.status)

    @property
    def reason(self) -> str:
        return describe_status(self.status)

    def __repr__(self) -> str:  # the default would print the number
        return f"StatusReport(reference={self.reference}, status=0x{self.status:02X})"


class ReportError(ValueError):
    """A line that should be a status report but cannot be read."""


_REASONS = {
    0x00: "received by the phone",
    0x01: "forwarded; delivery not confirmed",
    0x02: "replaced by the SMS centre",
    0x40: "remote procedure error",
    0x41: "incompatible destination",
    0x42: "connection rejected by the phone",
    0x43: "number not obtainable",
    0x44: "quality of service not available",
    0x45: "no interworking available",
    0x46: "validity period expired",
    0x47: "deleted by the sender",
    0x48: "deleted by the SMS centre",
    0x49: "message does not exist",
}
# 0x2X (still trying) and 0x6X (given up) share their causes.
_TRANSFER_ERRORS = (
    "network congestion",
    "phone busy",
    "no response from the phone",
    "service rejected",
    "quality of service not available",
    "error in the phone",
)


def outcome_of(status: int) -> ReportOutcome:
    """0x00-0x1F: the transaction completed; 0x20-0x3F: the centre still tries; else failed."""
    if status < 0x20:
        return ReportOutcome.DELIVERED
    if status < 0x40:
        return ReportOutcome.PENDING
    return ReportOutcome.NOT_DELIVERED


def describe_status(status: int) -> str:
    """A short English reason for a TP-ST value, safe to show and log."""
    if status in _REASONS:
        return _REASONS[status]
    group, cause = status & 0xE0, status & 0x1F
    if group in (0x20, 0x60) and cause < len(_TRANSFER_ERRORS):
        text = _TRANSFER_ERRORS[cause]
        return f"{text} (still trying)" if group == 0x20 else text
    return f"status 0x{status:02X}"


# -- PDU mode ------------------------------------------------------------------------------


def decode_report_pdu(hex_pdu: str) -> StatusReport:
    """Decode an SMS-STATUS-REPORT given as hex, with its leading SMSC field.

    :raise ReportError: bad hex, another message type, or a PDU shorter than its fields.
    """
    try:
        data = bytes.fromhex(hex_pdu.strip())
        pos = 1 + data[0]  # skip the SMS centre address
        first, reference, digits = data[pos], data[pos + 1], data[pos + 2]
        if first & 0x03 != 0x02:
            raise ReportError("not an SMS-STATUS-REPORT")
        pos += 3
        address_end = pos + 1 + (digits + 1) // 2
        recipient = _address(data[pos:address_end], digits)
        scts = _stamp(data[address_end : address_end + 7])
        dt = _stamp(data[address_end + 7 : address_end + 14])
        status = data[address_end + 14]
    except (ValueError, IndexError) as exc:
        raise ReportError(f"unreadable status report PDU ({exc})") from None
    return StatusReport(reference, recipient, status, scts, dt)


def _address(field: bytes, digits: int) -> str:
    if len(field) < 1 + (digits + 1) // 2:
        raise ReportError("address shorter than its length")
    number = _semi_octets(field[1:])[:digits]
    if field[0] & 0x70 == 0x50:  # alphanumeric: no number to match
        return ""
    return "+" + number if field[0] & 0x70 == 0x10 else number


def _semi_octets(data: bytes) -> str:
    return "".join(
        "0123456789*#abc"[nibble]
        for octet in data
        for nibble in (octet & 0x0F, octet >> 4)
        if nibble != 0x0F
    )


def _stamp(field: bytes) -> datetime | None:
    """A 7-octet time stamp (23.040 §9.2.3.11); None when it is garbled."""
    if len(field) != 7:
        raise ReportError("time stamp truncated")
    digits = _semi_octets(field[:6])
    if len(digits) != 12 or not digits.isdigit():
        return None
    zone = field[6]
    quarters = (zone & 0x07) * 10 + (zone >> 4) if (zone >> 4) < 10 else 0
    offset = timedelta(minutes=15 * quarters) * (-1 if zone & 0x08 else 1)
    return _datetime(digits, offset)


def _datetime(digits: str, offset: timedelta) -> datetime | None:
    year, month, day, hour, minute, second = (int(digits[i : i + 2]) for i in range(0, 12, 2))
    try:
        return datetime(2000 + year, month, day, hour, minute, second, tzinfo=timezone(offset))
    except ValueError:
        return None


# -- text mode -----------------------------------------------------------------------------


def parse_text_report(fields: list[str]) -> StatusReport:
    """``<fo>,<mr>,[<ra>],[<tora>],<scts>,<dt>,<st>`` split on commas outside quotes.

    :raise ReportError: too few fields, or a reference or status that is not a number.
    """
    if len(fields) < 7 or not (fields[1].isdigit() and fields[-1].isdigit()):
        raise ReportError("unreadable text-mode status report")
    return StatusReport(
        reference=int(fields[1]),
        recipient=fields[2].strip('"'),
        status=int(fields[-1]),
        submitted_at=_text_stamp(fields[-3]),
        discharged_at=_text_stamp(fields[-2]),
    )


def _text_stamp(text: str) -> datetime | None:
    match = _TEXT_STAMP.fullmatch(text.strip('"'))
    if match is None:
        return None
    quarters = int(match.group(7) or 0)
    return _datetime("".join(match.groups()[:6]), timedelta(minutes=15 * quarters))


def split_fields(text: str) -> list[str]:
    """Comma-separated fields; a comma inside quotes (a time stamp) does not split."""
    fields, current, quoted = [], "", False
    for char in text:
        if char == "," and not quoted:
            fields.append(current.strip())
            current = ""
            continue
        quoted ^= char == '"'
        current += char
    return [*fields, current.strip()]


# -- the lines of a modem ------------------------------------------------------------------


class ReportLines:
    """Takes a modem's status-report lines out of its stream, wherever they turn up.

    :meth:`feed` sees every line the channel reads; it keeps ``+CDS`` (and the PDU line that
    follows a PDU-mode ``+CDS``) and ``+CDSI``, and says so, so that no report line is ever
    taken for a command's answer.
    """

    def __init__(self) -> None:
        self.reports: deque[StatusReport] = deque(maxlen=1024)
        #: ``(memory, index)`` of reports stored by the modem, to read with ``AT+CMGR``.
        self.stored: deque[tuple[str, int]] = deque(maxlen=1024)
        self._awaiting_pdu = False

    def feed(self, line: str) -> bool:
        """Take ``line`` if it is (part of) a status report; return whether it was."""
        if self._awaiting_pdu:
            self._awaiting_pdu = False
            self._add(lambda: decode_report_pdu(line))
            return True
        if line.startswith("+CDSI:"):
            match = _CDSI.fullmatch(line)
            if match is None:
                log.warning("ignored an unreadable report indication: %s", line[:40])
            else:
                self.stored.append((match.group(1).upper(), int(match.group(2))))
            return True
        if line.startswith("+CDS:"):
            fields = split_fields(line[5:].strip())
            if len(fields) <= 2 and fields[-1].isdigit():  # +CDS: [<alpha>,]<length>
                self._awaiting_pdu = True
            else:
                self._add(lambda: parse_text_report(fields))
            return True
        return False

    def add_pdu(self, hex_pdu: str) -> None:
        """Decode a report found in the storage of received SMS (some modems keep them there)."""
        self._add(lambda: decode_report_pdu(hex_pdu))

    def add_stored(self, lines: list[str]) -> None:
        """Decode the answer of ``AT+CMGR`` for a stored report (PDU or text mode)."""
        if len(lines) >= 2 and lines[0].startswith("+CMGR:"):
            self._add(lambda: decode_report_pdu(lines[1]))
        elif lines and lines[0].startswith("+CMGR:"):
            self._add(lambda: parse_text_report(split_fields(lines[0][6:].strip())[1:]))
        else:
            log.warning("a stored status report could not be read")

    def _add(self, decode: Callable[[], StatusReport]) -> None:
        try:
            self.reports.append(decode())
        except ReportError as exc:
            log.warning("ignored a status report: %s", exc)
