"""Decoding status reports and picking their lines out of a modem's stream."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from gsmmodem.pdu import decodeSmsPdu

from gateway.fake.reports import Report, status_report_pdu
from gateway.status_report import (
    ReportLines,
    ReportOutcome,
    decode_report_pdu,
    describe_status,
    outcome_of,
)

NOW = datetime(2026, 11, 28, 18, 0, 5, tzinfo=UTC)
LATER = NOW + timedelta(seconds=12)


def test_pdu_report_agrees_with_an_independent_decoder() -> None:
    pdu = status_report_pdu(46, "+32470123456", NOW, status=0x46, discharged=LATER)
    ours = decode_report_pdu(pdu)
    theirs = decodeSmsPdu(pdu)
    assert (ours.reference, ours.recipient, ours.status) == (
        theirs["reference"],
        theirs["number"],
        theirs["status"],
    )
    assert (ours.submitted_at, ours.discharged_at) == (NOW, LATER)
    assert ours.outcome is ReportOutcome.NOT_DELIVERED
    assert ours.reason == "validity period expired"
    assert "32470123456" not in repr(ours)


def test_pdu_report_with_an_smsc_and_a_time_zone() -> None:
    # SMSC +447785016005, MR 0x2A, national recipient 0470123456, +01:00 (4 quarters = 0x40).
    pdu = "07914477581006F0062A0A814007214365621182810005406211828110014000"
    report = decode_report_pdu(pdu)
    assert (report.reference, report.recipient, report.status) == (42, "0470123456", 0)
    zone = timezone(timedelta(hours=1))
    assert report.submitted_at == datetime(2026, 11, 28, 18, 0, 50, tzinfo=zone)


@pytest.mark.parametrize("pdu", ["", "00", "0006", "0006" + "2A0B91", "zz", "0011000B91"])
def test_short_or_foreign_pdus_are_refused_cleanly(pdu: str) -> None:
    lines = ReportLines()
    assert lines.feed("+CDS: 25") and lines.feed(pdu)
    assert not lines.reports


@pytest.mark.parametrize(
    ("status", "outcome", "reason"),
    [(0x00, ReportOutcome.DELIVERED, "received by the phone"),
     (0x01, ReportOutcome.DELIVERED, "forwarded; delivery not confirmed"),
     (0x21, ReportOutcome.PENDING, "phone busy (still trying)"),
     (0x41, ReportOutcome.NOT_DELIVERED, "incompatible destination"),
     (0x46, ReportOutcome.NOT_DELIVERED, "validity period expired"),
     (0x62, ReportOutcome.NOT_DELIVERED, "no response from the phone"),
     (0x7F, ReportOutcome.NOT_DELIVERED, "status 0x7F")],
)  # fmt: skip
def test_tp_status_meaning(status: int, outcome: ReportOutcome, reason: str) -> None:
    assert (outcome_of(status), describe_status(status)) == (outcome, reason)


def test_lines_take_pdu_and_text_reports_and_indications_only() -> None:
    report = Report(7, "+32470123456", NOW, LATER, 0x46)
    lines = ReportLines()
    pdu_header, pdu = report.cds(text_mode=False).split("\r\n")
    taken = [
        lines.feed(line)
        for line in (
            "OK",
            pdu_header,
            pdu,
            report.cds(text_mode=True),
            '+CDSI: "SR",3',
            "+CSQ: 20,99",
        )
    ]
    assert taken == [False, True, True, True, True, False]
    pdu_report, text_report = lines.reports
    assert pdu_report == text_report
    assert text_report.discharged_at == LATER
    assert list(lines.stored) == [("SR", 3)]


def test_stored_report_answers_in_both_modes() -> None:
    report = Report(255, "0470123456", NOW, LATER, 0)
    lines = ReportLines()
    lines.add_stored(report.cmgr(text_mode=False))
    lines.add_stored(report.cmgr(text_mode=True))
    assert [(r.reference, r.recipient, r.status) for r in lines.reports] == [
        (255, "0470123456", 0)
    ] * 2
