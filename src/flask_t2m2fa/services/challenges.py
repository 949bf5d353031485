"""Challenges in the database: issue a code and send it, within the sending limits.

Each function runs inside the caller's transaction and starts by locking the user's settings
row (:func:`accounts.lock_settings`), so the counters it reads and writes cannot race. The
caller commits.

Logging in again within the cool-down (a closed tab, a second device) does not create a code
that was never sent: the code already on the phone, still live and unused, for the same user,
purpose and number, is taken over by the new login. The user is told the truth ("we sent a code
to …56 40 s ago") and can log in at once, and the code keeps its spent attempts, so logging in
again never buys more guesses. Only when no such code exists is a challenge created without an
SMS, and the answer then says that no code was sent and when one can be.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ..events import Event
from ..i18n import gettext
from ..models import Challenge, Phone
from ..rules import codes, sending_limits
from ..rules.sending_limits import Refusal
from ..state import State, UserRef
from . import accounts, audit, counters, sends
from .live_challenges import LIVE, live, newest_of_login, usable

LOGIN = "login"
VERIFY_PRIMARY = "verify_primary"
VERIFY_BACKUP = "verify_backup"


@dataclass(frozen=True)
class Request:
    """What a new challenge is for."""

    purpose: str
    phone: Phone
    login_id: str | None = None
    remember_me: bool = False
    remember_pc: bool = False
    next_url: str | None = None


@dataclass(frozen=True)
class Issued:
    """The live challenge after a request for a code, and what happened to the SMS."""

    challenge: Challenge
    #: This request handed a new code to the sender.
    sent: bool
    #: The live code was sent earlier and is taken over (no new SMS was needed).
    reused: bool = False
    #: Why no SMS went out, when none did.
    refusal: Refusal | None = None
    #: When the limits may allow a new code, when they refused one (None: not in this login).
    retry_at: datetime | None = None
    #: The send history of the number and login once this request is done (its own send
    #: counted): what the answer tells about the next code.
    history: sending_limits.SendHistory | None = None


def history(
    state: State, user_id: str, digest: str, login_id: str | None
) -> sending_limits.SendHistory:
    """Past sends of the user, to the number (any user) and of the login (None: not a login)."""
    return counters.read_history(state, user_id, digest, login_id)


def next_send_at(
    state: State,
    challenge: Challenge,
    phone: Phone,
    past: sending_limits.SendHistory | None = None,
) -> datetime | None:
    """When a new code to ``phone`` within this login could go out; None: never in this login.

    :param past: the history as this request left it, when it has it (else it is read).
    """
    if past is None:
        past = history(state, challenge.user_id, phone.number_digest, challenge.login_id)
    return sending_limits.next_send_at(state.now(), past, state.limits)


def facts_for(state: State, user: UserRef, request: Request, login_id: str) -> counters.SendFacts:
    """Lock the user's settings row and read what decides a send of ``request``."""
    settings = accounts.lock_settings(state, user.user_id)
    if settings is None:  # no second factor recorded: no failures to count
        past = history(state, user.user_id, request.phone.number_digest, login_id)
        return counters.SendFacts((), past, live=True)
    digest = request.phone.number_digest
    return counters.read_for_send(state, settings, digest, login_id, request.purpose)


def issue(
    state: State, user: UserRef, request: Request, facts: counters.SendFacts | None = None
) -> Issued:
    """Create a challenge and send its code, within the sending limits.

    When the limits refuse the SMS, a live code already sent to the same number for the same
    purpose is taken over; else a challenge is created without a code on its way, so that a
    resend can follow once the limits allow.

    :param facts: what the caller read after locking the user's settings row for this
        request's login (:func:`counters.read_for_send`); None: lock and read them here.
    """
    login_id = request.login_id or secrets.token_hex(16)
    if facts is None:
        facts = facts_for(state, user, request, login_id)
    past = facts.history
    decision = sending_limits.decide(state.now(), past, state.limits)
    if decision.refusal is not None:
        _record_throttled(state, user, request.phone, decision.refusal)
        live = _reusable(state, user, request)
        if live is not None:
            live.remember_me, live.next_url = request.remember_me, request.next_url
            live.remember_pc = request.remember_pc
            return Issued(
                live, sent=False, reused=True, refusal=decision.refusal,
                retry_at=decision.next_send_at, history=past,
            )  # fmt: skip
    challenge = _replace_live(state, user, request, login_id, any_live=facts.live)
    if decision.refusal is not None:
        _created(state, user, challenge, request.phone)
        return Issued(
            challenge, sent=False, refusal=decision.refusal, retry_at=decision.next_send_at,
            history=past,
        )  # fmt: skip
    return _sent(state, user, challenge, request.phone, past)


def resend(state: State, user: UserRef, request: Request) -> Issued | Refusal:
    """A new code for a live login step, or why not now (the live code then stays alive)."""
    assert request.login_id is not None
    facts = facts_for(state, user, request, request.login_id)
    decision = sending_limits.decide(state.now(), facts.history, state.limits)
    if decision.refusal is not None:
        _record_throttled(state, user, request.phone, decision.refusal)
        return decision.refusal
    challenge = _replace_live(state, user, request, request.login_id, any_live=facts.live)
    return _sent(state, user, challenge, request.phone, facts.history)


def _sent(
    state: State,
    user: UserRef,
    challenge: Challenge,
    phone: Phone,
    past: sending_limits.SendHistory,
) -> Issued:
    """Send the new challenge's code; the answer's history counts the send."""
    sent = _send(state, user, challenge, phone)
    after = past.after_send(state.now()) if sent else past
    return Issued(challenge, sent=sent, history=after)


def live_of_login(
    state: State, user_id: str, login_id: str | sa.ScalarSelect[str]
) -> Challenge | None:
    """The challenge a code of this login is judged against: the login's newest.

    A resend or the next step of the login replaces the older challenges, so the newest is the
    live one (or, when it is dead too, the one whose verdict tells why). At equal times a live
    challenge comes first: a next step is issued in the instant its predecessor is consumed.
    """
    newest = newest_of_login(user_id, login_id)
    return state.session.scalars(sa.select(Challenge).where(Challenge.id == newest)).first()


def _reusable(state: State, user: UserRef, request: Request) -> Challenge | None:
    """The live code sent for the same purpose to the same number in the same role, if it can
    still be entered: a new login within the cool-down takes it over.

    Matched by the number's digest and role, never by the phone row's id (SQLite reuses the id
    of a deleted row): a code taken over still proves exactly the number it went to.
    """
    newest = (
        sa.select(LIVE.c.id)
        .where(
            live(user.user_id, request.purpose),
            usable(LIVE.c, state.now(), state.budget.per_challenge),
            LIVE.c.number_digest == request.phone.number_digest,
            LIVE.c.destination == accounts.public_role(request.phone.role),
            LIVE.c.sent.is_(True),
            LIVE.c.send_failed.is_(False),
        )
        .order_by(LIVE.c.created_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    return state.session.scalars(sa.select(Challenge).where(Challenge.id == newest)).first()


def phone_of(state: State, challenge: Challenge) -> Phone | None:
    """The phone row the code of ``challenge`` went to, only while it holds that same number.

    A pending number replaced by another (even in a row with the same id) is not the phone of
    the challenge any more: its code proves nothing about the new number.
    """
    phone = state.session.get(Phone, challenge.phone_id) if challenge.phone_id else None
    if phone is None or phone.number_digest != challenge.number_digest:
        return None
    if accounts.public_role(phone.role) != challenge.destination:
        return None
    return phone


def _replace_live(
    state: State, user: UserRef, request: Request, login_id: str, *, any_live: bool
) -> Challenge:
    """One live code per user and purpose: a new challenge kills the old one.

    ``any_live``: whether the facts read after the lock found a live one (if not, no ``UPDATE``).
    The new challenge is not added yet: :func:`_created` adds it once its SMS is queued, so
    it is inserted once, complete.
    """
    now = state.now()
    if any_live:
        live_ones = sa.select(LIVE.c.id).where(live(user.user_id, request.purpose))
        state.session.execute(
            sa.update(Challenge)
            .where(Challenge.id.in_(live_ones))
            .values(superseded_at=now)
            .execution_options(synchronize_session="fetch")
        )
    challenge = Challenge(
        id=secrets.token_hex(16),
        user_id=user.user_id,
        account_id=user.account_id,
        purpose=request.purpose,
        destination=accounts.public_role(request.phone.role),
        phone_id=request.phone.id,
        number_digest=request.phone.number_digest,
        login_id=login_id,
        code_hash="",
        created_at=now,
        expires_at=now + state.settings.code_lifetime,
        attempts=0,
        sent=False,
        send_failed=False,
        remember_me=request.remember_me,
        remember_pc=request.remember_pc,
        next_url=request.next_url,
    )
    return challenge


#: Built once. The hot path inserts its rows with Core: an ORM flush costs several times more.
_INSERT_CHALLENGE = sa.insert(Challenge.__table__)  # type: ignore[arg-type]
_CHALLENGE_COLUMNS = tuple(column.key for column in Challenge.__table__.columns)


def _created(state: State, user: UserRef, challenge: Challenge, phone: Phone) -> Challenge:
    """Insert the new challenge, complete, with its audit row.

    The object stays outside the session (nothing changes it after this); a later look-up by id
    reads the row.
    """
    values = {key: getattr(challenge, key) for key in _CHALLENGE_COLUMNS}
    state.session.connection().execute(_INSERT_CHALLENGE, values)
    audit.record(
        state,
        Event.CHALLENGE_CREATED,
        user,
        reason=challenge.purpose,
        destination=phone.masked,
        challenge_id=challenge.id,
    )
    return challenge


def _send(state: State, user: UserRef, challenge: Challenge, phone: Phone) -> bool:
    """Draw the code, keep only its HMAC, and hand the SMS over (:func:`.sends.hand_over`)."""
    code = codes.generate(state.settings.code_length)
    challenge.code_hash = codes.code_hash(
        state.settings.code_key,
        challenge_id=challenge.id,
        purpose=challenge.purpose,
        user_id=challenge.user_id,
        code=code,
    )
    minutes = int(state.settings.code_lifetime.total_seconds() // 60)
    text = codes.sms_text(state.settings.app_name, code, minutes, gettext(codes.SMS_TEMPLATE))
    try:
        message_id = sends.hand_over(
            state, phone, text, expires_at=challenge.expires_at, kind="code"
        )
    except Exception as exc:  # any sender failure: the user is told to try the backup phone
        challenge.send_failed = True
        _created(state, user, challenge, phone)
        audit.record(
            state,
            Event.SEND_FAILED,
            user,
            outcome="failed",
            reason=type(exc).__name__,
            destination=phone.masked,
            challenge_id=challenge.id,
        )
        return False
    challenge.sent, challenge.message_id = True, message_id
    _created(state, user, challenge, phone)
    sends.record_sent(state, user.user_id, phone.number_digest, challenge.login_id)
    audit.record(
        state,
        Event.CODE_SENT,
        user,
        reason=challenge.destination,
        destination=phone.masked,
        challenge_id=challenge.id,
    )
    return True


def _record_throttled(state: State, user: UserRef, phone: Phone, refusal: Refusal) -> None:
    audit.record(
        state,
        Event.SEND_THROTTLED,
        user,
        outcome="refused",
        reason=refusal.value,
        destination=phone.masked,
    )
