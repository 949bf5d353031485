"""Back-off and the verdict after a failed send: pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.errors import Outcome
from gateway.message import DeliveryState
from gateway.outbox.retry import RetryPolicy, Verdict, after_failure, backoff_delay

NOW = datetime(2026, 11, 28, tzinfo=UTC)
POLICY = RetryPolicy(max_attempts=5, base_delay=timedelta(seconds=5))


def test_backoff_doubles_from_the_base() -> None:
    delays = [backoff_delay(n, POLICY).total_seconds() for n in range(1, 6)]
    assert delays == [5, 10, 20, 40, 80]


@given(st.integers(min_value=0, max_value=10_000))
def test_backoff_never_exceeds_the_cap_and_never_shrinks(attempts: int) -> None:
    delay = backoff_delay(attempts, POLICY)
    assert POLICY.base_delay <= delay <= POLICY.max_delay
    assert backoff_delay(attempts + 1, POLICY) >= delay


def test_temporary_failure_is_retried_later() -> None:
    verdict = after_failure(Outcome.TEMPORARY, 2, NOW, None, POLICY)
    assert verdict == Verdict(DeliveryState.QUEUED, NOW + timedelta(seconds=10))


def test_temporary_failure_on_the_last_attempt_fails() -> None:
    assert after_failure(Outcome.TEMPORARY, 5, NOW, None, POLICY).state is DeliveryState.FAILED


def test_permanent_failure_fails_on_the_first_attempt() -> None:
    assert after_failure(Outcome.PERMANENT, 1, NOW, None, POLICY).state is DeliveryState.FAILED


def test_unknown_outcome_is_never_retried() -> None:
    assert after_failure(Outcome.UNKNOWN, 1, NOW, None, POLICY).state is DeliveryState.UNKNOWN


def test_retry_after_expiry_expires_instead() -> None:
    expires = NOW + timedelta(seconds=9)
    assert after_failure(Outcome.TEMPORARY, 2, NOW, expires, POLICY).state is DeliveryState.EXPIRED


def test_retry_after_expiry_waits_for_failover_when_allowed() -> None:
    expires = NOW + timedelta(seconds=9)
    verdict = after_failure(Outcome.TEMPORARY, 2, NOW, expires, POLICY, failover=True)
    assert verdict == Verdict(DeliveryState.QUEUED, expires)


@pytest.mark.parametrize(
    ("attempts", "base", "cap"),
    [(0, 5, 10), (1, 0, 10), (1, 20, 10)],
)
def test_policy_rejects_nonsense(attempts: int, base: int, cap: int) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(attempts, timedelta(seconds=base), timedelta(seconds=cap))
