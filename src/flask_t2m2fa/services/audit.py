"""Write an audit row in the caller's transaction; its signal goes out after the commit.

The rows of one step are written together, in one ``INSERT`` (an ``executemany``), by
:func:`flush`: :func:`.unit_of_work.commit` flushes before it commits, and
:func:`.unit_of_work.rollback` and a failed :func:`.unit_of_work.savepoint` drop what they undo.
Why: a login writes two or three events, and each ORM insert is a statement and a flush of its
own. Nothing listens on SQLAlchemy's classes: the flush points are explicit.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from sqlalchemy.orm import Session, scoped_session

from ..events import Event
from ..models import AuditEvent
from ..signals import BY_EVENT
from ..state import State, UserRef
from . import signal_queue

logger = logging.getLogger("flask_t2m2fa.audit")

_PENDING = "t2m2fa_audit_pending"
_INSERT = sa.insert(AuditEvent.__table__)  # type: ignore[arg-type]


def record(
    state: State,
    event: Event,
    user: UserRef | None,
    *,
    account_id: str | None = None,
    user_id: str | None = None,
    outcome: str = "ok",
    reason: str | None = None,
    destination: str | None = None,
    challenge_id: str | None = None,
    actor: UserRef | None = None,
) -> None:
    """Add one audit event about ``user`` (or about the ids given instead).

    :param destination: a *masked* number (``phones.mask``) or a role name, never a number.
    :param actor: the administrator who did it, when it was not the user himself.
    """
    if user is not None:
        account_id, user_id = user.account_id, user.user_id
    fields = {
        "account_id": account_id,
        "user_id": user_id,
        "outcome": outcome,
        "reason": reason,
        "destination": destination,
        "challenge_id": challenge_id,
        "actor_id": actor.user_id if actor is not None else None,
    }
    ip = request.remote_addr if has_request_context() else None
    row = {"at": state.now(), "event": event.value, "ip": ip, **fields}
    session = state.session() if isinstance(state.session, scoped_session) else state.session
    session.info.setdefault(_PENDING, []).append(row)
    logger.info(
        "t2m2fa %s outcome=%s user=%s account=%s reason=%s destination=%s actor=%s",
        event.value,
        outcome,
        user_id,
        account_id,
        reason,
        destination,
        fields["actor_id"],
    )
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    signal_queue.queue(session, signal_queue.QueuedSignal(BY_EVENT[event], app, fields))


def flush(session: Session) -> None:
    """Insert the rows recorded since the last flush now, in one statement.

    :func:`.unit_of_work.commit` calls it before the commit; work for the host to commit (the
    facade's calls) calls it at its end, so the rows join the host's transaction.
    """
    pending: list[dict[str, Any]] = session.info.pop(_PENDING, [])
    if pending:
        session.connection().execute(_INSERT, pending)


def drop(session: Session) -> None:
    """Forget the rows recorded since the last flush (their work was rolled back)."""
    session.info.pop(_PENDING, None)
