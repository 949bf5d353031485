"""Status reports in the outbox: pairing by modem, TP-MR and recipient within the window."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from doubles import OUTBOX_KEYS, FakeClock
from gateway.message import DeliveryReport, DeliveryState
from gateway.outbox import Outbox
from gateway.outbox.schema import outbox_table
from gateway.status_report import StatusReport

NUMBER = "+32470123456"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def outbox(db_url: str, clock: FakeClock) -> Iterator[Outbox]:
    box = Outbox(db_url, clock=clock, keys=OUTBOX_KEYS)
    box.create_schema()
    yield box
    box.engine.dispose()


def sent(outbox: Outbox, reference: int, modem: str = "m1", to: str = NUMBER) -> int:
    """Enqueue, claim and mark one message sent with a report requested."""
    msg_id = outbox.enqueue(to, "code 1234", expires_at=None)
    assert [c.id for c in outbox.claim("w", modem)] == [msg_id]
    outbox.mark_sent(msg_id, reference, modem, report_for=to)
    return msg_id


def report(reference: int, status: int = 0, to: str = NUMBER) -> StatusReport:
    return StatusReport(reference, to, status, None, None)


def test_delivered_report_marks_the_message(outbox: Outbox) -> None:
    msg_id = sent(outbox, 17)
    assert outbox.status(msg_id).delivery_report is DeliveryReport.AWAITING
    assert outbox.record_report("m1", report(17)) == msg_id
    status = outbox.status(msg_id)
    assert (status.state, status.delivery_report) == (DeliveryState.SENT, DeliveryReport.DELIVERED)
    assert status.delivery_reason is None and not status.not_delivered


def test_not_delivered_keeps_the_reason_and_a_temporary_error_waits(outbox: Outbox) -> None:
    msg_id = sent(outbox, 3)
    assert outbox.record_report("m1", report(3, status=0x21)) == msg_id  # phone busy, still trying
    status = outbox.status(msg_id)
    assert status.delivery_report is DeliveryReport.AWAITING
    assert status.delivery_reason == "phone busy (still trying)"
    assert outbox.record_report("m1", report(3, status=0x46)) == msg_id
    status = outbox.status(msg_id)
    assert status.not_delivered and status.delivery_reason == "validity period expired"


def test_a_national_form_of_the_number_still_matches(outbox: Outbox) -> None:
    msg_id = sent(outbox, 9)
    assert outbox.record_report("m1", report(9, to="0470123456")) == msg_id


def test_references_wrap_and_repeat_across_modems(outbox: Outbox, clock: FakeClock) -> None:
    old = sent(outbox, 255)
    clock.advance(minutes=1)
    other_modem = sent(outbox, 255, modem="m2")
    wrapped = sent(outbox, 0)  # the next reference after 255
    clock.advance(minutes=1)
    newest = sent(outbox, 255)  # 256 sends later, the reference comes round again
    assert outbox.record_report("m1", report(0)) == wrapped
    assert outbox.record_report("m1", report(255)) == newest  # newest unpaired send
    assert outbox.record_report("m1", report(255)) == old  # then the older one
    assert outbox.record_report("m2", report(255)) == other_modem
    assert outbox.record_report("m1", report(255)) is None  # all paired


def test_unknown_or_late_reports_are_logged_and_ignored(
    outbox: Outbox, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    msg_id = sent(outbox, 5)
    caplog.set_level(logging.WARNING, "gateway.outbox")
    assert outbox.record_report("m1", report(6)) is None  # unknown reference
    assert outbox.record_report("m1", report(5, to="+32470999999")) is None  # other recipient
    assert outbox.record_report("m2", report(5)) is None  # other modem
    clock.advance(hours=2)
    assert outbox.record_report("m1", report(5)) is None  # outside the window
    assert outbox.status(msg_id).delivery_report is DeliveryReport.AWAITING
    assert caplog.text.count("ignored a status report for an unknown message") == 4
    assert "470123456" not in caplog.text and "470999999" not in caplog.text


def test_no_report_within_the_window(outbox: Outbox, clock: FakeClock) -> None:
    msg_id = sent(outbox, 5)
    delivered = sent(outbox, 6)
    outbox.record_report("m1", report(6))
    assert outbox.close_unreported(timedelta(minutes=30)) == 0
    clock.advance(minutes=31)
    assert outbox.close_unreported(timedelta(minutes=30)) == 1
    assert outbox.status(msg_id).delivery_report is DeliveryReport.NO_REPORT
    assert outbox.status(delivered).delivery_report is DeliveryReport.DELIVERED


def test_no_report_requested_and_purge(outbox: Outbox, clock: FakeClock) -> None:
    plain = outbox.enqueue(NUMBER, "notice", expires_at=None, kind="notice")
    outbox.claim("w", "m1")
    outbox.mark_sent(plain, 8, "m1")
    assert outbox.status(plain).delivery_report is None
    reported = sent(outbox, 9)
    clock.advance(days=8)
    assert outbox.purge() == 2
    with outbox.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(outbox_table)).scalar() == 0
        left = conn.execute(sa.text("SELECT count(*) FROM t2m2fa_outbox_reports")).scalar()
    assert left == 0 and reported


def test_create_schema_adds_the_report_table_to_an_existing_outbox(
    outbox: Outbox, clock: FakeClock
) -> None:
    with outbox.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE t2m2fa_outbox_reports"))
    outbox.create_schema()  # what `t2m2fa-gateway run` does at every start
    assert outbox.record_report("m1", report(1)) is None
    assert outbox.status(sent(outbox, 1)).delivery_report is DeliveryReport.AWAITING
