"""Delivery reports end to end: the worker and our driver against loopback modems on ptys."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from doubles import OUTBOX_KEYS
from doubles import eventually as _eventually
from gateway.fake import FakeModem, Faults
from gateway.message import DeliveryReport, DeliveryState, MessageStatus
from gateway.modem import Modem, ModemSettings
from gateway.outbox import Outbox, utc_now
from gateway.outbox.schema import outbox_table
from gateway.worker import ModemSpec, Sender, SimCaps, SlotConfig, Worker, WorkerConfig
from gateway.worker.reports import ReportConfig

eventually = functools.partial(_eventually, timeout=20.0, interval=0.02)

SETTINGS = ModemSettings(
    command_timeout=1.0,
    registration_timeout=2.0,
    send_timeout=2.0,
    sim_ready_timeout=1.0,
    poll_interval=0.05,
    delivery_report=True,
)
NO_CAPS = SimCaps(per_minute=None, per_day=None, recipients_per_day=None)
NUMBER = "+32470123467"


class Bench:
    def __init__(self, tmp_path: Path, db_url: str) -> None:
        self.fake = FakeModem(tmp_path / "fake", Faults(status_reports=True), name="fake1")
        self.fake.start()
        self.outbox = Outbox(db_url, keys=OUTBOX_KEYS)
        self.outbox.create_schema()

    def worker(self, kinds: frozenset[str] = frozenset({"code"})) -> Worker:
        def factory() -> Sender:
            return Modem(self.fake.device, settings=SETTINGS)

        slot = SlotConfig(idle_poll=0.05, caps=NO_CAPS, reports=ReportConfig(kinds=kinds))
        config = WorkerConfig(slot=slot, housekeeping_interval=0.2)
        return Worker(self.outbox, [ModemSpec("fake1", factory)], config=config)

    def enqueue(self, kind: str = "code") -> int:
        expires = utc_now() + timedelta(minutes=5)
        return self.outbox.enqueue(NUMBER, f"{kind} 1234", expires_at=expires, kind=kind)

    def reported(self, msg_id: int) -> MessageStatus:
        """The status once the message's report has come (a final one)."""
        final = (DeliveryReport.DELIVERED, DeliveryReport.NOT_DELIVERED)
        eventually(lambda: self.outbox.status(msg_id).delivery_report in final)
        return self.outbox.status(msg_id)


@pytest.fixture
def bench(tmp_path: Path, db_url: str) -> Iterator[Bench]:
    b = Bench(tmp_path, db_url)
    yield b
    b.fake.stop()
    b.outbox.engine.dispose()


def test_a_delivery_report_marks_the_message_delivered(bench: Bench) -> None:
    bench.fake.faults.report_delay = 0.3
    with bench.worker():
        msg_id = bench.enqueue()
        status = bench.reported(msg_id)
    assert (status.state, status.delivery_report) == (DeliveryState.SENT, DeliveryReport.DELIVERED)
    assert status.delivery_report_at is not None and not status.not_delivered
    (message,) = bench.fake.inbox.messages()
    assert message.status_report_requested
    assert "AT+CNMI=2,1,0,1,0" in bench.fake.commands  # routed as +CDS


def test_not_delivered_with_its_reason_through_stored_reports(bench: Bench) -> None:
    bench.fake.faults.report_routes = (0, 2)  # this modem only stores reports (+CDSI)
    bench.fake.faults.report_status = 0x46
    bench.fake.faults.report_delay = 0.2
    with bench.worker():
        msg_id = bench.enqueue()
        status = bench.reported(msg_id)
    assert status.not_delivered and status.delivery_reason == "validity period expired"
    assert status.state is DeliveryState.SENT
    commands = bench.fake.commands
    assert "AT+CNMI=2,1,0,2,0" in commands and "AT+CMGD=1" in commands


def test_only_the_configured_kinds_ask_for_a_report(bench: Bench) -> None:
    with bench.worker(frozenset({"code"})):
        notice = bench.enqueue("notice")
        code = bench.enqueue("code")
        bench.reported(code)
    assert bench.outbox.status(notice).delivery_report is None
    requested = {m.text: m.status_report_requested for m in bench.fake.inbox.messages()}
    assert requested == {"notice 1234": False, "code 1234": True}


def test_reports_arriving_mid_dialogue_never_desync_the_sends(bench: Bench) -> None:
    bench.fake.faults.report_delay = 0.01  # lands in the middle of the next exchanges
    with bench.worker():
        ids = [bench.enqueue() for _ in range(15)]
        statuses = [bench.reported(i) for i in ids]
    assert all(s.delivery_report is DeliveryReport.DELIVERED for s in statuses)
    with bench.outbox.engine.connect() as conn:
        recorded = conn.execute(sa.select(outbox_table.c.reference).order_by("id")).scalars()
        assert list(recorded) == [m.reference for m in bench.fake.inbox.messages()]
