"""One commit per request, and the signals of what it committed, sent only after it.

Nothing here listens on SQLAlchemy's classes: the extension's own views end their work with
:func:`commit` or :func:`rollback`, which write the pending audit rows (:mod:`.audit`) and send
or drop the queued signals themselves. Work that the host commits (the facade's calls, which
join the host's transaction) asks :func:`follow_host_commit` to watch that one session object:
its commit makes the signals ready, sent at the end of the request; its rollback drops them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, scoped_session

from . import audit, dialects, signal_queue
from .signal_queue import send_ready as send_ready

_FOLLOWED = "t2m2fa_follows_host_commit"


def commit(session: Session) -> None:
    """Write the pending audit rows, commit the request's work, then send its signals."""
    audit.flush(session)
    session.commit()
    _committed(session)
    send_ready(session)


def rollback(session: Session) -> None:
    """Undo the request's work: its audit rows and signals go with it."""
    session.rollback()
    _rolled_back(session)


def follow_host_commit(session: Session) -> None:
    """Work recorded for the host to commit: write its audit rows now (they join the host's
    transaction) and send its signals once the host commits that session (none on rollback).

    The listeners are on this session object only, once: never on SQLAlchemy's classes.
    """
    audit.flush(session)
    actual = session() if isinstance(session, scoped_session) else session
    if not actual.info.get(_FOLLOWED):
        actual.info[_FOLLOWED] = True
        sa.event.listen(actual, "after_commit", _committed)
        sa.event.listen(actual, "after_rollback", _rolled_back)


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """A block that may fail without failing the transaction (a SAVEPOINT); the audit rows and
    signals it recorded go if it fails, the ones recorded before it stay."""
    audit.flush(session)
    queued = signal_queue.mark(session)
    try:
        with session.begin_nested():
            yield
            audit.flush(session)
    except BaseException:
        audit.drop(session)
        signal_queue.drop_since(session, queued)
        raise


@contextmanager
def statement_savepoint(session: Session, *, needed: bool = True) -> Iterator[None]:
    """Let the block fail without failing the transaction (a sender whose SQL fails).

    PostgreSQL aborts the whole transaction after any error, so the block runs in a savepoint.
    SQLite and MariaDB/MySQL undo only the failed statement and the transaction goes on
    (:func:`.dialects.failed_statement_aborts_transaction`): no savepoint is needed there, and
    two statements per send are saved. ``needed=False``: the block cannot fail after writing
    (``sending.needs_savepoint``).
    """
    if not needed or not dialects.failed_statement_aborts_transaction(session):
        yield
    else:
        with savepoint(session):
            yield


def _committed(session: Session) -> None:
    signal_queue.committed(session)


def _rolled_back(session: Session, *_args: Any) -> None:
    signal_queue.rolled_back(session)
    audit.drop(session)
