"""How many wrong codes a user may enter: per challenge, per rolling day, per rolling 30 days.

Pure functions of ``now`` and plain values. The 30-day budget is not reset by a success: once
spent, the second factor stays locked until an administrator unlocks it.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

DAY = timedelta(days=1)
THIRTY_DAYS = timedelta(days=30)


@dataclass(frozen=True)
class Budget:
    """The caps, from the validated configuration."""

    per_challenge: int = 3
    per_day: int = 10
    per_30_days: int = 20


class Gate(enum.Enum):
    """Whether a submitted code may be evaluated at all."""

    OPEN = "open"
    #: The rolling-day budget is spent: nothing is evaluated until the oldest failure ages out.
    PAUSED = "paused"
    #: The 30-day budget was spent: an administrator must unlock the user.
    LOCKED = "locked"


def count_since(failures: Sequence[datetime], since: datetime) -> int:
    """How many of ``failures`` happened after ``since``."""
    return sum(1 for at in failures if at > since)


def gate(now: datetime, failures: Sequence[datetime], *, locked: bool, budget: Budget) -> Gate:
    """Decide before evaluating a code, from the user's counted failures (oldest first).

    ``failures`` holds only those that still count: within 30 days and after the last unlock.
    """
    if locked or count_since(failures, now - THIRTY_DAYS) >= budget.per_30_days:
        return Gate.LOCKED
    if count_since(failures, now - DAY) >= budget.per_day:
        return Gate.PAUSED
    return Gate.OPEN


def must_lock(now: datetime, failures: Sequence[datetime], budget: Budget) -> bool:
    """True once the failures of the last 30 days (this one included) reach the cap."""
    return count_since(failures, now - THIRTY_DAYS) >= budget.per_30_days


def paused_until(now: datetime, failures: Sequence[datetime], budget: Budget) -> datetime:
    """When a paused user may try again: when enough of the day's failures have aged out."""
    recent = sorted(at for at in failures if at > now - DAY)
    excess = len(recent) - budget.per_day
    return recent[excess] + DAY if excess >= 0 else now


def attempts_left(attempts: int, budget: Budget) -> int:
    """Wrong codes a challenge still accepts."""
    return max(0, budget.per_challenge - attempts)


def challenge_usable(
    *,
    consumed: bool,
    superseded: bool,
    expires_at: datetime,
    attempts: int,
    now: datetime,
    budget: Budget,
) -> bool:
    """May a code still be entered for this challenge? Not used, not replaced by a newer one,
    not expired, attempts left. The one definition: ``services.live_challenges.usable`` is its
    SQL mirror (the atomic claim's condition), and a test proves the two agree."""
    return not consumed and not superseded and expires_at > now and attempts < budget.per_challenge
