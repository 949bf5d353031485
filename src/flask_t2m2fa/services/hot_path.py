"""Rows of the login's hot path, each read once per transaction.

A login step asks for the account's policy, the user's phones and the send history several
times (start, the send decision, the answer). They are read once and kept in the SQLAlchemy
session's ``info`` until the transaction ends; a cached account without a policy row stays
cached too (the identity map cannot remember a missing row). One query reads all of a user's
phones, one the three send histories.

Only requests keep the cache (their session lives as long as they do). It cannot go stale
inside the transaction: any flush or ORM ``UPDATE``/``DELETE`` that touches a cached table drops
that table's entries, and a commit or rollback drops them all. The send history is the one
table the hot path writes itself: :func:`record_send` adds the new send to the cached histories
instead of reading them again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from flask import has_request_context
from sqlalchemy.orm import ORMExecuteState, Session

from ..models import AccountPolicy, Phone, SentSms
from ..rules import sending_limits
from ..state import State

_KEY = "t2m2fa_rows"
_MISSING = object()
_WATCHED = (AccountPolicy, Phone)


def _tables(state: State) -> dict[Any, Any]:
    """This transaction's cache; outside a request (CLI, a shell, a test's own session, which
    may live across other sessions' commits) nothing is kept."""
    if not has_request_context():
        return {}
    tables: dict[Any, Any] = state.session.info.setdefault(_KEY, {})
    return tables


def _cache(state: State, table: type[Any]) -> dict[Any, Any]:
    cache: dict[Any, Any] = _tables(state).setdefault(table, {})
    return cache


def locked_users(state: State) -> set[str]:
    """Users whose settings row this transaction locked (see ``accounts.lock_settings``)."""
    locked: set[str] = _tables(state).setdefault("locked", set())
    return locked


def policy_row(state: State, account_id: str) -> AccountPolicy | None:
    """The account's policy row, or None when it has none (remembered as well)."""
    cache = _cache(state, AccountPolicy)
    row = cache.get(account_id, _MISSING)
    if row is _MISSING:
        row = state.session.get(AccountPolicy, account_id)
        cache[account_id] = row
    return cast(AccountPolicy | None, row)


def phones(state: State, user_id: str) -> list[Phone]:
    """All of the user's phones (verified, pending and entered), newest last: one query."""
    cache = _cache(state, Phone)
    rows: list[Phone] | None = cache.get(user_id)
    if rows is None:
        rows = list(
            state.session.scalars(
                sa.select(Phone).where(Phone.user_id == user_id).order_by(Phone.id)
            ).all()
        )
        cache[user_id] = rows
    return rows


class _History:
    """A mutable send history: :func:`record_send` adds this request's own send."""

    def __init__(self, user: list[datetime], number: list[datetime], login: int) -> None:
        self.user, self.number, self.login = user, number, login

    def frozen(self) -> sending_limits.SendHistory:
        return sending_limits.SendHistory(tuple(self.user), tuple(self.number), self.login)


def send_history(
    state: State, user_id: str, digest: str, login_id: str | None
) -> sending_limits.SendHistory:
    """Sends of the last day by this user and to this number, and all sends of this login.

    One query: each condition has its own index, so the ``OR`` walks only the rows it returns.
    """
    cache = _cache(state, SentSms)
    key = (user_id, digest, login_id)
    history: _History | None = cache.get(key)
    if history is None:
        since = state.now() - sending_limits.DAY
        rows = state.session.execute(
            sa.select(
                SentSms.user_id, SentSms.number_digest, SentSms.login_id, SentSms.sent_at
            ).where(
                sa.or_(
                    sa.and_(SentSms.user_id == user_id, SentSms.sent_at > since),
                    sa.and_(SentSms.number_digest == digest, SentSms.sent_at > since),
                    SentSms.login_id == login_id,
                )
            )
        ).all()
        history = _History(
            [r.sent_at for r in rows if r.user_id == user_id and r.sent_at > since],
            [r.sent_at for r in rows if r.number_digest == digest and r.sent_at > since],
            sum(1 for r in rows if r.login_id == login_id),
        )
        cache[key] = history
    return history.frozen()


def record_send(state: State, user_id: str, digest: str, login_id: str, at: datetime) -> None:
    """This transaction added a send: count it in every cached history it belongs to."""
    for (user, number, login), history in _cache(state, SentSms).items():
        if user == user_id:
            history.user.append(at)
        if number == digest:
            history.number.append(at)
        if login == login_id:
            history.login += 1


def _forget(session: Session, table: type[Any] | None = None) -> None:
    tables: dict[type[Any], Any] | None = session.info.get(_KEY)
    if tables is None:
        return
    if table is None:
        session.info.pop(_KEY, None)
    else:
        tables.pop(table, None)


@sa.event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    touched = {type(obj) for obj in (*session.new, *session.dirty, *session.deleted)}
    for table in _WATCHED:
        if table in touched:
            _forget(session, table)


@sa.event.listens_for(Session, "do_orm_execute")
def _executed(orm_state: ORMExecuteState) -> None:
    if not (orm_state.is_update or orm_state.is_delete or orm_state.is_insert):
        return
    mapper = orm_state.bind_mapper
    for table in _WATCHED:
        if mapper is not None and mapper.class_ is table:
            _forget(orm_state.session, table)


@sa.event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if not session.in_nested_transaction():  # a released savepoint ends nothing
        _forget(session)


@sa.event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    _forget(session)


@sa.event.listens_for(Session, "after_soft_rollback")
def _soft_rolled_back(session: Session, _previous: Any) -> None:
    _forget(session)
