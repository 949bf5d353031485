"""Riding out a database outage: the worker retries instead of dropping what it knows."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa

log = logging.getLogger("gateway.worker")

T = TypeVar("T")

MAX_PAUSE = 5.0


class DatabaseUnavailableError(Exception):
    """The database stayed unreachable until the caller gave up."""


def retry_db(fn: Callable[[], T], *, what: str, give_up: Callable[[], bool]) -> T:
    """Call ``fn`` until it gets through to the database, pausing longer after each failure.

    Only connection-level errors (server gone, connection killed, SQLite busy) are retried;
    anything else is a bug and propagates.

    :param what: what ``fn`` does, for the log.
    :param give_up: asked after each failure; when it says so,
        :class:`DatabaseUnavailableError` is raised.
    """
    pause = 0.05
    failures = 0
    while True:
        try:
            result = fn()
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            failures += 1
            if failures == 1:
                log.warning("database unavailable while %s (%s); retrying", what, _name(exc))
            if give_up():
                raise DatabaseUnavailableError(what) from exc
            time.sleep(pause)
            pause = min(pause * 2, MAX_PAUSE)
        else:
            if failures:
                log.info("database back after %d failed tries (%s)", failures, what)
            return result


def grace_after(stopping: threading.Event, grace: float) -> Callable[[], bool]:
    """A ``give_up`` for :func:`retry_db`: never while running, ``grace`` seconds after a stop."""
    deadline: list[float] = []

    def give_up() -> bool:
        if not stopping.is_set():
            return False
        if not deadline:
            deadline.append(time.monotonic() + grace)
        return time.monotonic() > deadline[0]

    return give_up


def _name(exc: sa.exc.DBAPIError) -> str:
    return type(exc.orig).__name__
