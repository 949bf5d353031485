"""Signals of the work in a session's transaction, held until that transaction commits.

Kept in the session's ``info``: :mod:`.unit_of_work` makes them ready at a commit (and sends
them once it returned: receivers may want to run SQL) or drops them at a rollback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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


def mark(session: Session) -> int:
    """How many signals are queued now (see :func:`drop_since`)."""
    return len(session.info.get(_QUEUED, []))


def drop_since(session: Session, mark: int) -> None:
    """Drop the signals queued after ``mark`` (a savepoint that failed)."""
    del session.info.get(_QUEUED, [])[mark:]


def committed(session: Session) -> None:
    queued = session.info.pop(_QUEUED, [])
    if queued:
        session.info.setdefault(_READY, []).extend(queued)


def rolled_back(session: Session) -> None:
    session.info.pop(_QUEUED, None)


def send_ready(session: Session) -> None:
    ready: list[QueuedSignal] = session.info.pop(_READY, [])
    for item in ready:
        item.signal.send(item.app, **item.kwargs)
