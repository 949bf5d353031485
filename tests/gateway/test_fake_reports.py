"""The loopback modem's status reports: delay, outcome, text and PDU mode, +CDS and +CDSI."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.fake import Faults
from gateway.fake.at import AtEngine
from gateway.status_report import ReportLines

NOW = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)
# SMS-SUBMIT with TP-SRR to +447700900123, "Hello World!" (as in test_fake_engine).
PDU = "0021000C91447700091032000011D9775D0E1ABFC965507A0EA2E16431"


class Harness:
    def __init__(self, **faults: object) -> None:
        self.time = 0.0
        self.out = bytearray()
        self.engine = AtEngine(
            Faults(status_reports=True, **faults),  # type: ignore[arg-type]
            self.out.extend,
            lambda sub, ref: None,
            clock=lambda: self.time,
            now=lambda: NOW,
        )
        self.at("ATE0")

    def at(self, line: str) -> str:
        self.out.clear()
        self.engine.feed(line.encode() + b"\r")
        return self.out.decode()

    def send(self, *, text_mode: bool, fo: int = 49) -> str:
        """Send one message; in text mode ``fo`` is AT+CSMP's first octet (0x20: SRR)."""
        if text_mode:
            self.at(f'AT+CMGF=1;+CSMP={fo},167,0,0;+CMGS="+447700900123"')
            self.out.clear()
            self.engine.feed(b"Hello World!\x1a")
        else:
            self.at("AT+CMGF=0;+CMGS=28")
            self.out.clear()
            self.engine.feed(PDU.encode() + b"\x1a")
        return self.out.decode()

    def advance(self, seconds: float) -> str:
        self.out.clear()
        self.time += seconds
        self.engine.tick()
        return self.out.decode()


def read(lines_text: str) -> ReportLines:
    lines = ReportLines()
    for line in lines_text.split("\r\n"):
        if line:
            lines.feed(line)
    return lines


def test_report_comes_after_its_delay_with_its_status_in_pdu_mode() -> None:
    modem = Harness(report_delay=30.0, report_status=0x46)
    modem.at("AT+CNMI=2,0,0,1,0")
    assert modem.send(text_mode=False) == "\r\n+CMGS: 1\r\n\r\nOK\r\n"
    assert modem.engine.next_deadline() == 30.0
    assert modem.advance(29.0) == ""
    (report,) = read(modem.advance(1.0)).reports
    assert (report.reference, report.recipient, report.status) == (1, "+447700900123", 0x46)
    assert report.discharged_at is not None and report.submitted_at is not None
    assert (report.discharged_at - report.submitted_at).total_seconds() == 30


def test_text_mode_report_follows_csmp_srr() -> None:
    modem = Harness()
    modem.at("AT+CNMI=2,0,0,1,0")
    answer = modem.send(text_mode=True)
    assert '+CDS: 6,1,"+447700900123",145,"26/11/28,18:00:00+00"' in answer
    (report,) = read(answer).reports
    assert (report.reference, report.status) == (1, 0)
    assert "+CDS" not in modem.send(text_mode=True, fo=17)  # no SRR bit (0x20): no report


def test_stored_report_is_announced_then_read_in_either_mode() -> None:
    modem = Harness(report_delay=1.0, report_status=0x62)
    modem.at("AT+CNMI=2,0,0,2,0")
    modem.send(text_mode=True)
    lines = read(modem.advance(1.0))
    assert list(lines.stored) == [("SR", 1)]
    modem.at('AT+CPMS="SR"')
    for mode in ("1", "0"):
        answer = modem.at(f"AT+CMGF={mode};+CMGR=1").split("\r\n")
        lines.add_stored([line for line in answer if line and line != "OK"])
    assert [(r.reference, r.status) for r in lines.reports] == [(1, 0x62)] * 2


def test_a_modem_that_only_stores_reports_refuses_ds_1() -> None:
    modem = Harness(report_routes=(0, 2))
    modem.at("AT+CMEE=1")
    assert modem.at("AT+CNMI=2,0,0,1,0") == "\r\n+CMS ERROR: 303\r\n"
    assert modem.at("AT+CNMI=2,0,0,2,0") == "\r\nOK\r\n"


def test_reports_wait_while_the_prompt_is_open() -> None:
    modem = Harness(report_delay=1.0)
    modem.at("AT+CNMI=2,0,0,1,0")
    modem.send(text_mode=False)
    modem.at("AT+CMGS=28")
    assert modem.advance(5.0) == ""  # the TE is typing a PDU
    modem.engine.feed(b"\x1b")  # it gives up
    assert "+CDS: 25" in modem.advance(0.0)
