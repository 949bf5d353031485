"""Fault tests: the worker and our modem driver against loopback modems on real ptys.

Each asserts that no message is lost, and that a message goes out at most twice where a crash
makes a duplicate unavoidable (and exactly once elsewhere).
"""

from __future__ import annotations

import functools
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from doubles import OUTBOX_KEYS
from doubles import eventually as _eventually
from gateway.fake import FakeModem, Faults, Inbox
from gateway.message import DeliveryState
from gateway.modem import Modem, ModemSettings
from gateway.outbox import Outbox, RetryPolicy, utc_now
from gateway.worker import (
    CoolDownPolicy,
    ModemSpec,
    Sender,
    SimCaps,
    SlotConfig,
    Worker,
    WorkerConfig,
)

#: Worker start-up on a busy 2-core machine: wait longer than the default.
eventually = functools.partial(_eventually, timeout=20.0, interval=0.02)

SETTINGS = ModemSettings(
    command_timeout=1.0,
    registration_timeout=2.0,
    send_timeout=2.0,
    sim_ready_timeout=1.0,
    poll_interval=0.05,
)
NO_CAPS = SimCaps(per_minute=None, per_day=None, recipients_per_day=None)
FAST = CoolDownPolicy(reopen_base=timedelta(seconds=0.05), reopen_max=timedelta(seconds=0.3))


class Bench:
    """Loopback modems sharing one inbox, and the outbox they serve."""

    def __init__(self, tmp_path: Path, db_url: str) -> None:
        self.state = tmp_path / "fakes"
        self.inbox = Inbox(self.state)
        self.fakes: list[FakeModem] = []
        self.outbox = Outbox(
            db_url,
            keys=OUTBOX_KEYS,
            policy=RetryPolicy(max_attempts=5, base_delay=timedelta(seconds=0.2)),
        )
        self.outbox.create_schema()

    def fake(self, send_delay: float = 0.0) -> FakeModem:
        name = f"fake{len(self.fakes) + 1}"
        fake = FakeModem(self.state, Faults(send_delay=send_delay), name=name)
        fake.start()
        self.fakes.append(fake)
        return fake

    def spec(self, fake: FakeModem) -> ModemSpec:
        def factory() -> Sender:
            return Modem(fake.device, settings=SETTINGS)  # a replugged fake has a new device

        return ModemSpec(fake.name or fake.device, factory)

    def worker(self, *fakes: FakeModem) -> Worker:
        slot = SlotConfig(lease=timedelta(seconds=10), idle_poll=0.2, caps=NO_CAPS, cooldown=FAST)
        config = WorkerConfig(slot=slot, housekeeping_interval=0.2)
        return Worker(self.outbox, [self.spec(f) for f in fakes], config=config)

    def enqueue(self, text: str, lifetime: float = 300) -> int:
        expires = utc_now() + timedelta(seconds=lifetime)
        return self.outbox.enqueue("+32470123467", text, expires_at=expires)

    def copies(self) -> Counter[str]:
        return Counter(m.text for m in self.inbox.messages())

    def state_of(self, msg_id: int) -> DeliveryState:
        return self.outbox.status(msg_id).state

    def close(self) -> None:
        for fake in self.fakes:
            fake.stop()
        self.inbox.close()
        self.outbox.engine.dispose()


@pytest.fixture
def bench(tmp_path: Path, db_url: str) -> Iterator[Bench]:
    b = Bench(tmp_path, db_url)
    yield b
    b.close()


def submits(fake: FakeModem) -> int:
    return sum(1 for c in fake.commands if c.upper().startswith("AT+CMGS="))


def test_modem_unplugged_mid_send_is_reopened_and_the_message_sent(bench: Bench) -> None:
    fake = bench.fake(send_delay=0.5)
    msg_id = bench.enqueue("unplug")
    with bench.worker(fake):
        eventually(lambda: submits(fake) == 1)
        fake.unplug()
        time.sleep(0.3)  # the cable stays out a moment
        fake.faults.send_delay = 0.0
        fake.start()
        eventually(lambda: bench.state_of(msg_id) is DeliveryState.SENT)
    assert 1 <= bench.copies()["unplug"] <= 2
    assert bench.outbox.status(msg_id).attempts == 2


def test_unplugged_modem_fails_over_to_another(bench: Bench) -> None:
    first, second = bench.fake(send_delay=0.5), bench.fake(send_delay=0.5)
    msg_id = bench.enqueue("failover")
    with bench.worker(first, second):
        eventually(lambda: submits(first) + submits(second) == 1)
        (first if submits(first) else second).unplug()
        eventually(lambda: bench.state_of(msg_id) is DeliveryState.SENT)
    assert 1 <= bench.copies()["failover"] <= 2


def test_temporary_cms_error_then_success(bench: Bench) -> None:
    fake = bench.fake()
    fake.faults.fail_next(42)  # congestion
    msg_id = bench.enqueue("congested")
    with bench.worker(fake):
        eventually(lambda: bench.state_of(msg_id) is DeliveryState.SENT)
    status = bench.outbox.status(msg_id)
    assert (status.attempts, status.reason) == (2, "the modem refused the message (+CMS ERROR: 42)")
    assert bench.copies()["congested"] == 1


def test_permanent_error_fails_and_the_modem_carries_on(bench: Bench) -> None:
    fake = bench.fake()
    fake.faults.fail_next(1)  # unassigned number
    refused = bench.enqueue("refused")
    with bench.worker(fake):
        eventually(lambda: bench.state_of(refused) is DeliveryState.FAILED)
        fine = bench.enqueue("fine")
        eventually(lambda: bench.state_of(fine) is DeliveryState.SENT)
    status = bench.outbox.status(refused)
    assert (status.permanent, status.attempts) == (True, 1)
    assert bench.copies() == Counter({"fine": 1})


def test_modem_that_stops_answering(bench: Bench) -> None:
    silent, spare = bench.fake(send_delay=0.3), bench.fake()
    spare.faults.mute = True  # the spare answers only once the first one has gone quiet
    lost = bench.enqueue("in flight")
    with bench.worker(silent, spare) as worker:
        eventually(lambda: submits(silent) == 1)
        silent.faults.mute = True  # the network takes it, the modem never says so
        spare.faults.mute = False
        eventually(lambda: bench.state_of(lost) is DeliveryState.UNKNOWN)
        after = bench.enqueue("after")
        eventually(lambda: bench.state_of(after) is DeliveryState.SENT)
        eventually(lambda: worker.slots[0].report.state == "opening")
    assert bench.outbox.status(after).modem == "fake2"
    assert bench.copies() == Counter({"in flight": 1, "after": 1})  # unknown: never resent


def test_expired_message_never_reaches_the_modem(bench: Bench) -> None:
    fake = bench.fake(send_delay=1.0)
    busy = bench.enqueue("slow")
    short = bench.enqueue("short-lived", lifetime=0.5)
    with bench.worker(fake):
        eventually(lambda: bench.state_of(busy) is DeliveryState.SENT)
        eventually(lambda: bench.state_of(short) is DeliveryState.EXPIRED)
    assert bench.copies() == Counter({"slow": 1})


def _gateway_run(db_url: str, device: str, log: Path) -> subprocess.Popen[bytes]:
    args = ["run", "--database", db_url, "--modem", device, "--send-timeout", "3"]
    args += ["--cap-per-minute", "0", "--cap-per-day", "0", "--cap-recipients-per-day", "0"]
    code = "from gateway.cli import main; main()"
    with log.open("ab") as out:  # a file, not a pipe nobody reads while the worker logs
        return subprocess.Popen(
            [sys.executable, "-c", code, *args], stdout=subprocess.DEVNULL, stderr=out
        )


def test_worker_killed_mid_send_and_a_new_one_started(
    bench: Bench, db_url: str, tmp_path: Path
) -> None:
    fake = bench.fake(send_delay=1.0)
    msg_id = bench.enqueue("crash")
    log = tmp_path / "workers.log"
    first = _gateway_run(db_url, fake.device, log)
    try:
        eventually(lambda: submits(fake) == 1, timeout=30)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        first.kill()
        first.wait(10)
    assert bench.state_of(msg_id) is DeliveryState.SENDING
    second = _gateway_run(db_url, fake.device, log)
    try:
        eventually(lambda: bench.state_of(msg_id) is DeliveryState.SENT, timeout=30)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(30)
    assert second.returncode == 0, log.read_text()[-2000:]
    assert 1 <= bench.copies()["crash"] <= 2


def test_sqlite_write_lock_held_by_another_process(tmp_path: Path, sqlite_url: str) -> None:
    bench = Bench(tmp_path, sqlite_url)
    try:
        fake = bench.fake(send_delay=0.2)
        texts = [f"locked {i}" for i in range(4)]
        ids = [bench.enqueue(t) for t in texts]
        with bench.worker(fake):
            eventually(lambda: submits(fake) == 1)
            holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), timeout=10)
            holder.execute("BEGIN EXCLUSIVE")  # e.g. a long migration in the web app
            time.sleep(1.0)
            holder.rollback()
            holder.close()
            eventually(lambda: all(bench.state_of(i) is DeliveryState.SENT for i in ids))
        assert bench.copies() == Counter({t: 1 for t in texts})
    finally:
        bench.close()
