"""init_app makes a SQLite engine durable and concurrent: WAL, busy timeout, synchronous."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from t2m2fa_support import Host


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """SQLite's own behaviour, whatever T2M2FA_TEST_DATABASE says."""
    return sqlite_url


def _pragma(host: Host, name: str) -> object:
    with host.db.engine.connect() as conn:
        return conn.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_a_sqlite_host_gets_wal_a_busy_timeout_and_normal_sync(host: Host) -> None:
    assert _pragma(host, "journal_mode") == "wal"
    assert _pragma(host, "busy_timeout") == 10_000
    assert _pragma(host, "synchronous") == 1  # NORMAL


@pytest.mark.options({"T2M2FA_SQLITE_SYNCHRONOUS": "FULL"})
def test_synchronous_full_can_be_chosen(host: Host) -> None:
    assert _pragma(host, "synchronous") == 2


@pytest.mark.options({"T2M2FA_SQLITE_SYNCHRONOUS": None})
def test_none_leaves_the_hosts_engine_alone(host: Host) -> None:
    assert _pragma(host, "journal_mode") == "delete"


def test_the_pragmas_are_registered_once(app: Flask, host: Host) -> None:
    from gateway.outbox import configure_sqlite

    configure_sqlite(host.db.engine)  # as the example app did before init_app did it
    assert sa.event.contains(host.db.engine, "connect", _listener(host.db.engine))


def _listener(engine: sa.Engine) -> object:
    listeners = [fn for fn in engine.pool.dispatch.connect if "_set_pragmas" in repr(fn)]
    assert len(listeners) == 1
    return listeners[0]
