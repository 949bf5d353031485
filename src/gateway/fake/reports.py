"""SMS-STATUS-REPORT PDUs (23.040 §9.2.2.3) the fake keeps for ``AT+CMGR``."""

from __future__ import annotations

from datetime import UTC, datetime


def _semi_octets(digits: str) -> str:
    if len(digits) % 2:
        digits += "F"
    return "".join(digits[i + 1] + digits[i] for i in range(0, len(digits), 2))


def encode_timestamp(when: datetime) -> str:
    """A 7-octet time stamp in UTC (time zone octet 00)."""
    return _semi_octets(when.astimezone(UTC).strftime("%y%m%d%H%M%S")) + "00"


def encode_address(number: str) -> str:
    """Length in digits, type of address, swapped digits."""
    international = number.startswith("+")
    digits = number.lstrip("+")
    if not digits.isdigit():
        digits = "0"
    return f"{len(digits):02X}{'91' if international else '81'}{_semi_octets(digits)}"


def status_report_pdu(reference: int, destination: str, when: datetime) -> str:
    """A "delivered" report for message ``reference`` to ``destination``, as hex with no SMSC.

    First octet 06: SMS-STATUS-REPORT, no more messages to send. TP-ST 00: received by the SME.
    """
    stamp = encode_timestamp(when)
    return f"0006{reference % 256:02X}{encode_address(destination)}{stamp}{stamp}00"
