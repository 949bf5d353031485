"""The facade works inside the host's transaction: it flushes, never commits, and undoes only
its own writes when it fails (Flask-SQLAlchemy's rule: the host commits when it is done).

The part of a call that may fail runs in a savepoint, so a refused number leaves the host's
pending changes intact and committable. SQLite needs care: Python's ``sqlite3`` starts a
transaction only before a data-changing statement, so a ``SAVEPOINT`` sent first would open
the transaction itself and its ``RELEASE`` would commit; :func:`savepoint` sends ``BEGIN
IMMEDIATE`` first when no transaction is open yet. Immediate, because the call goes on to
write: a deferred transaction that read first could not take the write lock once another
connection (the gateway worker) committed, and would fail at once instead of waiting.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from . import unit_of_work


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """Run the block in a savepoint of the session's transaction: undone alone if it raises."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        driver = connection.connection.driver_connection
        if driver is not None and not driver.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    with unit_of_work.savepoint(session):  # flushes the host's pending changes first
        yield


def joined(session: Session) -> None:
    """End a facade call: its rows are flushed into the host's transaction, its audit rows too,
    and its signals wait for the host's commit (none if the host rolls back)."""
    session.flush()
    unit_of_work.follow_host_commit(session)
