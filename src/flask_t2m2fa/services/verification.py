"""Check a submitted code: gate, count and consume in one atomic database step."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..events import Event
from ..models import Challenge, Failure, UserSettings
from ..rules import budgets, codes
from ..rules.notices import Notice, WrongCodeFacts
from ..state import State, UserRef
from . import accounts, audit, counters, dialects, notices
from .live_challenges import usable
from .snapshot import UserSnapshot


class Outcome(enum.Enum):
    OK = "ok"
    WRONG = "invalid_code"
    #: No live challenge: expired, used, replaced by a resend, or out of attempts.
    EXPIRED = "code_expired"
    PAUSED = "try_later"
    LOCKED = "locked"


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    challenge: Challenge | None = None
    attempts_left: int = 0
    retry_at: datetime | None = None
    #: What the check read about the user after the lock (None: it read nothing).
    snapshot: UserSnapshot | None = None
    #: For a wrong code: what decides a failed-code notice (:mod:`.failed_code`).
    wrong_code: WrongCodeFacts | None = None

    @property
    def used_up(self) -> bool:
        """A wrong code spent the challenge's last attempt: only a new code can help now."""
        return self.outcome is Outcome.WRONG and self.attempts_left == 0


@dataclass(frozen=True)
class GateState:
    """May this user's codes be evaluated (and may he be sent one) now?"""

    gate: budgets.Gate
    #: When a paused user may try again.
    retry_at: datetime | None = None


def gate_of(state: State, settings: UserSettings, failures: Sequence[datetime]) -> GateState:
    """The wrong-code budgets applied to ``settings``' user now (locked, paused or open)."""
    now, budget = state.now(), state.budget
    gate = budgets.gate(now, failures, locked=settings.locked_at is not None, budget=budget)
    if gate is budgets.Gate.PAUSED:
        return GateState(gate, budgets.paused_until(now, failures, budget))
    return GateState(gate)


def _claim(consume: bool) -> dialects.RowClaim[Challenge]:
    values: dict[str, Any] = {"attempts": Challenge.attempts + 1}
    if consume:
        values["consumed_at"] = sa.bindparam("b_now")
    return dialects.RowClaim(
        Challenge,
        key="b_id",
        values=values,
        where=sa.and_(
            Challenge.user_id == sa.bindparam("b_user_id"),
            usable(Challenge, sa.bindparam("b_now"), sa.bindparam("max_attempts")),
        ),
    )


#: Built once: count a wrong attempt, or count and use up the challenge of a right code.
_CLAIM = {False: _claim(consume=False), True: _claim(consume=True)}


def claim_attempt(
    state: State, user_id: str, challenge_id: str, *, right: bool
) -> Challenge | None:
    """Spend one attempt of a live challenge (and use it up when the code is ``right``), or None
    when it has none left.

    The conditional UPDATE is the check-and-count: a challenge that is used, replaced, expired
    or out of attempts matches no row, whatever other requests do at the same time. The code was
    compared before, on the row read after the lock (its hash never changes); consuming it in
    the same UPDATE keeps it single use.
    """
    params = {
        "b_id": challenge_id,
        "b_user_id": user_id,
        "max_attempts": state.budget.per_challenge,
        "b_now": state.now(),
    }
    return _CLAIM[right].execute(state.session, params)


def verify(
    state: State,
    user: UserRef,
    challenge_id: str,
    candidate: Any,
    *,
    newest_of_its_login: bool = False,
) -> Verdict:
    """Judge ``candidate`` for the user's challenge ``challenge_id`` (or, for a login, the newest
    challenge of its login: the live one). The caller commits.

    Malformed input is a wrong code. A locked or paused user gets the same verdict for a right
    and a wrong code, and the attempt is not counted.
    """
    settings = accounts.lock_settings(state, user.user_id)
    if settings is None:
        return Verdict(Outcome.EXPIRED)
    facts = counters.read_for_verify(
        state, user, settings, challenge_id, newest_of_its_login=newest_of_its_login
    )
    snap, found, failures = facts.snapshot, facts.challenge, facts.failures
    gate = gate_of(state, settings, failures)
    if gate.gate is budgets.Gate.LOCKED:
        return Verdict(Outcome.LOCKED, snapshot=snap)
    if gate.gate is budgets.Gate.PAUSED:
        return Verdict(Outcome.PAUSED, retry_at=gate.retry_at, snapshot=snap)
    if found is None:
        return Verdict(Outcome.EXPIRED, snapshot=snap)
    right = codes.matches(
        state.settings.code_key,
        found.code_hash,
        candidate,
        length=state.settings.code_length,
        challenge_id=found.id,
        purpose=found.purpose,
        user_id=user.user_id,
    )
    challenge = claim_attempt(state, user.user_id, found.id, right=right)
    if challenge is None:
        return Verdict(Outcome.EXPIRED, snapshot=snap)
    if right:
        audit.record(
            state,
            Event.CODE_VERIFIED,
            None,
            account_id=challenge.account_id,
            user_id=user.user_id,
            reason=challenge.purpose,
            destination=challenge.destination,
            challenge_id=challenge.id,
        )
        return Verdict(Outcome.OK, challenge, snapshot=snap)
    well_formed = codes.is_well_formed(candidate, state.settings.code_length)
    kind = "wrong" if well_formed else "malformed"
    return count_failure(state, settings, challenge, failures, facts, kind=kind)


def count_failure(
    state: State,
    settings: UserSettings,
    challenge: Challenge,
    failures: Sequence[datetime],
    facts: counters.VerifyFacts,
    *,
    kind: str,
) -> Verdict:
    """Record a wrong code (``kind``: ``wrong``, ``malformed`` or ``recovery``) whose attempt
    :func:`claim_attempt` counted: a failure for the budgets, the audit, the lock when due."""
    now, budget, snap = state.now(), state.budget, facts.snapshot
    state.session.add(Failure(user_id=settings.user_id, challenge_id=challenge.id, failed_at=now))
    left = budgets.attempts_left(challenge.attempts, budget)
    acc, uid = challenge.account_id, settings.user_id
    reason = f"{kind} attempt={challenge.attempts}"
    audit.record(
        state, Event.CODE_FAILED, None, account_id=acc, user_id=uid, outcome="failed",
        reason=reason, challenge_id=challenge.id,
    )  # fmt: skip
    if left == 0:
        audit.record(
            state, Event.CHALLENGE_EXHAUSTED, None, account_id=acc, user_id=uid, outcome="failed",
            challenge_id=challenge.id,
        )  # fmt: skip
    if budgets.must_lock(now, [*failures, now], budget):
        settings.locked_at = now
        audit.record(
            state, Event.USER_LOCKED, None, account_id=acc, user_id=uid, outcome="locked",
            reason="30-day failure budget spent",
        )  # fmt: skip
        who = UserRef(settings.user_id, challenge.account_id, is_admin=False)
        notices.to_verified(state, who, Notice.LOCKED, event_key=now.isoformat())
        return Verdict(Outcome.LOCKED, challenge, snapshot=snap)
    return Verdict(
        Outcome.WRONG, challenge, attempts_left=left, snapshot=snap, wrong_code=facts.wrong_code
    )
