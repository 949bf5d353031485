"""The facade works inside the host's transaction: it flushes, never commits, and undoes only
its own writes when it fails (Flask-SQLAlchemy's rule: the host commits when it is done).

The part of a call that may fail runs in a savepoint, so a refused number leaves the host's
pending changes intact and committable. SQLite needs its transaction opened before the first
``SAVEPOINT`` (:func:`.dialects.begin_for_writing` says why).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from . import dialects, unit_of_work


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """Run the block in a savepoint of the session's transaction: undone alone if it raises."""
    dialects.begin_for_writing(session)
    with unit_of_work.savepoint(session):  # flushes the host's pending changes first
        yield


def joined(session: Session) -> None:
    """End a facade call: its rows are flushed into the host's transaction, its audit rows too,
    and its signals wait for the host's commit (none if the host rolls back)."""
    session.flush()
    unit_of_work.follow_host_commit(session)
