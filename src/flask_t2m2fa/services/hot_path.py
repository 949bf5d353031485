"""Rows of the login's hot path, each read once per transaction.

A login step asks for the account's policy, the user's settings, sign-in uniquifier and phones,
and the send history several times (start, the send decision, the answer, the session check).
They are read once and kept in the SQLAlchemy session's ``info`` until the transaction ends; a
missing row stays cached too (the identity map cannot remember a missing row). One statement
(:func:`load_user`) reads the policy, settings, uniquifier and every phone of a user; one the
three send histories.

The counters a send or a code check reads after the lock (failures, send histories, whether a
live code exists: :mod:`.counters`) are kept here too.

Only requests keep the cache (their session lives as long as they do). It cannot go stale
inside the transaction: any flush, new ORM object or ORM ``UPDATE``/``DELETE`` that touches a
cached table drops that table's entries, and a commit or rollback drops them all. The rows the
hot path inserts with Core (a challenge, a send) pass no ORM event, so it records them here
itself: :func:`record_send` adds the new send to the cached histories, :func:`remember_live`
notes the new live code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from flask import has_request_context
from sqlalchemy.orm import ORMExecuteState, Session

from ..models import AccountPolicy, Challenge, Failure, Phone, SentSms, SessionEpoch, UserSettings
from ..rules import sending_limits
from ..state import State

_KEY = "t2m2fa_rows"
_MISSING = object()
_WATCHED = (AccountPolicy, Phone, UserSettings, SessionEpoch, Failure, Challenge)

#: ``FROM (SELECT 1)`` and every row of the user outer-joined to it: one row per phone (or one
#: row of NULLs). Built once, so SQLAlchemy reuses its compiled form.
ANCHOR = sa.select(sa.literal(1).label("anchor")).subquery("anchor")
_USER_ROWS = (
    sa.select(AccountPolicy, UserSettings, SessionEpoch, Phone)
    .select_from(ANCHOR)
    .outerjoin(AccountPolicy, AccountPolicy.account_id == sa.bindparam("account_id"))
    .outerjoin(UserSettings, UserSettings.user_id == sa.bindparam("user_id"))
    .outerjoin(SessionEpoch, SessionEpoch.user_id == sa.bindparam("user_id"))
    .outerjoin(Phone, Phone.user_id == sa.bindparam("user_id"))
    .order_by(Phone.id)
)


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


def load_user(state: State, user_id: str, account_id: str) -> None:
    """Read the account's policy and the user's settings, uniquifier and phones: one statement,
    none when all four are cached already."""
    keys = ((AccountPolicy, account_id), (UserSettings, user_id), (SessionEpoch, user_id))
    if user_id in _cache(state, Phone) and all(k in _cache(state, t) for t, k in keys):
        return
    rows = state.session.execute(_USER_ROWS, {"user_id": user_id, "account_id": account_id}).all()
    policy, settings, epoch, _phone = rows[0]  # the anchor makes one row at least
    phones = [phone for *_rest, phone in rows if phone is not None]
    _cache(state, AccountPolicy)[account_id] = policy
    _cache(state, UserSettings)[user_id] = settings
    _cache(state, SessionEpoch)[user_id] = epoch
    _cache(state, Phone)[user_id] = phones


def settings_row(state: State, user_id: str) -> UserSettings | None:
    """The user's settings row, or None when he has none (remembered as well)."""
    return cast(UserSettings | None, _by_key(state, UserSettings, user_id))


def epoch_row(state: State, user_id: str) -> SessionEpoch | None:
    """The user's sign-in uniquifier row, or None when he never had one."""
    return cast(SessionEpoch | None, _by_key(state, SessionEpoch, user_id))


def _by_key(state: State, table: type[Any], key: str) -> Any:
    cache = _cache(state, table)
    row = cache.get(key, _MISSING)
    if row is _MISSING:
        row = state.session.get(table, key)
        cache[key] = row
    return row


def policy_row(state: State, account_id: str) -> AccountPolicy | None:
    """The account's policy row, or None when it has none (remembered as well)."""
    return cast(AccountPolicy | None, _by_key(state, AccountPolicy, account_id))


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

    def __init__(
        self, user: list[datetime], number: list[datetime], login: int, verified: bool
    ) -> None:
        self.user, self.number, self.login, self.verified = user, number, login, verified

    def frozen(self) -> sending_limits.SendHistory:
        return sending_limits.SendHistory(
            tuple(self.user), tuple(self.number), self.login, self.verified
        )


#: Sends of the last day by the user or to the number, and every send of the login.
SENT_CONDITION = sa.or_(
    sa.and_(SentSms.user_id == sa.bindparam("user_id"), SentSms.sent_at > sa.bindparam("day")),
    sa.and_(SentSms.number_digest == sa.bindparam("digest"), SentSms.sent_at > sa.bindparam("day")),
    SentSms.login_id == sa.bindparam("login_id"),
)
#: The user's codes sent within the cool-down (``ix_t2m2fa_challenges_user_created``).
RECENT_CODE_CONDITION = sa.and_(
    Challenge.user_id == sa.bindparam("user_id"),
    Challenge.created_at > sa.bindparam("codes_since"),
    Challenge.sent.is_(True),
)
#: ``'right'`` for a code that was entered right, else NULL (a text column of the union).
ENTERED_RIGHT = sa.case((Challenge.consumed_at.is_not(None), sa.literal("right")))
_SENT_ROWS = sa.union_all(
    sa.select(
        sa.literal("sent").label("kind"),
        SentSms.user_id,
        SentSms.number_digest,
        SentSms.login_id,
        SentSms.sent_at.label("at"),
    ).where(SENT_CONDITION),
    sa.select(
        sa.literal("code"),
        sa.cast(sa.null(), SentSms.user_id.type),
        sa.cast(sa.null(), SentSms.number_digest.type),
        ENTERED_RIGHT,
        Challenge.created_at,
    ).where(RECENT_CODE_CONDITION),
)


def send_history(
    state: State, user_id: str, digest: str, login_id: str | None
) -> sending_limits.SendHistory:
    """Sends of the last day by this user and to this number, all sends of this login, and the
    whether the user's newest code was entered right.

    One query: each condition has its own index, so the ``OR`` walks only the rows it returns.
    """
    history: _History | None = _cache(state, SentSms).get((user_id, digest, login_id))
    if history is None:
        params = sent_params(state, user_id, digest, login_id)
        rows = state.session.execute(_SENT_ROWS, params).all()
        history = remember_history(state, params, rows)
    return history.frozen()


def sent_params(state: State, user_id: str, digest: str, login_id: str | None) -> dict[str, Any]:
    """The parameters of the send-history conditions (see ``counters.load_for_send``)."""
    now = state.now()
    day, codes_since = now - sending_limits.DAY, now - state.limits.cooldown
    return {
        "user_id": user_id, "digest": digest, "login_id": login_id, "day": day,
        "codes_since": codes_since,
    }  # fmt: skip


def remember_history(state: State, params: dict[str, Any], rows: Any) -> _History:
    """Keep the send history read with ``params`` (rows: kind, user_id, number_digest,
    login_id and ``at``; for a ``code`` row, ``login_id`` says whether it was entered right) for
    the rest of the transaction."""
    user_id, digest, login_id, day = (params[k] for k in ("user_id", "digest", "login_id", "day"))
    rows = list(rows)
    sent = [r for r in rows if r.kind == "sent"]
    history = _History(
        [r.at for r in sent if r.user_id == user_id and r.at > day],
        [r.at for r in sent if r.number_digest == digest and r.at > day],
        sum(1 for r in sent if r.login_id == login_id),
        sending_limits.newest_code_verified(
            [(r.at, bool(r.login_id)) for r in rows if r.kind == "code"]
        ),
    )
    _cache(state, SentSms)[(user_id, digest, login_id)] = history
    return history


def failures(state: State, user_id: str, since: datetime) -> list[datetime] | None:
    """The user's failures after ``since`` when this transaction read them already, else None."""
    cached: tuple[datetime, list[datetime]] | None = _cache(state, Failure).get(user_id)
    if cached is None or cached[0] > since:
        return None
    return [at for at in cached[1] if at > since]


def remember_failures(state: State, user_id: str, since: datetime, found: list[datetime]) -> None:
    _cache(state, Failure)[user_id] = (since, sorted(found))


def has_live(state: State, user_id: str, purpose: str) -> bool | None:
    """Whether the user has a live challenge for ``purpose``; None: not read yet."""
    live: bool | None = _cache(state, Challenge).get((user_id, purpose))
    return live


def remember_live(state: State, user_id: str, purpose: str, live: bool) -> None:
    _cache(state, Challenge)[(user_id, purpose)] = live


def remember_rows(state: State, table: type[Any], key: Any, value: Any) -> None:
    """Keep a row (or None: no such row) read by another statement (``counters``)."""
    _cache(state, table)[key] = value


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


@sa.event.listens_for(Session, "transient_to_pending")
def _added(session: Session, instance: Any) -> None:
    """A new row of a cached table: a cached "missing" must not hide it."""
    if isinstance(instance, _WATCHED):
        _forget(session, type(instance))


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
