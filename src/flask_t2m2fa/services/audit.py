"""Write an audit row in the caller's transaction; its signal goes out after the commit.

The rows of one transaction are written together, in one ``INSERT`` (an ``executemany``), just
before the commit, or before any ORM statement that reads or writes the audit table, so a query
in the same transaction still sees them. Why: a login writes two or three events, and each ORM
insert is a statement and a flush of its own. Rows recorded inside a savepoint that is rolled
back are dropped with it, as the ORM would drop them.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, scoped_session

from ..events import Event
from ..models import AuditEvent
from ..signals import BY_EVENT
from ..state import State, UserRef
from . import unit_of_work

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
    transaction = _current_transaction(session)
    session.info.setdefault(_PENDING, []).append((transaction, row))
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
    unit_of_work.queue(state.session, unit_of_work.QueuedSignal(BY_EVENT[event], app, fields))


def write_pending(session: Session) -> None:
    """Insert the transaction's recorded rows now, in one statement."""
    pending: list[tuple[Any, dict[str, Any]]] = session.info.pop(_PENDING, [])
    if pending:
        session.connection().execute(_INSERT, [row for _transaction, row in pending])


@sa.event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    write_pending(session)


@sa.event.listens_for(Session, "do_orm_execute")
def _before_audit_query(orm_state: ORMExecuteState) -> None:
    if _PENDING not in orm_state.session.info:
        return
    if any(m.class_ is AuditEvent for m in orm_state.all_mappers):
        write_pending(orm_state.session)


@sa.event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous: SessionTransaction) -> None:
    """Drop the rows recorded in the rolled-back transaction (or savepoint) and below it."""
    pending: list[tuple[Any, dict[str, Any]]] = session.info.get(_PENDING, [])
    kept = [(t, row) for t, row in pending if not _within(t, previous)]
    if kept:
        session.info[_PENDING] = kept
    else:
        session.info.pop(_PENDING, None)


@sa.event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ends with rows still pending was closed without a commit."""
    if transaction.parent is None:
        _rolled_back(session, transaction)


def _current_transaction(session: Session) -> SessionTransaction:
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is None:
        session.connection()  # begins the transaction the row belongs to
        transaction = session.get_transaction()
    assert transaction is not None
    return transaction


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False
