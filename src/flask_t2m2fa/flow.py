"""The login hand-off and what follows a code: the steps between the HTTP layer and the services.

The functions here return plain results; :mod:`.responses` turns them into HTML or JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import accounts, challenges, policy, remember
from .challenges import LOGIN, VERIFY_BACKUP, VERIFY_PRIMARY
from .models import Challenge, Phone, RememberedPc
from .state import State, UserRef


@dataclass(frozen=True)
class CodeStep:
    """A code is due: what the code page and the JSON answer show."""

    challenge: Challenge
    phone: Phone
    remember_offered: bool
    backup_available: bool
    resend_at: datetime | None
    send_failed: bool

    def to_json(self) -> dict[str, Any]:
        c = self.challenge
        return {
            "status": "2fa_required",
            "purpose": c.purpose,
            "destination": c.destination,
            "sent_to": self.phone.masked,
            "expires_at": _iso(c.expires_at),
            "resend_available_at": _iso(self.resend_at) if self.resend_at else None,
            "remember_pc_offered": self.remember_offered,
            "backup_available": self.backup_available,
            "send_failed": self.send_failed,
        }


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class NeedsSetup:
    """2FA applies to the user but no phone can receive a code: an administrator must act."""


@dataclass(frozen=True)
class NeedsEnrolment:
    """2FA is on but no number was entered: the user enters and verifies his own now."""


@dataclass(frozen=True)
class Locked:
    """The user's second factor is locked until an administrator unlocks it."""


def next_phone(state: State, user: UserRef, *, done: str | None) -> tuple[str, Phone] | None:
    """Which code is due next for this login, after the step ``done`` (None: at the start).

    A verified primary gets the login code. Pending numbers are checked in turn: a pending
    primary without a verified one stands in for the login code (the administrator entered it).
    """
    if done is None:
        for role in (accounts.PRIMARY, accounts.BACKUP):
            verified = accounts.phone_of(state, user.user_id, role, verified=True)
            if verified is not None:
                return LOGIN, verified
    steps = ((VERIFY_PRIMARY, accounts.PRIMARY), (VERIFY_BACKUP, accounts.BACKUP))
    order = [purpose for purpose, _ in steps]
    start = 0 if done in (None, LOGIN) else order.index(done) + 1
    for purpose, role in steps[start:]:
        pending = accounts.phone_of(state, user.user_id, role, verified=False)
        if pending is not None:
            return purpose, pending
    return None


def code_step(state: State, user: UserRef, challenge: Challenge) -> CodeStep:
    """Describe the live ``challenge`` for the code page."""
    phone = state.session.get(Phone, challenge.phone_id) if challenge.phone_id else None
    if phone is None:
        raise LookupError("the phone of this challenge was removed")
    backup = accounts.phone_of(state, user.user_id, accounts.BACKUP, verified=True)
    status = None
    if challenge.message_id and state.sender is not None:
        status = state.sender.status(challenge.message_id)
    return CodeStep(
        challenge=challenge,
        phone=phone,
        remember_offered=policy.remember_offered(accounts.policy_for(state, user.account_id)),
        backup_available=challenge.purpose == LOGIN and backup is not None,
        resend_at=challenges.next_send_at(state, challenge, phone),
        send_failed=challenge.send_failed or bool(status and status.failed),
    )


def start(
    state: State, user: UserRef, *, token: object, remember_me: bool, next_url: str | None
) -> CodeStep | NeedsSetup | NeedsEnrolment | Locked | RememberedPc | None:
    """The first step after the password. None: log in now (2FA off for this user)."""
    current = accounts.policy_for(state, user.account_id)
    settings = accounts.settings_of(state, user.user_id)
    enabled = settings.enabled if settings is not None else None
    if not policy.two_factor_required(current, user_enabled=enabled):
        return None
    if token:
        pc = remember.check(state, user, token, current)
        if pc is not None:
            return pc
    if settings is not None and settings.locked_at is not None:
        return Locked()
    step = next_phone(state, user, done=None)
    if step is None and settings is not None and settings.enabled:
        return NeedsEnrolment()  # an administrator left the number to the user
    if step is None or settings is None:
        return NeedsSetup()
    purpose, phone = step
    request = challenges.Request(purpose, phone, remember_me=remember_me, next_url=next_url)
    challenge = challenges.issue(state, user, request)
    assert challenge is not None  # a first challenge is always created
    return code_step(state, user, challenge)


def after_success(state: State, user: UserRef, challenge: Challenge) -> CodeStep | None:
    """A code was right: verify its phone if pending, then the next code, or None when done."""
    if challenge.purpose != LOGIN and challenge.phone_id is not None:
        phone = state.session.get(Phone, challenge.phone_id)
        if phone is not None and phone.verified_at is None:
            accounts.mark_verified(state, phone, account_id=user.account_id)
    step = next_phone(state, user, done=challenge.purpose)
    if step is None:
        return None
    purpose, phone = step
    request = challenges.Request(
        purpose,
        phone,
        login_id=challenge.login_id,
        remember_me=challenge.remember_me,
        remember_pc=challenge.remember_pc,
        next_url=challenge.next_url,
        follows_success=True,
    )
    follow_up = challenges.issue(state, user, request)
    assert follow_up is not None
    return code_step(state, user, follow_up)


def resend(
    state: State, user: UserRef, live: Challenge, destination: str
) -> tuple[Challenge, Phone | None]:
    """Send a new code to ``destination`` if the limits allow.

    Returns the live challenge afterwards and the phone asked for. Login codes go only to
    verified numbers; a verification step resends to its own number.
    """
    phone: Phone | None
    if live.purpose == LOGIN:
        role = accounts.BACKUP if destination == accounts.BACKUP else accounts.PRIMARY
        phone = accounts.phone_of(state, user.user_id, role, verified=True)
    else:
        phone = state.session.get(Phone, live.phone_id) if live.phone_id else None
    if phone is None:
        return live, None
    request = challenges.Request(
        live.purpose,
        phone,
        login_id=live.login_id,
        remember_me=live.remember_me,
        remember_pc=live.remember_pc,
        next_url=live.next_url,
    )
    return challenges.issue(state, user, request, resend=True) or live, phone
