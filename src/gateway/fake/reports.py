"""SMS-STATUS-REPORTs (23.040 §9.2.2.3) the fake sends (``+CDS``) or keeps for ``AT+CMGR``.

A report is scheduled when the network accepts a message that asked for one, and comes out
``Faults.report_delay`` seconds later with ``Faults.report_status`` (TP-ST: 0 delivered,
0x46 validity expired...), in the form the TE chose: PDU or text mode (``AT+CMGF``), routed
straight to it (``+CDS``, ``AT+CNMI`` ``<ds>=1``) or stored (``+CDSI``, ``<ds>=2``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
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


def status_report_pdu(
    reference: int,
    destination: str,
    when: datetime,
    *,
    status: int = 0,
    discharged: datetime | None = None,
) -> str:
    """A report for message ``reference`` to ``destination``, as hex with no SMSC.

    First octet 06: SMS-STATUS-REPORT, no more messages to send. TP-ST 00: received by the SME.
    """
    scts = encode_timestamp(when)
    dt = encode_timestamp(discharged or when)
    return f"0006{reference % 256:02X}{encode_address(destination)}{scts}{dt}{status:02X}"


def _text_stamp(when: datetime) -> str:
    return f'"{when.astimezone(UTC):%y/%m/%d,%H:%M:%S}+00"'


@dataclass(frozen=True)
class Report:
    """One status report, rendered on demand in PDU or text mode."""

    reference: int
    destination: str
    submitted_at: datetime
    discharged_at: datetime
    status: int = 0

    def pdu(self) -> str:
        return status_report_pdu(
            self.reference,
            self.destination,
            self.submitted_at,
            status=self.status,
            discharged=self.discharged_at,
        )

    def pdu_length(self) -> int:
        """TPDU octets: what ``+CDS:`` and ``+CMGR:`` give before the PDU line."""
        return len(self.pdu()) // 2 - 1

    def text(self) -> str:
        """``<fo>,<mr>,<ra>,<tora>,<scts>,<dt>,<st>`` (27.005 §3.4.1, text mode)."""
        tora = 145 if self.destination.startswith("+") else 129
        stamps = f"{_text_stamp(self.submitted_at)},{_text_stamp(self.discharged_at)}"
        return f'6,{self.reference % 256},"{self.destination}",{tora},{stamps},{self.status}'

    def cds(self, text_mode: bool) -> str:
        """The ``+CDS`` URC: one line in text mode, header and PDU lines in PDU mode."""
        if text_mode:
            return f"+CDS: {self.text()}"
        return f"+CDS: {self.pdu_length()}\r\n{self.pdu()}"

    def cmgr(self, text_mode: bool) -> list[str]:
        """The answer lines of ``AT+CMGR`` for this stored (unread) report."""
        if text_mode:
            return [f'+CMGR: "REC UNREAD",{self.text()}']
        return [f"+CMGR: 0,,{self.pdu_length()}", self.pdu()]


@dataclass(order=True)
class _Scheduled:
    due: float
    seq: int
    report: Report = field(compare=False)


@dataclass
class ReportQueue:
    """Reports waiting for their delay to pass, earliest first."""

    _waiting: list[_Scheduled] = field(default_factory=list)
    _seq: int = 0

    def schedule(self, due: float, report: Report) -> None:
        self._seq += 1
        self._waiting.append(_Scheduled(due, self._seq, report))
        self._waiting.sort()

    def next_due(self) -> float | None:
        return self._waiting[0].due if self._waiting else None

    def pop_due(self, now: float) -> list[Report]:
        due = [s.report for s in self._waiting if s.due <= now]
        self._waiting = [s for s in self._waiting if s.due > now]
        return due

    def clear(self) -> None:
        self._waiting.clear()
