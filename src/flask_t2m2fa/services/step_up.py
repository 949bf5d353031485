"""Step-up for a logged-in user: a fresh code to his verified primary, and its check.

The code is an ordinary challenge of purpose ``step_up``: same sending limits, same wrong-code
budgets and lock as a login, so step-up is no side door for guessing codes.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..rules import budgets
from ..state import State, UserRef
from . import accounts, challenges, counters, login, verification
from .verification import Outcome, Verdict

STEP_UP = "step_up"


@dataclass(frozen=True)
class NoPhone:
    """The user has no verified primary number: no code can confirm it is him."""


SendOutcome = login.CodeStep | login.Locked | login.Paused | NoPhone


def send_code(state: State, user: UserRef) -> SendOutcome:
    """Send a step-up code to the user's verified primary (within the limits). Caller commits."""
    settings = accounts.settings_of(state, user.user_id)
    phone = accounts.phone_of(state, user.user_id, accounts.PRIMARY, verified=True)
    if settings is None or phone is None:
        return NoPhone()
    gate = verification.gate_of(state, settings, counters.read_failures(state, settings))
    if gate.gate is budgets.Gate.LOCKED:
        return login.Locked()
    if gate.gate is budgets.Gate.PAUSED and gate.retry_at is not None:
        return login.Paused(gate.retry_at)
    issued = challenges.issue(state, user, challenges.Request(STEP_UP, phone))
    return login.describe(state, user, issued.challenge, issued)


def live_step(state: State, user: UserRef, challenge_id: str) -> login.CodeStep | None:
    """The step-up code step ``challenge_id`` as it stands, or None when it is not the user's."""
    from ..models import Challenge

    challenge = state.session.get(Challenge, challenge_id)
    if challenge is None or challenge.user_id != user.user_id or challenge.purpose != STEP_UP:
        return None
    return login.describe(state, user, challenge)


def check(state: State, user: UserRef, challenge_id: str, candidate: object) -> Verdict:
    """Judge a step-up code (counts towards the user's budgets). Caller commits."""
    if live_step(state, user, challenge_id) is None:
        return Verdict(Outcome.EXPIRED)
    return verification.verify(state, user, challenge_id, candidate)
