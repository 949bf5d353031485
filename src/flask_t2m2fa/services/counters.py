"""What a send or a code check reads after locking the user's settings row: one statement each.

Both run right after :func:`accounts.lock_settings`. Read after the lock, the counters are exact
on PostgreSQL too: every transaction that could add a failure or a send for this user waits
behind the lock, and each new statement sees what the earlier ones committed. (A subquery in
the locking ``UPDATE … RETURNING`` would not: it reads the snapshot taken before the wait.)

* :func:`read_for_send`: the user's counted failures, the send history for the number and the
  login, and whether a live code of the purpose exists (so that a first login does not run an
  ``UPDATE`` that supersedes nothing), as one ``UNION ALL``: a :class:`SendFacts`.
* :func:`read_history`: the send history alone (the same rows), for an answer that tells when
  the next code can go.
* :func:`read_for_verify`: the challenge the code is judged against, the counted failures (with
  the login of each), and the account's policy, the user's uniquifier and phones (what the answer
  needs), as one row per phone and failure, plus what a failed-code notice decides on (three
  scalar subqueries on the send records' indexes): a :class:`VerifyFacts`.

Each returns frozen values that the caller passes on; nothing is kept after the call.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ..models import AccountPolicy, Challenge, Failure, Phone, SentSms, SessionEpoch, UserSettings
from ..rules import budgets, notices, sending_limits
from ..rules.notices import Notice, WrongCodeFacts
from ..rules.sending_limits import SendHistory
from ..state import State, UserRef
from . import accounts, snapshot
from .live_challenges import LIVE, live, login_of, newest_of_login
from .snapshot import UserSnapshot

_UID: sa.BindParameter[str] = sa.bindparam("user_id")
_NO_USER = sa.cast(sa.null(), SentSms.user_id.type)
_NO_DIGEST = sa.cast(sa.null(), SentSms.number_digest.type)
_NO_LOGIN = sa.cast(sa.null(), SentSms.login_id.type)


def _rows(kind: str, at: Any, user_id: Any, digest: Any, login_id: Any) -> sa.Select[Any]:
    """One branch of the unions below: every branch labels its columns alike."""
    return sa.select(
        sa.literal(kind).label("kind"),
        at.label("at"),
        user_id.label("user_id"),
        digest.label("number_digest"),
        login_id.label("login_id"),
    )


#: Sends of the last day by the user or to the number, and every send of the login: each
#: condition has its own index, so the ``OR`` walks only the rows it returns.
_SENT = _rows(
    "sent", SentSms.sent_at, SentSms.user_id, SentSms.number_digest, SentSms.login_id
).where(
    sa.or_(
        sa.and_(SentSms.user_id == _UID, SentSms.sent_at > sa.bindparam("day")),
        sa.and_(
            SentSms.number_digest == sa.bindparam("digest"),
            SentSms.sent_at > sa.bindparam("day"),
        ),
        SentSms.login_id == sa.bindparam("login_id"),
    )
)
#: The user's codes sent within the cool-down (``ix_t2m2fa_challenges_user_created``); the
#: ``login_id`` column says ``'right'`` for a code entered right, else NULL.
_ENTERED_RIGHT = sa.case((Challenge.consumed_at.is_not(None), sa.literal("right")))
_CODES = _rows("code", Challenge.created_at, _NO_USER, _NO_DIGEST, _ENTERED_RIGHT).where(
    Challenge.user_id == _UID,
    Challenge.created_at > sa.bindparam("codes_since"),
    Challenge.sent.is_(True),
)
_FAILURES = _rows("failure", Failure.failed_at, _NO_USER, _NO_DIGEST, _NO_LOGIN).where(
    Failure.user_id == _UID, Failure.failed_at > sa.bindparam("failures_since")
)
_LIVE = _rows("live", LIVE.c.created_at, _NO_USER, _NO_DIGEST, _NO_LOGIN).where(
    live(_UID, sa.bindparam("purpose"))
)

#: Built once each, so SQLAlchemy reuses their compiled forms.
_HISTORY = sa.union_all(_SENT, _CODES)
_FOR_SEND = sa.union_all(_FAILURES, _SENT, _CODES, _LIVE)


@dataclass(frozen=True)
class SendFacts:
    """What decides a send, read after the lock."""

    #: The user's failures that still count (30 days, after the last unlock), oldest first.
    failures: tuple[datetime, ...]
    history: SendHistory
    #: A live challenge of the purpose exists (a new one must supersede it).
    live: bool


@dataclass(frozen=True)
class VerifyFacts:
    """What decides a code check, read after the lock."""

    snapshot: UserSnapshot
    #: The challenge the code is judged against (None: no such challenge of the user).
    challenge: Challenge | None
    failures: tuple[datetime, ...]
    #: What decides a failed-code notice, should the code be wrong (None: no challenge).
    wrong_code: WrongCodeFacts | None = None


def failures_since(state: State, settings: UserSettings) -> datetime:
    """Failures count for 30 days, and not from before the last unlock."""
    since = state.now() - budgets.THIRTY_DAYS
    if settings.unlocked_at is not None and settings.unlocked_at > since:
        since = settings.unlocked_at
    return since


def _history_params(
    state: State, user_id: str, digest: str, login_id: str | None
) -> dict[str, Any]:
    now = state.now()
    return {
        "user_id": user_id, "digest": digest, "login_id": login_id,
        "day": now - sending_limits.DAY, "codes_since": now - state.limits.cooldown,
    }  # fmt: skip


def _history_of(params: dict[str, Any], rows: Iterable[Any]) -> SendHistory:
    """The history in rows of :data:`_HISTORY` (kind, at, user_id, number_digest, login_id)."""
    user_id, digest, login_id, day = (params[k] for k in ("user_id", "digest", "login_id", "day"))
    rows = list(rows)
    sent = [r for r in rows if r.kind == "sent"]
    users = [r for r in sent if r.user_id == user_id and r.at > day]
    return SendHistory(
        tuple(r.at for r in users if not notices.is_notice_label(r.login_id)),
        tuple(r.at for r in sent if r.number_digest == digest and r.at > day),
        sum(1 for r in sent if r.login_id == login_id),
        sending_limits.newest_code_verified(
            [(r.at, bool(r.login_id)) for r in rows if r.kind == "code"]
        ),
        tuple(r.at for r in users if notices.is_notice_label(r.login_id)),
    )


def read_history(state: State, user_id: str, digest: str, login_id: str | None) -> SendHistory:
    """Sends of the last day by this user and to this number, all sends of this login, and
    whether the user's newest code was entered right: one statement."""
    params = _history_params(state, user_id, digest, login_id)
    return _history_of(params, state.session.execute(_HISTORY, params))


def read_for_send(
    state: State, settings: UserSettings, digest: str, login_id: str, purpose: str
) -> SendFacts:
    """The counters of a send to the number ``digest`` for ``purpose``: one statement."""
    params = _history_params(state, settings.user_id, digest, login_id)
    since = failures_since(state, settings)
    rows = state.session.execute(
        _FOR_SEND, {**params, "failures_since": since, "purpose": purpose}
    ).all()
    return SendFacts(
        failures=tuple(sorted(r.at for r in rows if r.kind == "failure")),
        history=_history_of(params, (r for r in rows if r.kind in ("sent", "code"))),
        live=any(r.kind == "live" for r in rows),
    )


def read_failures(state: State, settings: UserSettings) -> tuple[datetime, ...]:
    """The user's failures that still count, alone (for the steps that send nothing)."""
    query = (
        sa.select(Failure.failed_at)
        .where(
            Failure.user_id == settings.user_id,
            Failure.failed_at > failures_since(state, settings),
        )
        .order_by(Failure.failed_at)
    )
    return tuple(state.session.scalars(query).all())


#: The challenge a failure was counted on: its login tells the first wrong code of a login.
_FAILED_ON = aliased(Challenge, name="failed_on")
#: The user's newest failed-code notice of the quiet hour (``ix_t2m2fa_sent_sms_user_at``).
_LAST_NOTICE = (
    sa.select(sa.func.max(SentSms.sent_at))
    .where(
        SentSms.user_id == _UID,
        SentSms.sent_at > sa.bindparam("notice_since"),
        SentSms.login_id == notices.sent_label(Notice.FAILED_CODE),
    )
    .scalar_subquery()
)
#: SMS of the last day by the user, and to his verified primary (the notice's caps).
_USER_SENDS = (
    sa.select(sa.func.count())
    .select_from(SentSms)
    .where(SentSms.user_id == _UID, SentSms.sent_at > sa.bindparam("day"))
    .scalar_subquery()
)
_PRIMARY_DIGEST = (
    sa.select(Phone.number_digest)
    .where(Phone.user_id == _UID, Phone.role == accounts.PRIMARY, Phone.verified_at.is_not(None))
    .order_by(Phone.id.desc())
    .limit(1)
    .scalar_subquery()
)
_PRIMARY_SENDS = (
    sa.select(sa.func.count())
    .select_from(SentSms)
    .where(SentSms.number_digest == _PRIMARY_DIGEST, SentSms.sent_at > sa.bindparam("day"))
    .scalar_subquery()
)


#: The rows' columns: what the answer needs, the failures and their logins, the notice's facts.
_VERIFY_COLUMNS = (
    AccountPolicy, SessionEpoch, Phone, Challenge, Failure.id, Failure.failed_at,
    _FAILED_ON.login_id, _LAST_NOTICE, _USER_SENDS, _PRIMARY_SENDS,
)  # fmt: skip


def _for_verify(target: sa.ColumnElement[str] | sa.ScalarSelect[str]) -> sa.Select[Any]:
    anchor = snapshot.ANCHOR  # the statement's parameters, one row (see snapshot.ANCHOR)
    return (
        sa.select(*_VERIFY_COLUMNS)
        .select_from(anchor)
        .outerjoin(AccountPolicy, AccountPolicy.account_id == anchor.c.account_id)
        .outerjoin(SessionEpoch, SessionEpoch.user_id == anchor.c.user_id)
        .outerjoin(Phone, Phone.user_id == anchor.c.user_id)
        .outerjoin(
            Challenge, sa.and_(Challenge.user_id == anchor.c.user_id, Challenge.id == target)
        )
        .outerjoin(
            Failure,
            sa.and_(
                Failure.user_id == anchor.c.user_id,
                Failure.failed_at > sa.bindparam("failures_since"),
            ),
        )
        .outerjoin(_FAILED_ON, _FAILED_ON.id == Failure.challenge_id)
        .order_by(Phone.id)
    )


def _newest_of_login() -> sa.ScalarSelect[str]:
    """The newest challenge of the login of challenge ``challenge_id`` (the live one: see
    ``challenges.live_of_login``)."""
    login = login_of(sa.bindparam("challenge_id"), _UID)
    return newest_of_login(_UID, login)


#: Built once each: the challenge named, or the newest of the login of the challenge named.
_FOR_VERIFY = {
    False: _for_verify(sa.bindparam("challenge_id")),
    True: _for_verify(_newest_of_login()),
}


def read_for_verify(
    state: State,
    user: UserRef,
    settings: UserSettings,
    challenge_id: str,
    *,
    newest_of_its_login: bool,
) -> VerifyFacts:
    """The challenge ``challenge_id`` (or the newest of its login), with the counters and the
    rows the answer needs, in one statement. Rows: phones × counted failures (both few)."""
    now = state.now()
    params = {
        "user_id": user.user_id,
        "account_id": user.account_id,
        "challenge_id": challenge_id,
        "failures_since": failures_since(state, settings),
        "notice_since": now - notices.FAILED_CODE_QUIET,
        "day": now - sending_limits.DAY,
    }
    rows = state.session.execute(_FOR_VERIFY[newest_of_its_login], params).all()
    first = rows[0]  # the anchor: one row at least
    policy_row, epoch, found = first[0], first[1], first[3]
    phones = {row[2].id: row[2] for row in rows if row[2] is not None}
    failed = {row[4]: (row[5], row[6]) for row in rows if row[4] is not None}
    snap = snapshot.build(
        state, user.user_id, user.account_id, policy_row, settings, epoch, list(phones.values())
    )
    wrong_code = None
    if found is not None:
        wrong_code = WrongCodeFacts(
            earlier_in_login=sum(1 for _at, login in failed.values() if login == found.login_id),
            last_notice_at=first[7],
            user_sends_today=first[8],
            number_sends_today=first[9],
        )
    failures = tuple(sorted(at for at, _login in failed.values()))
    return VerifyFacts(snap, found, failures, wrong_code)
