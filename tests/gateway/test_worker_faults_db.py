"""Fault tests on the database servers (PostgreSQL, MariaDB): connections killed under the
worker; two workers, three modems."""

from __future__ import annotations

import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from doubles import OUTBOX_KEYS, eventually
from gateway.fake import FakeModem, Faults, Inbox
from gateway.modem import Modem, ModemSettings
from gateway.outbox import Outbox, RetryPolicy
from gateway.outbox.schema import outbox_table
from gateway.worker import ModemSpec, Sender, SimCaps, SlotConfig, Worker, WorkerConfig

#: The servers these tests run on (each skips without its server).
SERVERS = pytest.mark.parametrize("server", ["postgres", "mariadb"])

SETTINGS = ModemSettings(command_timeout=1.0, registration_timeout=2.0, send_timeout=2.0)
NO_CAPS = SimCaps(per_minute=None, per_day=None, recipients_per_day=None)


def terminate_backends(admin: sa.Engine, application_name: str) -> int:
    """Kill the worker's connections: on PostgreSQL those of its application name, on MariaDB
    every other connection to the test's private database."""
    with admin.connect() as conn:
        if admin.dialect.name == "postgresql":
            query = (
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :n"
            )
            return len(conn.execute(sa.text(query), {"n": application_name}).all())
        query = (
            "SELECT id FROM information_schema.processlist"
            " WHERE db = DATABASE() AND id <> CONNECTION_ID()"
        )
        killed = 0
        for thread in conn.execute(sa.text(query)).scalars().all():
            try:
                conn.exec_driver_sql(f"KILL CONNECTION {int(thread)}")
                killed += 1
            except sa.exc.DBAPIError:  # it ended on its own meanwhile
                pass
        return killed


def _worker_url(url: str, application_name: str) -> str:
    if sa.make_url(url).get_backend_name() == "postgresql":
        return f"{url}&application_name={application_name}"
    return url


def states(outbox: Outbox) -> Counter[str]:
    with outbox.engine.connect() as conn:
        rows = conn.execute(sa.select(outbox_table.c.state)).scalars().all()
    return Counter(rows)


@SERVERS
def test_database_connections_killed_and_restored(
    tmp_path: Path, request: pytest.FixtureRequest, server: str
) -> None:
    url = request.getfixturevalue(f"{server}_url")
    app = f"t2m2fa-worker-{secrets.token_hex(4)}"
    web = Outbox(url, keys=OUTBOX_KEYS)
    web.create_schema()
    fake = FakeModem(tmp_path / "fake", Faults(send_delay=0.02), name="fake1")
    fake.start()
    outbox = Outbox(_worker_url(url, app), keys=OUTBOX_KEYS, policy=RetryPolicy())
    admin = sa.create_engine(url)

    def factory() -> Sender:
        return Modem(fake.device, settings=SETTINGS)

    slot = SlotConfig(lease=timedelta(seconds=3), idle_poll=0.2, caps=NO_CAPS)
    worker = Worker(outbox, [ModemSpec("fake1", factory)], config=WorkerConfig(slot=slot))
    ids = [web.enqueue("+32470123467", f"m{i}", expires_at=None) for i in range(40)]
    killed = 0
    try:
        with worker:
            for _ in range(4):  # four outages of half a second each, while messages flow
                outage_end = time.monotonic() + 0.5
                while time.monotonic() < outage_end:
                    killed += terminate_backends(admin, app)
                    time.sleep(0.02)
                time.sleep(0.5)
            eventually(lambda: states(web) == Counter({"sent": 40}), timeout=60)
        copies = Counter(m.text for m in Inbox(tmp_path / "fake").messages())
    finally:
        fake.stop()
        for engine in (web.engine, outbox.engine, admin):
            engine.dispose()
    assert killed >= 4
    assert copies == Counter({f"m{i}": 1 for i in range(len(ids))})  # each exactly once


def _run_worker(url: str, devices: list[str], log: Path) -> subprocess.Popen[bytes]:
    args = ["run", "--database", url, "--send-timeout", "5"]
    args += ["--cap-per-minute", "0", "--cap-per-day", "0", "--cap-recipients-per-day", "0"]
    for device in devices:
        args += ["--modem", device]
    with log.open("wb") as out:  # a file, not a pipe nobody reads while the worker logs
        return subprocess.Popen(
            [sys.executable, "-c", "from gateway.cli import main; main()", *args],
            stdout=subprocess.DEVNULL,
            stderr=out,
        )


@SERVERS
def test_two_workers_three_modems_send_2000_messages_exactly_once(
    tmp_path: Path, request: pytest.FixtureRequest, server: str
) -> None:
    url = request.getfixturevalue(f"{server}_url")
    total = 2000
    outbox = Outbox(url, keys=OUTBOX_KEYS)
    outbox.create_schema()
    state = tmp_path / "fakes"
    fakes = [FakeModem(state, name=f"fake{n}") for n in (1, 2, 3)]
    devices = [fake.start() for fake in fakes]
    logs = [tmp_path / "worker1.log", tmp_path / "worker2.log"]
    workers = [
        _run_worker(url, devices[:2], logs[0]),
        _run_worker(url, devices[2:], logs[1]),
    ]
    try:
        for batch in range(0, total, 100):  # enqueued while the workers already drain
            with outbox.engine.begin() as conn:
                for i in range(batch, batch + 100):
                    outbox.enqueue("+32470123467", f"n{i}", expires_at=None, connection=conn)
        # Poll the outbox, not the inbox: the loopback modems share this process's CPU.
        eventually(lambda: states(outbox) == Counter({"sent": total}), timeout=240)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=60)
        for fake in fakes:
            fake.stop()
    assert [w.returncode for w in workers] == [0, 0], [log.read_text()[-2000:] for log in logs]
    texts = Counter(m.text for m in Inbox(state).messages())
    assert texts == Counter({f"n{i}": 1 for i in range(total)})
    with outbox.engine.connect() as conn:
        per_modem = Counter(conn.execute(sa.select(outbox_table.c.modem)).scalars().all())
    assert len(per_modem) == 3 and min(per_modem.values()) > 100  # all three modems worked
    outbox.engine.dispose()
