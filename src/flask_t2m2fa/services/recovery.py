"""Recovery codes: make a set, count what is left, use one at a login's code step, void them.

Only argon2id hashes are stored (``rules.recovery`` has the format). Using a code is a second
factor like an SMS code, under the same rules: the user's settings row is locked first, the
wrong-code budgets gate the check, a wrong code spends an attempt of the login's live code and
counts a failure (so it leads to the same pause and lock), and a right one uses up both the
recovery code (a conditional UPDATE: of two requests with the same code exactly one wins) and
the live SMS code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..events import Event
from ..models import RecoveryCode
from ..rules import budgets
from ..rules import recovery as rule
from ..rules.notices import Notice
from ..state import State, UserRef
from . import accounts, audit, counters, notices
from .challenges import LOGIN
from .verification import Outcome, Verdict, claim_attempt, count_failure, gate_of

#: argon2id passes; the memory is the setting ``T2M2FA_RECOVERY_HASH_MEMORY_KIB``.
TIME_COST = 2


def _hasher(state: State) -> PasswordHasher:
    memory = state.settings.recovery_hash_memory_kib
    return PasswordHasher(time_cost=TIME_COST, memory_cost=memory, parallelism=1)


@dataclass(frozen=True)
class Holding:
    """What the administrator sees of one user's codes."""

    #: Codes in the user's current set, used ones included (0: he never made any, or they
    #: were voided).
    total: int
    left: int


#: A user without codes.
NONE = Holding(0, 0)


def allowed(state: State, account_id: str) -> bool:
    """Does the account's policy allow recovery codes now?"""
    return accounts.policy_for(state, account_id).recovery_codes_allowed


def allowed_for(state: State, user_id: str) -> bool:
    """:func:`allowed` for the account of a user at a login's code step (his settings row)."""
    settings = accounts.settings_of(state, user_id)
    return settings is not None and allowed(state, settings.account_id)


def offered(state: State, user_id: str, purpose: str) -> bool:
    """Is "Use a recovery code" offered: a login's code step, codes allowed, codes left?"""
    return purpose == LOGIN and allowed_for(state, user_id) and left(state, user_id) > 0


def generate(state: State, user: UserRef) -> list[str] | None:
    """A new set for ``user`` (normalized codes, to show once); the previous set dies. None
    when he has no verified primary number (codes stand in for a phone he has) or his account's
    policy turned them off.

    The caller commits. The settings row is locked first, so a login using an old code at the
    same moment either finishes before the new set exists or finds its code gone.
    """
    settings = accounts.lock_settings(state, user.user_id)
    primary = accounts.phone_of(state, user.user_id, accounts.PRIMARY, verified=True)
    if settings is None or primary is None or not allowed(state, user.account_id):
        return None
    now = state.now()
    codes = rule.generate_set()
    hasher, key = _hasher(state), state.settings.code_key
    state.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.user_id))
    for code in codes:
        state.session.add(
            RecoveryCode(
                user_id=user.user_id,
                account_id=user.account_id,
                tag=rule.tag(key, user.user_id, code),
                code_hash=hasher.hash(code),
                created_at=now,
            )
        )
    audit.record(state, Event.RECOVERY_CODES_GENERATED, user, reason=f"{len(codes)} codes")
    return codes


def left(state: State, user_id: str) -> int:
    """Unused codes of ``user_id``."""
    query = sa.select(sa.func.count()).where(
        RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
    )
    return int(state.session.scalar(query) or 0)


def holdings(state: State, user_ids: Iterable[str]) -> dict[str, Holding]:
    """Each listed user's codes, in one statement; users without codes are absent."""
    ids = list(user_ids)
    if not ids:
        return {}
    unused = sa.case((RecoveryCode.used_at.is_(None), 1), else_=0)
    query = (
        sa.select(RecoveryCode.user_id, sa.func.count(), sa.func.sum(unused))
        .where(RecoveryCode.user_id.in_(ids))
        .group_by(RecoveryCode.user_id)
    )
    return {
        uid: Holding(int(total), int(unused_count or 0))
        for uid, total, unused_count in state.session.execute(query)
    }


def void(state: State, user: UserRef, actor: UserRef | None) -> int:
    """Delete ``user``'s codes (an administrator, ``actor``, voids them); how many were left."""
    accounts.lock_settings(state, user.user_id)
    remaining = left(state, user.user_id)
    state.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.user_id))
    audit.record(state, Event.RECOVERY_CODES_VOIDED, user, reason=f"{remaining} left", actor=actor)
    return remaining


def _matching(state: State, user_id: str, code: str) -> RecoveryCode | None:
    """The unused code row ``code`` is, checked with the slow hash; None when none is."""
    rows = state.session.scalars(
        sa.select(RecoveryCode).where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.used_at.is_(None),
            RecoveryCode.tag == rule.tag(state.settings.code_key, user_id, code),
        )
    ).all()
    hasher = _hasher(state)
    for row in rows:
        try:
            hasher.verify(row.code_hash, code)
        except (VerificationError, InvalidHashError):
            continue
        return row
    return None


def _mark(state: State, row_id: int, *, used: bool) -> bool:
    """Mark the code used unless another request did first (the row is the arbiter), or give
    it back; True when the row changed. ``rowcount``, not ``RETURNING``: MariaDB has no
    ``UPDATE … RETURNING``."""
    was_used = RecoveryCode.used_at.is_(None) if used else RecoveryCode.used_at.is_not(None)
    result = state.session.execute(
        sa.update(RecoveryCode)
        .where(RecoveryCode.id == row_id, was_used)
        .values(used_at=state.now() if used else None)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def use(state: State, user: UserRef, challenge_id: str, code: str) -> Verdict:
    """Judge the normalized recovery ``code`` at the code step of the login of ``challenge_id``.

    The same gates and counts as :func:`verification.verify`: locked or paused users get the
    same answer for a right and a wrong code and nothing is counted; no live login code
    (expired, used, out of attempts) is ``EXPIRED``. Only a login's code step takes one: the
    steps that verify a new number need the SMS code that proves it. The caller commits.
    """
    settings = accounts.lock_settings(state, user.user_id)
    if settings is None:
        return Verdict(Outcome.EXPIRED)
    facts = counters.read_for_verify(state, user, settings, challenge_id, newest_of_its_login=True)
    snap, found, failures = facts.snapshot, facts.challenge, facts.failures
    gate = gate_of(state, settings, failures)
    if gate.gate is budgets.Gate.LOCKED:
        return Verdict(Outcome.LOCKED, snapshot=snap)
    if gate.gate is budgets.Gate.PAUSED:
        return Verdict(Outcome.PAUSED, retry_at=gate.retry_at, snapshot=snap)
    if found is None or found.purpose != LOGIN or not snap.policy.recovery_codes_allowed:
        return Verdict(Outcome.EXPIRED, snapshot=snap)
    row = _matching(state, user.user_id, code)
    if row is not None and not _mark(state, row.id, used=True):
        row = None  # another request used it first: for this one it is a wrong code
    challenge = claim_attempt(state, user.user_id, found.id, right=row is not None)
    if challenge is None:
        if row is not None:  # the login's code went meanwhile: the recovery code stays good
            _mark(state, row.id, used=False)
        return Verdict(Outcome.EXPIRED, snapshot=snap)
    if row is None:
        return count_failure(state, settings, challenge, failures, facts, kind="recovery")
    audit.record(
        state,
        Event.RECOVERY_CODE_USED,
        user,
        reason=f"{left(state, user.user_id)} left",
        challenge_id=challenge.id,
    )
    notices.to_verified(state, user, Notice.RECOVERY_USED, event_key=str(row.id))
    return Verdict(Outcome.OK, challenge, snapshot=snap)
