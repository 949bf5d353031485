"""What the worker benchmarks share: databases, a worker process, waiting for the queue."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from gateway.fake import FakeModem, Faults
from gateway.message import DeliveryState
from gateway.outbox import ModemReport, Outbox, OutboxKeys, new_key_text
from gateway.outbox.schema import outbox_table

POSTGRES_URL = os.environ.get(
    "T2M2FA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
NUMBER = "+32470123456"


def text(i: int) -> str:
    return f"Your code is {i % 10_000:04d}. It expires in 5 minutes. Do not share it."


@contextmanager
def loopback_modems(workdir: Path, count: int, send_delay: float) -> Iterator[list[str]]:
    """Start ``count`` loopback modems; yield their devices."""
    fakes = [
        FakeModem(workdir / "fakes", Faults(send_delay=send_delay), name=f"fake{n}")
        for n in range(count)
    ]
    try:
        yield [fake.start() for fake in fakes]
    finally:
        for fake in fakes:
            fake.stop()


@contextmanager
def databases(workdir: Path, which: str) -> Iterator[list[tuple[str, str]]]:
    """``(label, url)`` for SQLite and/or a private PostgreSQL schema (dropped afterwards)."""
    found: list[tuple[str, str]] = []
    if which in ("sqlite", "both"):
        found.append(("sqlite", f"sqlite:///{workdir / 'outbox.sqlite3'}"))
    admin = None
    schema = f"bench_{secrets.token_hex(4)}"
    if which in ("postgres", "both"):
        try:
            admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
            found.append(("postgres", f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"))
        except sa.exc.OperationalError:
            print("PostgreSQL unreachable: skipped", file=sys.stderr)
            admin = None
    try:
        yield found
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def outbox_keys(workdir: Path) -> OutboxKeys:
    """The outbox key of this run, in ``workdir/outbox.key``: the bench's outbox seals with
    it, the worker process opens with it (``--key-file``), as a web app and its gateway do."""
    path = workdir / "outbox.key"
    if not path.exists():
        path.write_text(new_key_text() + "\n")
        path.chmod(0o600)
    return OutboxKeys.from_file(path)


def open_outbox(url: str, workdir: Path) -> Outbox:
    """The run's outbox at ``url``, with its tables, sealed with :func:`outbox_keys`."""
    outbox = Outbox(url, keys=outbox_keys(workdir))
    outbox.create_schema()
    return outbox


def start_worker(url: str, workdir: Path, devices: list[str]) -> subprocess.Popen[bytes]:
    """``t2m2fa-gateway run --modem DEV...`` in its own process, as an operator runs it.

    The loopback modems live in the benchmark's process, as a real modem lives outside the
    worker: their threads do not compete with the worker's for its interpreter lock.
    """
    outbox_keys(workdir)  # the key file the worker reads
    args = ["run", "--database", url, "--key-file", str(workdir / "outbox.key")]
    args += ["--log-level", "WARNING"]
    args += ["--cap-per-minute", "0", "--cap-per-day", "0", "--cap-recipients-per-day", "0"]
    for device in devices:
        args += ["--modem", device]
    with (workdir / "worker.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-c", "from gateway.cli import main; main()", *args],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    worker.terminate()
    worker.wait(60)


def check_alive(worker: subprocess.Popen[bytes], workdir: Path) -> None:
    """Fail at once, with the worker's last log line, if the worker process has exited."""
    if worker.poll() is not None:
        lines = (workdir / "worker.log").read_text(errors="replace").strip().splitlines()
        last = lines[-1] if lines else "(no log)"
        raise RuntimeError(f"the worker exited with status {worker.returncode}: {last}")


def wait_ready(
    outbox: Outbox, modems: int, worker: subprocess.Popen[bytes], workdir: Path, timeout: float = 60
) -> None:
    """Until the worker reports every modem open and idle."""
    deadline = time.monotonic() + timeout
    while sum(r.state == "ready" for r in _reports(outbox)) < modems:
        check_alive(worker, workdir)
        if time.monotonic() > deadline:
            raise TimeoutError("the worker's modems did not come up")
        time.sleep(0.05)


def _reports(outbox: Outbox) -> list[ModemReport]:
    try:
        return list(outbox.modem_reports())
    except sa.exc.OperationalError:
        return []


def wait_sent(
    outbox: Outbox, count: int, timeout: float, worker: subprocess.Popen[bytes], workdir: Path
) -> None:
    """Until ``count`` messages are sent; a light query, so as not to slow the worker."""
    query = sa.select(sa.func.count()).where(outbox_table.c.state == DeliveryState.SENT.value)
    deadline = time.monotonic() + timeout
    while True:
        with outbox.engine.connect() as conn:
            if conn.execute(query).scalar_one() >= count:
                return
        check_alive(worker, workdir)
        if time.monotonic() > deadline:
            raise TimeoutError(f"fewer than {count} messages sent in {timeout} s")
        time.sleep(0.25)


def sent_times(outbox: Outbox) -> list[datetime]:
    with outbox.engine.connect() as conn:
        query = sa.select(outbox_table.c.sent_at).where(outbox_table.c.sent_at.is_not(None))
        return sorted(conn.execute(query.order_by(outbox_table.c.sent_at)).scalars())


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]
