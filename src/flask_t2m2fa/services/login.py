"""A login's second factor from the password to the session: start, submit a code, resend.

Each function takes the state and plain values and returns an outcome dataclass; the web
layer (:mod:`flask_t2m2fa.web.answers`) turns outcomes into HTML or JSON and commits.
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..models import Challenge, Phone, RememberedPc
from ..rules import budgets, policy, sending_limits
from ..rules.sending_limits import Refusal
from ..state import State, UserRef
from . import (
    accounts,
    challenges,
    counters,
    enrolment,
    failed_code,
    phone_change,
    recovery,
    remember,
    snapshot,
    verification,
)
from .challenges import LOGIN, VERIFY_BACKUP, VERIFY_PRIMARY, Issued
from .enrolment import Enrolling
from .snapshot import UserSnapshot
from .verification import Outcome, Verdict


@dataclass(frozen=True)
class CodeStep:
    """A code is due: everything the code page and the JSON answer say about it."""

    challenge_id: str
    purpose: str
    destination: str
    masked: str
    expires_at: datetime
    #: When the live code was handed to the sender; None: no code was sent for this step.
    code_sent_at: datetime | None
    #: This request sent a new code.
    new_code: bool
    #: The live code can still be entered: not used, not expired, attempts left.
    code_usable: bool
    #: Why this request sent no new code, when it did not.
    refusal: Refusal | None
    send_failed: bool
    #: What the SMS centre's delivery report said: ``delivered``, ``not_delivered``,
    #: ``awaiting`` or ``no_report``; None when no report was asked for (or none can be).
    delivery: str | None
    #: Why the report says the SMS did not reach the phone, safe to show.
    delivery_reason: str | None
    #: When another code can be asked for; None: no more in this login.
    next_send_at: datetime | None
    remember_offered: bool
    backup_available: bool


@dataclass(frozen=True)
class NoSecondFactor:
    """2FA is off for this user: log in now."""

    #: The user's sign-in uniquifier, read by this step (the new session carries it).
    uniquifier: str


@dataclass(frozen=True)
class Remembered:
    """This client holds a valid remembered PC: log in now, refresh its cookie."""

    pc: RememberedPc
    uniquifier: str


@dataclass(frozen=True)
class Locked:
    """The second factor is locked until an administrator unlocks it: no SMS is sent."""


@dataclass(frozen=True)
class Paused:
    """Too many wrong codes today: no SMS is sent before ``retry_at``."""

    retry_at: datetime


@dataclass(frozen=True)
class NumberNeeded:
    """The user must type the number of ``enrolling.role`` (enrolment at login)."""

    enrolling: Enrolling
    backup_required: bool


@dataclass(frozen=True)
class Finished:
    """The last code was right: log the user in with a fresh session."""

    remember_me: bool
    next_url: str | None
    #: A new remembered PC and its token, when the user asked and the policy allows it.
    new_pc: tuple[RememberedPc, str] | None
    #: The user's sign-in uniquifier, read by the check (the new session carries it).
    uniquifier: str
    #: The login ended with a recovery code: how many the user has left (else None).
    recovery_left: int | None = None


StartOutcome = NoSecondFactor | Remembered | Locked | Paused | NumberNeeded | CodeStep
SubmitOutcome = Verdict | CodeStep | NumberNeeded | Finished


def describe(
    state: State,
    user: UserRef,
    challenge: Challenge,
    issued: Issued | None = None,
    snap: UserSnapshot | None = None,
) -> CodeStep:
    """The code step of the live ``challenge``; ``issued``: what this request did about it;
    ``snap``: what this request read about the user after its last change (else read now)."""
    if snap is None:
        snap = snapshot.read(state, user.user_id, user.account_id)
    phone = challenges.phone_of(state, challenge)
    if phone is None:
        raise LookupError("the phone of this challenge was removed or replaced")
    past = issued.history if issued is not None else None
    if past is None:
        past = challenges.history(state, challenge.user_id, phone.number_digest, challenge.login_id)
    status = None
    # A code this request queued is queued: no need to read its status.
    if challenge.message_id and state.sender is not None and not (issued and issued.sent):
        status = state.sender.status(challenge.message_id)
    return CodeStep(
        challenge_id=challenge.id,
        purpose=challenge.purpose,
        destination=challenge.destination,
        masked=phone.masked,
        expires_at=challenge.expires_at,
        code_sent_at=challenge.created_at if challenge.sent else None,
        new_code=issued is not None and issued.sent,
        code_usable=challenge.sent and _usable(state, challenge),
        refusal=issued.refusal if issued is not None else _still_refused(state, challenge, past),
        send_failed=challenge.send_failed or bool(status and status.failed),
        delivery=status.delivery_report.value if status and status.delivery_report else None,
        delivery_reason=status.delivery_reason if status else None,
        next_send_at=challenges.next_send_at(state, challenge, phone, past),
        remember_offered=policy.remember_offered(snap.policy),
        backup_available=challenge.purpose == LOGIN
        and snap.phone(accounts.BACKUP, verified=True) is not None,
    )


def _still_refused(
    state: State, challenge: Challenge, past: sending_limits.SendHistory
) -> Refusal | None:
    """Why the sending limits keep a challenge created without a code from getting one now
    (None: it was sent, or they allow one now). The code page, shown after a redirect, tells
    the same reason as the login's answer did."""
    if challenge.sent:
        return None
    return sending_limits.decide(state.now(), past, state.limits).refusal


def _usable(state: State, challenge: Challenge) -> bool:
    return budgets.challenge_usable(
        consumed=challenge.consumed_at is not None,
        superseded=challenge.superseded_at is not None,
        expires_at=challenge.expires_at,
        attempts=challenge.attempts,
        now=state.now(),
        budget=state.budget,
    )


def next_phone(snap: UserSnapshot, *, done: str | None) -> tuple[str, Phone] | None:
    """Which code is due next for this login, after the step ``done`` (None: at the start).

    A verified primary gets the login code. Pending numbers are checked in turn: a pending
    primary without a verified one stands in for the login code (the administrator entered it).
    """
    if done is None:
        for role in (accounts.PRIMARY, accounts.BACKUP):
            verified = snap.phone(role, verified=True)
            if verified is not None:
                return LOGIN, verified
    steps = ((VERIFY_PRIMARY, accounts.PRIMARY), (VERIFY_BACKUP, accounts.BACKUP))
    order = [purpose for purpose, _ in steps]
    start_at = 0 if done in (None, LOGIN) else order.index(done) + 1
    for purpose, role in steps[start_at:]:
        pending = snap.phone(role, verified=False)
        if pending is not None:
            return purpose, pending
    return None


def start(
    state: State, user: UserRef, *, token: object, remember_me: bool, next_url: str | None
) -> StartOutcome:
    """The first step after the password."""
    snap = snapshot.read(state, user.user_id, user.account_id)
    if not snap.two_factor_required:
        return NoSecondFactor(snap.uniquifier)
    if token:
        pc = remember.check(state, user, token, snap)
        if pc is not None:
            return Remembered(pc, snap.uniquifier)
    step = next_phone(snap, done=None)
    login_id = secrets.token_hex(16)
    facts = None
    if snap.settings is not None:
        # Counters are read after the lock (exact), in one statement when a code is due.
        settings = accounts.lock_settings(state, user.user_id) or snap.settings
        if step is not None:
            facts = counters.read_for_send(
                state, settings, step[1].number_digest, login_id, step[0]
            )
            failures = facts.failures
        else:
            failures = counters.read_failures(state, settings)
        # No SMS that could not be accepted: a locked or paused user is told so instead.
        gate = verification.gate_of(state, settings, failures)
        if gate.gate is budgets.Gate.LOCKED:
            return Locked()
        if gate.gate is budgets.Gate.PAUSED and gate.retry_at is not None:
            return Paused(gate.retry_at)
    if step is None:
        # 2FA applies and no number yet (left to the user, created under "2FA for new users",
        # or anyone under Enforced): the user enters and verifies his own now.
        if snap.settings is None:  # Enforced, nothing recorded: a row to lock and count on
            accounts.ensure_settings(state, user, enabled=False)
        fresh = enrolment.new_enrolling(accounts.PRIMARY, remember_me, next_url)
        return NumberNeeded(fresh, policy.backup_required(is_admin=user.is_admin))
    purpose, phone = step
    request = challenges.Request(
        purpose, phone, login_id=login_id, remember_me=remember_me, next_url=next_url
    )
    issued = challenges.issue(state, user, request, facts)
    return describe(state, user, issued.challenge, issued, snap)


def submit(
    state: State,
    user: UserRef,
    challenge_id: str,
    candidate: Any,
    *,
    remember_pc: bool,
    enrolling: Enrolling | None,
    label: str,
) -> SubmitOutcome:
    """Judge the code for the live challenge of the login of ``challenge_id``; on success go on
    to the next code, a number to enrol, or the end. A wrong login code may tell the user
    (:mod:`.failed_code`); ``label``: the client's user agent."""
    verdict = verification.verify(state, user, challenge_id, candidate, newest_of_its_login=True)
    return _go_on(state, user, verdict, remember_pc=remember_pc, enrolling=enrolling, label=label)


def submit_recovery(
    state: State,
    user: UserRef,
    challenge_id: str,
    code: str,
    *,
    remember_pc: bool,
    enrolling: Enrolling | None,
    label: str,
) -> SubmitOutcome:
    """:func:`submit` with a (normalized) recovery code instead of the SMS code: the same
    steps after it, and the count of codes left when the login ends."""
    verdict = recovery.use(state, user, challenge_id, code)
    outcome = _go_on(
        state, user, verdict, remember_pc=remember_pc, enrolling=enrolling, label=label
    )
    if isinstance(outcome, Finished):
        return dataclasses.replace(outcome, recovery_left=recovery.left(state, user.user_id))
    return outcome


def _go_on(
    state: State,
    user: UserRef,
    verdict: Verdict,
    *,
    remember_pc: bool,
    enrolling: Enrolling | None,
    label: str,
) -> SubmitOutcome:
    """After a judged code: the verdict itself, or the next code, number or the end. A wrong
    code, SMS or recovery, may tell the user (:mod:`.failed_code`)."""
    if verdict.outcome is Outcome.WRONG:
        failed_code.tell(state, user, verdict, user_agent=label)
    if verdict.outcome is not Outcome.OK or verdict.challenge is None:
        return verdict
    challenge, snap = verdict.challenge, verdict.snapshot
    assert snap is not None  # a right code was judged on what the check read
    if remember_pc:  # whatever step of the login the box was ticked on
        challenge.remember_pc = True
    snap, follow_up = _after_success(state, user, challenge, snap)
    if follow_up is not None:
        return describe(state, user, follow_up.challenge, follow_up, snap)
    backup = enrolment.backup_due(snap, user, enrolling, challenge)
    if backup is not None:
        return NumberNeeded(backup, backup_required=True)
    new_pc = None
    # Judged again now: a forged box, or a policy changed meanwhile, issues nothing.
    if challenge.remember_pc and policy.remember_offered(snap.policy):
        new_pc = remember.issue(state, user, label=label)
    return Finished(challenge.remember_me, challenge.next_url, new_pc, snap.uniquifier)


def _after_success(
    state: State, user: UserRef, challenge: Challenge, snap: UserSnapshot
) -> tuple[UserSnapshot, Issued | None]:
    """A code was right: verify its phone if pending, then issue the next code if one is due.
    Returns the user as he is now (a new snapshot when a number was verified)."""
    if challenge.purpose != LOGIN:
        phone = challenges.phone_of(state, challenge)
        if phone is not None and phone.verified_at is None:
            # A number the administrator left pending beside a verified one: a number change.
            phone_change.settle(state, user, phone)
            snap = snapshot.read(state, user.user_id, user.account_id)
    step = next_phone(snap, done=challenge.purpose)
    if step is None:
        return snap, None
    purpose, phone = step
    request = challenges.Request(
        purpose,
        phone,
        login_id=challenge.login_id,
        remember_me=challenge.remember_me,
        remember_pc=challenge.remember_pc,
        next_url=challenge.next_url,
    )
    return snap, challenges.issue(state, user, request)


@dataclass(frozen=True)
class Resent:
    """What a resend did: the live step afterwards, and whether a new code went out."""

    step: CodeStep
    sent: bool
    #: The masked number the new code went to (or would have gone to).
    to: str
    refusal: Refusal | None


def resend(state: State, user: UserRef, live: Challenge, destination: str) -> Resent:
    """Send a new code to ``destination`` (``primary`` or ``backup``) if the limits allow.

    Login codes go only to verified numbers; a verification step resends to its own number.
    A refused resend leaves the live code alive.
    """
    snap = snapshot.read(state, user.user_id, user.account_id)
    phone: Phone | None
    if live.purpose == LOGIN:
        phone = snap.phone(destination, verified=True)
    else:
        phone = challenges.phone_of(state, live)
    if phone is None:  # no such phone: the live code stays
        return Resent(describe(state, user, live, snap=snap), False, "", None)
    request = challenges.Request(
        live.purpose,
        phone,
        login_id=live.login_id,
        remember_me=live.remember_me,
        remember_pc=live.remember_pc,
        next_url=live.next_url,
    )
    result = challenges.resend(state, user, request)
    if isinstance(result, Refusal):
        return Resent(describe(state, user, live, snap=snap), False, phone.masked, result)
    step = describe(state, user, result.challenge, result, snap)
    return Resent(step, result.sent, phone.masked, None)
