"""One commit per request, and the signals of what it committed, sent only after it.

Audit rows queue their signal on the SQLAlchemy session (``session.info``). A commit moves the
queue to "ready" (``after_commit`` may not run SQL, and receivers may want to), and
:func:`commit` sends the ready signals once it returned; a rollback drops the queue, so a branch
that is rolled back signals nothing (as Flask-SQLAlchemy's ``models_committed`` does). A host
that commits the session itself gets its signals at the end of the request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from blinker import Signal
from flask import Flask
from sqlalchemy.orm import Session

_QUEUED = "t2m2fa_signals_queued"
_READY = "t2m2fa_signals_ready"


@dataclass(frozen=True)
class QueuedSignal:
    signal: Signal
    app: Flask
    kwargs: dict[str, Any]


def queue(session: Session, item: QueuedSignal) -> None:
    """Send ``item`` after the session's transaction commits (never if it rolls back)."""
    session.info.setdefault(_QUEUED, []).append(item)


def commit(session: Session) -> None:
    """Commit the request's work, then send the signals of what was committed."""
    session.commit()
    send_ready(session)


def send_ready(session: Session) -> None:
    ready: list[QueuedSignal] = session.info.pop(_READY, [])
    for item in ready:
        item.signal.send(item.app, **item.kwargs)


@contextmanager
def statement_savepoint(session: Session, *, needed: bool = True) -> Iterator[None]:
    """Let the block fail without failing the transaction (a sender whose SQL fails).

    PostgreSQL aborts the whole transaction after any error, so the block runs in a savepoint.
    SQLite undoes only the failed statement and the transaction goes on: no savepoint is needed
    there, and two statements per send are saved. ``needed=False``: the block cannot fail after
    writing (``sending.needs_savepoint``).
    """
    if not needed or session.connection().dialect.name == "sqlite":
        yield
    else:
        with session.begin_nested():
            yield


@sa.event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    queued = session.info.pop(_QUEUED, [])
    if queued:
        session.info.setdefault(_READY, []).extend(queued)


@sa.event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_QUEUED, None)
