"""A modem that stops until someone replugs it: ``--on-stuck`` runs once per window, and
``--on-alert`` pages for the conditions an operator must hear of."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from doubles import OUTBOX_KEYS
from doubles import eventually as _eventually
from gateway.fake import FakeModem, Faults
from gateway.message import DeliveryState
from gateway.metrics import GatewayMetrics
from gateway.modem import Modem, ModemSettings
from gateway.outbox import Outbox, utc_now
from gateway.worker import (
    CoolDownPolicy,
    ModemSpec,
    Sender,
    SimCaps,
    SlotConfig,
    Worker,
    WorkerConfig,
)
from gateway.worker.hooks import Hooks
from gateway.worker.stuck import StuckPolicy

eventually = functools.partial(_eventually, timeout=20.0, interval=0.02)

SETTINGS = ModemSettings(
    command_timeout=0.5,
    registration_timeout=1.0,
    send_timeout=1.0,
    sim_ready_timeout=0.5,
    poll_interval=0.05,
    autobaud_attempts=2,
    autobaud_wait=0.1,
)
NO_CAPS = SimCaps(per_minute=None, per_day=None, recipients_per_day=None)
FAST_REOPEN = CoolDownPolicy(reopen_base=timedelta(seconds=0.05), reopen_max=timedelta(seconds=0.1))
WINDOW = timedelta(minutes=10)


class Clock:
    """The outbox's clock, moved by the test (the hook window is counted on it)."""

    def __init__(self) -> None:
        self.now = utc_now()

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeModem]:
    with FakeModem(tmp_path / "fake", Faults(mute=True), name="fake1") as modem:
        yield modem


def start_worker(
    fake: FakeModem,
    outbox: Outbox,
    hooks: Hooks,
    stuck: StuckPolicy | None = None,
    housekeeping: float = 10.0,
) -> tuple[Worker, GatewayMetrics]:
    def factory() -> Sender:
        return Modem(fake.device, settings=SETTINGS)

    slot = SlotConfig(
        idle_poll=0.05, caps=NO_CAPS, cooldown=FAST_REOPEN, stuck=stuck or StuckPolicy()
    )
    config = WorkerConfig(slot=slot, hooks=hooks, housekeeping_interval=housekeeping)
    metrics = GatewayMetrics(outbox)
    spec = ModemSpec("fake1", factory, fake.device)
    return Worker(outbox, [spec], config=config, observer=metrics), metrics


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_a_stuck_modem_runs_the_hook_once_per_window_then_resumes(
    fake: FakeModem, tmp_path: Path
) -> None:
    clock = Clock()
    outbox = Outbox(f"sqlite:///{tmp_path / 'outbox.db'}", keys=OUTBOX_KEYS, clock=clock)
    outbox.create_schema()
    stuck_log, alert_log = tmp_path / "stuck.log", tmp_path / "alert.log"
    hooks = Hooks(
        on_stuck=f'echo "$T2M2FA_MODEM $T2M2FA_MODEM_PORT $T2M2FA_STUCK_REASON" >> {stuck_log}',
        on_alert=f'echo "$T2M2FA_ALERT $T2M2FA_MODEM" >> {alert_log}',
        window=WINDOW,
    )
    policy = StuckPolicy(after_failures=3, window=WINDOW)
    worker, metrics = start_worker(fake, outbox, hooks, stuck=policy)
    with worker:
        eventually(lambda: len(lines(stuck_log)) == 1)
        assert lines(stuck_log)[0].startswith(f"fake1 {fake.device} ")
        assert "failed reopen attempts in a row" in lines(stuck_log)[0]
        failures = worker.slots[0].watch.stuck.open_failures
        eventually(lambda: worker.slots[0].watch.stuck.open_failures >= failures + 5)
        assert len(lines(stuck_log)) == 1  # still failing, but the window has not passed
        clock.now += WINDOW
        eventually(lambda: len(lines(stuck_log)) == 2)
        eventually(lambda: lines(alert_log) == ["modem_stuck fake1", "modem_stuck fake1"])
        assert (
            metrics.registry.get_sample_value("gateway_modem_stuck_total", {"modem": "fake1"}) == 2
        )
        fake.faults.mute = False  # the power cycle worked
        msg_id = outbox.enqueue("+32470123467", "code 1", expires_at=None)
        eventually(lambda: outbox.status(msg_id).state is DeliveryState.SENT)
    assert len(lines(stuck_log)) == 2
    outbox.engine.dispose()


def test_messages_waiting_without_a_send_make_a_modem_stuck(
    fake: FakeModem, tmp_path: Path
) -> None:
    fake.faults.mute = False
    clock = Clock()
    outbox = Outbox(f"sqlite:///{tmp_path / 'outbox.db'}", keys=OUTBOX_KEYS, clock=clock)
    outbox.create_schema()
    stuck_log = tmp_path / "stuck.log"
    hooks = Hooks(on_stuck=f'echo "$T2M2FA_STUCK_REASON" >> {stuck_log}', window=WINDOW)
    policy = StuckPolicy(no_send_for=timedelta(minutes=5), window=WINDOW)
    worker, _ = start_worker(fake, outbox, hooks, stuck=policy)
    with worker:
        eventually(lambda: worker.slots[0].report.state == "ready")
        fake.faults.fail_next(500, times=1000)  # every send refused, temporarily
        outbox.enqueue("+32470123467", "code 1", expires_at=None)
        eventually(lambda: worker.slots[0].watch.stuck.waiting_since is not None)
        time.sleep(0.2)
        assert lines(stuck_log) == []
        clock.now += timedelta(minutes=6)
        eventually(lambda: len(lines(stuck_log)) == 1)
    assert "no successful send for 6 min while messages wait" in lines(stuck_log)[0]
    outbox.engine.dispose()


def test_a_locked_sim_and_a_stale_queue_page_someone(tmp_path: Path) -> None:
    alert_log = tmp_path / "alert.log"
    clock = Clock()
    outbox = Outbox(f"sqlite:///{tmp_path / 'outbox.db'}", keys=OUTBOX_KEYS, clock=clock)
    outbox.create_schema()
    hooks = Hooks(on_alert=f'echo "$T2M2FA_ALERT $T2M2FA_MODEM" >> {alert_log}', window=WINDOW)
    with FakeModem(tmp_path / "fake", Faults(pin="1234"), name="fake1") as fake:
        worker, metrics = start_worker(fake, outbox, hooks, housekeeping=0.05)
        outbox.enqueue("+32470123467", "code 1", expires_at=None)
        clock.now += timedelta(minutes=6)  # the code waited longer than it lives
        with worker:
            eventually(lambda: sorted(lines(alert_log)) == ["queue_stale ", "sim_locked fake1"])
        for condition in ("queue_stale", "sim_locked"):
            labels = {"condition": condition}
            assert metrics.registry.get_sample_value("gateway_alerts_total", labels) == 1
    outbox.engine.dispose()
