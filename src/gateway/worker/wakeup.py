"""Waking idle modem threads within 100 ms of a new message.

PostgreSQL pushes a NOTIFY on every enqueue (sent on commit); elsewhere a thread polls
``max(id)``, a primary-key lookup, every few tens of milliseconds.
"""

from __future__ import annotations

import logging
import threading

import sqlalchemy as sa

from gateway.outbox import NOTIFY_CHANNEL, Outbox
from gateway.outbox.schema import outbox_table

log = logging.getLogger("gateway.worker")


class Wakeup:
    """A generation counter that idle threads wait on; no wake-up is lost between checks."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._generation = 0
        self._closed = False

    @property
    def generation(self) -> int:
        with self._cond:
            return self._generation

    @property
    def closed(self) -> bool:
        return self._closed

    def notify(self) -> None:
        with self._cond:
            self._generation += 1
            self._cond.notify_all()

    def close(self) -> None:
        """Wake every waiter now and from now on (the worker is stopping)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def wait(self, seen: int, timeout: float) -> bool:
        """Wait until the generation moves past ``seen``, :meth:`close`, or ``timeout`` seconds.

        :return: True when woken, False on timeout.
        """
        with self._cond:
            return self._cond.wait_for(
                lambda: self._closed or self._generation != seen, timeout=max(timeout, 0.0)
            )


class Poller(threading.Thread):
    """Notify ``wakeup`` whenever the outbox's highest id grows (new message, any process)."""

    def __init__(self, outbox: Outbox, wakeup: Wakeup, interval: float = 0.02) -> None:
        super().__init__(name="outbox poller", daemon=True)
        self._outbox = outbox
        self._wakeup = wakeup
        self._interval = interval

    def run(self) -> None:
        last: int | None = None
        query = sa.select(sa.func.max(outbox_table.c.id))
        stopped = threading.Event()
        while not self._wakeup.closed:
            try:
                with self._outbox.engine.connect() as conn:
                    while not self._wakeup.closed:
                        top = conn.execute(query).scalar()
                        conn.rollback()  # end the read so the next one sees new commits
                        if top != last:
                            last = top
                            self._wakeup.notify()
                        stopped.wait(self._interval)
            except sa.exc.DBAPIError as exc:
                log.warning("outbox poll failed (%s); retrying", type(exc.orig).__name__)
                stopped.wait(1.0)


class Listener(threading.Thread):
    """LISTEN on the outbox channel of a PostgreSQL database (psycopg 3) and notify ``wakeup``."""

    def __init__(self, outbox: Outbox, wakeup: Wakeup, timeout: float = 0.25) -> None:
        super().__init__(name="outbox listener", daemon=True)
        url = outbox.engine.url.set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self._wakeup = wakeup
        self._timeout = timeout

    def run(self) -> None:
        import psycopg

        pause = threading.Event()
        while not self._wakeup.closed:
            try:
                with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5) as conn:
                    row = conn.execute("SELECT current_schema()").fetchone()
                    schema = row[0] if row else None
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self._wakeup.notify()  # messages may have come while we were not listening
                    while not self._wakeup.closed:
                        for notice in conn.notifies(timeout=self._timeout):
                            if notice.payload in (schema, ""):  # not another schema's outbox
                                self._wakeup.notify()
            except psycopg.Error as exc:
                log.warning("outbox LISTEN connection lost (%s); reconnecting", type(exc).__name__)
                pause.wait(1.0)


def start_wakeup_source(outbox: Outbox, wakeup: Wakeup) -> threading.Thread:
    """Start the fastest wake-up source the database offers: LISTEN/NOTIFY or polling."""
    url = outbox.engine.url
    source: threading.Thread
    if url.get_backend_name() == "postgresql" and url.get_driver_name() == "psycopg":
        source = Listener(outbox, wakeup)
    else:
        source = Poller(outbox, wakeup)
    source.start()
    return source
