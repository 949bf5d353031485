"""What happens to a message after a failed send: pure functions of the facts and ``now``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.errors import Outcome
from gateway.message import DeliveryState


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how soon a temporarily failed message is tried again.

    :param max_attempts: sends tried in all, counting the first one.
    :param base_delay: wait after the first failure; each later failure doubles it.
    :param max_delay: the wait never grows beyond this.
    """

    max_attempts: int = 5
    base_delay: timedelta = timedelta(seconds=5)
    max_delay: timedelta = timedelta(minutes=5)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay <= timedelta(0) or self.max_delay < self.base_delay:
            raise ValueError("need 0 < base_delay <= max_delay")


@dataclass(frozen=True)
class Verdict:
    """The new state of a message after a failed attempt.

    ``next_attempt_at`` is set only when ``state`` is :attr:`DeliveryState.QUEUED`.
    """

    state: DeliveryState
    next_attempt_at: datetime | None = None


def backoff_delay(attempts: int, policy: RetryPolicy) -> timedelta:
    """The wait after ``attempts`` failed sends: base, 2×base, 4×base…, capped at ``max_delay``."""
    exponent = max(attempts - 1, 0)
    # Compare before multiplying so a large attempt count cannot overflow timedelta.
    if exponent >= 32 or policy.base_delay * (1 << exponent) > policy.max_delay:
        return policy.max_delay
    return policy.base_delay * (1 << exponent)


def after_failure(
    outcome: Outcome,
    attempts: int,
    now: datetime,
    expires_at: datetime | None,
    policy: RetryPolicy,
    *,
    failover: bool = False,
) -> Verdict:
    """Decide what becomes of a message whose ``attempts``-th send failed with ``outcome``.

    A send that may have gone out (:attr:`Outcome.UNKNOWN`) is never repeated: a duplicate login
    code is worse than asking the user for a fresh one. A retry that could only happen after the
    message expired is not scheduled: the message expires instead, unless another modem may
    take it over at once (``failover``).
    """
    if outcome is Outcome.UNKNOWN:
        return Verdict(DeliveryState.UNKNOWN)
    if outcome is Outcome.PERMANENT or attempts >= policy.max_attempts:
        return Verdict(DeliveryState.FAILED)
    retry_at = now + backoff_delay(attempts, policy)
    if expires_at is not None and retry_at >= expires_at:
        if failover:
            return Verdict(DeliveryState.QUEUED, expires_at)
        return Verdict(DeliveryState.EXPIRED)
    return Verdict(DeliveryState.QUEUED, retry_at)
