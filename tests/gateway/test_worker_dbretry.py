"""Riding out database errors: retried until they pass, or until the caller gives up."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from gateway.worker.dbretry import DatabaseUnavailableError, grace_after, retry_db


def flaky(failures: int) -> tuple[list[int], Callable[[], str]]:
    calls: list[int] = []

    def call() -> str:
        calls.append(1)
        if len(calls) <= failures:
            raise sa.exc.OperationalError("UPDATE", {}, Exception("server closed the connection"))
        return "done"

    return calls, call


def test_connection_errors_are_retried_until_they_pass() -> None:
    calls, call = flaky(2)
    assert retry_db(call, what="marking", give_up=lambda: False) == "done"
    assert len(calls) == 3


def test_giving_up_raises() -> None:
    _, call = flaky(99)
    with pytest.raises(DatabaseUnavailableError):
        retry_db(call, what="claiming", give_up=lambda: True)


def test_other_errors_are_bugs_and_propagate() -> None:
    def broken() -> None:
        raise sa.exc.ProgrammingError("SELECT", {}, Exception("syntax error"))

    with pytest.raises(sa.exc.ProgrammingError):
        retry_db(broken, what="claiming", give_up=lambda: False)


def test_grace_starts_at_the_stop() -> None:
    stopping = threading.Event()
    give_up = grace_after(stopping, grace=60.0)
    assert not give_up()
    stopping.set()
    assert not give_up()  # the grace period starts now
    assert grace_after(stopping, grace=-1.0)()
