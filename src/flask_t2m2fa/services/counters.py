"""What a send or a code check reads after locking the user's settings row: one statement each.

Both run right after :func:`accounts.lock_settings`. Read after the lock, the counters are exact
on PostgreSQL too: every transaction that could add a failure or a send for this user waits
behind the lock, and each new statement sees what the earlier ones committed. (A subquery in
the locking ``UPDATE … RETURNING`` would not: it reads the snapshot taken before the wait.)

* :func:`load_for_send`: the user's counted failures, the send history for the number and the
  login, and whether a live code of the purpose exists (so that a first login does not run an
  ``UPDATE`` that supersedes nothing), as one ``UNION ALL``.
* :func:`load_for_verify`: the challenge the code is judged against, the counted failures, and
  the account's policy, the user's uniquifier and phones (what the answer needs), as one row per
  phone and failure.

What they read goes to :mod:`.hot_path`, where the usual accessors find it.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ..models import AccountPolicy, Challenge, Failure, Phone, SentSms, SessionEpoch, UserSettings
from ..rules import budgets
from ..state import State, UserRef
from . import challenges, hot_path
from .live_challenges import LIVE, live

_UID: sa.BindParameter[str] = sa.bindparam("user_id")

_FOR_SEND = sa.union_all(
    sa.select(
        sa.literal("failure").label("kind"),
        Failure.failed_at.label("at"),
        sa.cast(sa.null(), SentSms.user_id.type).label("user_id"),
        sa.cast(sa.null(), SentSms.number_digest.type).label("number_digest"),
        sa.cast(sa.null(), SentSms.login_id.type).label("login_id"),
    ).where(Failure.user_id == _UID, Failure.failed_at > sa.bindparam("failures_since")),
    sa.select(
        sa.literal("sent"),
        SentSms.sent_at,
        SentSms.user_id,
        SentSms.number_digest,
        SentSms.login_id,
    ).where(hot_path.SENT_CONDITION),
    sa.select(
        sa.literal("code"),
        Challenge.created_at,
        sa.cast(sa.null(), SentSms.user_id.type),
        sa.cast(sa.null(), SentSms.number_digest.type),
        hot_path.ENTERED_RIGHT,
    ).where(hot_path.RECENT_CODE_CONDITION),
    sa.select(
        sa.literal("live"),
        LIVE.c.created_at,
        sa.cast(sa.null(), SentSms.user_id.type),
        sa.cast(sa.null(), SentSms.number_digest.type),
        sa.cast(sa.null(), SentSms.login_id.type),
    ).where(live(_UID, sa.bindparam("purpose"))),
)


def failures_since(state: State, settings: UserSettings) -> datetime:
    """Failures count for 30 days, and not from before the last unlock."""
    since = state.now() - budgets.THIRTY_DAYS
    if settings.unlocked_at is not None and settings.unlocked_at > since:
        since = settings.unlocked_at
    return since


def load_for_send(
    state: State, settings: UserSettings, digest: str, login_id: str, purpose: str
) -> None:
    """Read the counters of a send to the number ``digest`` for ``purpose`` in one statement."""
    params = hot_path.sent_params(state, settings.user_id, digest, login_id)
    since = failures_since(state, settings)
    rows = state.session.execute(
        _FOR_SEND, {**params, "failures_since": since, "purpose": purpose}
    ).all()
    hot_path.remember_history(state, params, (r for r in rows if r.kind in ("sent", "code")))
    hot_path.remember_failures(
        state, settings.user_id, since, [r.at for r in rows if r.kind == "failure"]
    )
    any_live = any(r.kind == "live" for r in rows)
    hot_path.remember_live(state, settings.user_id, purpose, any_live)


def _for_verify(
    target: sa.ColumnElement[str] | sa.ScalarSelect[str],
) -> sa.Select[AccountPolicy, SessionEpoch, Phone, Challenge, int, datetime]:
    return (
        sa.select(AccountPolicy, SessionEpoch, Phone, Challenge, Failure.id, Failure.failed_at)
        .select_from(hot_path.ANCHOR)
        .outerjoin(AccountPolicy, AccountPolicy.account_id == sa.bindparam("account_id"))
        .outerjoin(SessionEpoch, SessionEpoch.user_id == _UID)
        .outerjoin(Phone, Phone.user_id == _UID)
        .outerjoin(Challenge, sa.and_(Challenge.id == target, Challenge.user_id == _UID))
        .outerjoin(
            Failure,
            sa.and_(Failure.user_id == _UID, Failure.failed_at > sa.bindparam("failures_since")),
        )
        .order_by(Phone.id)
    )


def _newest_of_login() -> sa.ScalarSelect[str]:
    """The newest challenge of the login of challenge ``challenge_id`` (the live one: see
    ``challenges.live_of_login``)."""
    login = challenges.login_of(sa.bindparam("challenge_id"), _UID)
    return challenges.newest_of_login(sa.select(Challenge.id), _UID, login).scalar_subquery()


#: Built once each: the challenge named, or the newest of the login of the challenge named.
_FOR_VERIFY = {
    False: _for_verify(sa.bindparam("challenge_id")),
    True: _for_verify(_newest_of_login()),
}


def load_for_verify(
    state: State,
    user: UserRef,
    settings: UserSettings,
    challenge_id: str,
    *,
    newest_of_its_login: bool,
) -> Challenge | None:
    """The challenge ``challenge_id`` (or the newest of its login), with the counters and the
    rows the answer needs, in one statement. Rows: phones × counted failures (both few)."""
    since = failures_since(state, settings)
    params = {
        "user_id": user.user_id,
        "account_id": user.account_id,
        "challenge_id": challenge_id,
        "failures_since": since,
    }
    rows = state.session.execute(_FOR_VERIFY[newest_of_its_login], params).all()
    policy, epoch, _phone, found, _failure, _at = rows[0]  # the anchor: one row at least
    phones = {row[2].id: row[2] for row in rows if row[2] is not None}
    failed = {row[4]: row[5] for row in rows if row[4] is not None}
    hot_path.remember_rows(state, AccountPolicy, user.account_id, policy)
    hot_path.remember_rows(state, UserSettings, user.user_id, settings)
    hot_path.remember_rows(state, SessionEpoch, user.user_id, epoch)
    hot_path.remember_rows(state, Phone, user.user_id, list(phones.values()))
    hot_path.remember_failures(state, user.user_id, since, list(failed.values()))
    challenge: Challenge | None = found
    return challenge
