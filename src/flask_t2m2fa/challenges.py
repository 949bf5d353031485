"""Challenges in the database: issue and send a code, resend, verify.

Each function runs inside the caller's transaction and starts by locking the user's settings
row (:func:`accounts.lock_settings`), so the counters it reads and writes cannot race. The
caller commits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from . import accounts, audit, codes, sending_limits
from .models import Challenge, Phone, SentSms
from .state import State, UserRef

LOGIN = "login"
VERIFY_PRIMARY = "verify_primary"
VERIFY_BACKUP = "verify_backup"


def _history(state: State, user_id: str, digest: str, login_id: str) -> sending_limits.SendHistory:
    since = state.now() - sending_limits.DAY
    user_sends = state.session.scalars(
        sa.select(SentSms.sent_at).where(SentSms.user_id == user_id, SentSms.sent_at > since)
    ).all()
    number_sends = state.session.scalars(
        sa.select(SentSms.sent_at).where(SentSms.number_digest == digest, SentSms.sent_at > since)
    ).all()
    login_sends = state.session.scalar(
        sa.select(sa.func.count()).select_from(SentSms).where(SentSms.login_id == login_id)
    )
    return sending_limits.SendHistory(user_sends, number_sends, int(login_sends or 0))


def next_send_at(state: State, challenge: Challenge, phone: Phone) -> datetime | None:
    """When a resend to ``phone`` within this login could go out; None: never in this login."""
    history = _history(state, challenge.user_id, phone.number_digest, challenge.login_id)
    return sending_limits.next_send_at(state.now(), history, state.limits)


def _send(state: State, user: UserRef, challenge: Challenge, phone: Phone, code: str) -> None:
    now = state.now()
    state.session.add(
        SentSms(
            user_id=user.user_id,
            login_id=challenge.login_id,
            number_digest=phone.number_digest,
            sent_at=now,
        )
    )
    minutes = int(state.settings.code_lifetime.total_seconds() // 60)
    text = codes.sms_text(state.settings.app_name, code, minutes)
    challenge.sent = True
    try:
        challenge.message_id = state.require_sender().send(
            accounts.number_of(state, phone), text, expires_at=challenge.expires_at, kind="code"
        )
    except Exception as exc:  # any sender failure: the user is told to try the backup phone
        challenge.send_failed = True
        audit.record(
            state.session,
            "send_failed",
            at=now,
            account_id=user.account_id,
            user_id=user.user_id,
            outcome="failed",
            reason=type(exc).__name__,
            destination=phone.masked,
            challenge_id=challenge.id,
        )
        return
    audit.record(
        state.session,
        "code_sent",
        at=now,
        account_id=user.account_id,
        user_id=user.user_id,
        reason=challenge.destination,
        destination=phone.masked,
        challenge_id=challenge.id,
    )


@dataclass(frozen=True)
class Request:
    """What a new challenge is for."""

    purpose: str
    phone: Phone
    login_id: str | None = None
    remember_me: bool = False
    remember_pc: bool = False
    next_url: str | None = None
    #: The next step after a correct code: the cool-down does not apply (the caps do).
    follows_success: bool = False


def issue(
    state: State, user: UserRef, request: Request, *, resend: bool = False
) -> Challenge | None:
    """Create a challenge and send its code, within the sending limits.

    A first challenge is created even when the limits forbid the SMS (the answer must not tell);
    a refused resend creates nothing and returns None, leaving the live code alive.
    """
    accounts.lock_settings(state, user.user_id)
    now = state.now()
    login_id = request.login_id or secrets.token_hex(16)
    history = _history(state, user.user_id, request.phone.number_digest, login_id)
    decision = sending_limits.decide(
        now, history, state.limits, cooldown=not request.follows_success
    )
    if not decision.allowed:
        reason = decision.refusal.value if decision.refusal else None
        audit.record(
            state.session,
            "send_throttled",
            at=now,
            account_id=user.account_id,
            user_id=user.user_id,
            outcome="refused",
            reason=reason,
            destination=request.phone.masked,
        )
        if resend:
            return None
    # One live code per user and purpose: the new one kills the old.
    state.session.execute(
        sa.update(Challenge)
        .where(
            Challenge.user_id == user.user_id,
            Challenge.purpose == request.purpose,
            Challenge.consumed_at.is_(None),
            Challenge.superseded_at.is_(None),
        )
        .values(superseded_at=now)
    )
    challenge = _new_challenge(state, user, request, login_id)
    audit.record(
        state.session,
        "challenge_created",
        at=now,
        account_id=user.account_id,
        user_id=user.user_id,
        reason=request.purpose,
        destination=request.phone.masked,
        challenge_id=challenge.id,
    )
    code = _code_for(state, challenge)
    if decision.allowed:
        _send(state, user, challenge, request.phone, code)
    return challenge


def _new_challenge(state: State, user: UserRef, request: Request, login_id: str) -> Challenge:
    now = state.now()
    challenge = Challenge(
        id=secrets.token_hex(16),
        user_id=user.user_id,
        account_id=user.account_id,
        purpose=request.purpose,
        destination=accounts.public_role(request.phone.role),
        phone_id=request.phone.id,
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
    state.session.add(challenge)
    return challenge


def _code_for(state: State, challenge: Challenge) -> str:
    """Draw the code, store only its HMAC, and return the plain code for the SMS alone."""
    code = codes.generate(state.settings.code_length)
    challenge.code_hash = codes.code_hash(
        state.settings.code_key,
        challenge_id=challenge.id,
        purpose=challenge.purpose,
        user_id=challenge.user_id,
        code=code,
    )
    state.session.flush()
    return code
