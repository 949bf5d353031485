"""Wrong-code budgets: 3 per challenge, 10 per rolling day, 20 per rolling 30 days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask_t2m2fa.rules.budgets import Budget, Gate, attempts_left, gate, must_lock, paused_until

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
B = Budget()


def ago(**kwargs: float) -> datetime:
    return NOW - timedelta(**kwargs)


def test_open_below_every_budget() -> None:
    assert gate(NOW, [ago(hours=1)] * 9, locked=False, budget=B) is Gate.OPEN


def test_tenth_failure_within_a_rolling_day_pauses() -> None:
    failures = [ago(hours=23, minutes=59)] + [ago(minutes=1)] * 9
    assert gate(NOW, failures, locked=False, budget=B) is Gate.PAUSED
    assert paused_until(NOW, failures, B) == failures[0] + timedelta(days=1)


def test_day_window_rolls() -> None:
    failures = [ago(hours=24, seconds=1)] + [ago(minutes=1)] * 9
    assert gate(NOW, failures, locked=False, budget=B) is Gate.OPEN


def test_twenty_failures_in_thirty_days_lock() -> None:
    failures = [ago(days=29, hours=23)] * 10 + [ago(days=3)] * 10
    assert must_lock(NOW, failures, B)
    assert gate(NOW, failures, locked=False, budget=B) is Gate.LOCKED


def test_thirty_day_window_rolls() -> None:
    failures = [ago(days=30, seconds=1)] * 10 + [ago(days=3)] * 9
    assert not must_lock(NOW, failures, B)


def test_locked_flag_wins() -> None:
    assert gate(NOW, [], locked=True, budget=B) is Gate.LOCKED


def test_attempts_left_per_challenge() -> None:
    assert [attempts_left(n, B) for n in range(5)] == [3, 2, 1, 0, 0]
