"""Sending limits: 60 s cool-down, 5 per login, 10 per user and 10 per number per rolling day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask_t2m2fa.rules.sending_limits import (
    Limits,
    Refusal,
    SendHistory,
    decide,
    newest_code_verified,
    next_send_at,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
L = Limits()


def ago(**kwargs: float) -> datetime:
    return NOW - timedelta(**kwargs)


def history(
    user: list[datetime] | None = None, number: list[datetime] | None = None, login: int = 0
) -> SendHistory:
    return SendHistory(user or [], number or [], login)


def test_a_notice_counts_toward_the_day_cap_but_starts_no_cooldown() -> None:
    just_now = SendHistory([ago(minutes=5)], [], 0, user_notices=[ago(seconds=1)])
    assert decide(NOW, just_now, L).allowed  # the failed-code notice went out a second ago
    full = SendHistory([ago(hours=2)] * 9, [], 0, user_notices=[ago(hours=1)])
    assert decide(NOW, full, L).refusal is Refusal.USER_CAP  # 9 codes + 1 notice: 10 SMS
    assert full.after_send(NOW).user_notices == full.user_notices


def test_first_send_allowed() -> None:
    assert decide(NOW, history(), L).allowed


def test_cooldown_of_sixty_seconds() -> None:
    refused = decide(NOW, history([ago(seconds=59)]), L)
    assert refused.refusal is Refusal.COOLDOWN
    assert refused.next_send_at == ago(seconds=59) + timedelta(seconds=60)
    assert decide(NOW, history([ago(seconds=60)]), L).allowed


def test_five_per_login() -> None:
    assert decide(NOW, history([ago(hours=1)], login=5), L).refusal is Refusal.LOGIN_CAP
    assert decide(NOW, history([ago(hours=1)], login=4), L).allowed


def test_ten_per_user_per_rolling_day() -> None:
    sends = [ago(hours=23)] + [ago(hours=2)] * 9
    refused = decide(NOW, history(sends), L)
    assert refused.refusal is Refusal.USER_CAP
    assert refused.next_send_at == ago(hours=23) + timedelta(days=1)
    assert decide(NOW, history([ago(hours=24, seconds=1)] + [ago(hours=2)] * 9), L).allowed


def test_ten_per_number_per_rolling_day() -> None:
    assert decide(NOW, history(number=[ago(hours=3)] * 10), L).refusal is Refusal.NUMBER_CAP
    assert decide(NOW, history(number=[ago(hours=3)] * 9), L).allowed


def test_next_send_at_is_now_when_allowed() -> None:
    assert next_send_at(NOW, history(), L) == NOW
    assert next_send_at(NOW, history([ago(seconds=10)]), L) == ago(seconds=10) + L.cooldown
    assert next_send_at(NOW, history([ago(hours=1)], login=5), L) is None


def test_step_after_a_correct_code_skips_only_the_cooldown() -> None:
    assert decide(NOW, history([ago(seconds=5)]), L, cooldown=False).allowed
    capped = history([ago(seconds=5)], login=5)
    assert decide(NOW, capped, L, cooldown=False).refusal is Refusal.LOGIN_CAP


def test_cool_down_is_waived_while_the_newest_code_was_entered_right() -> None:
    right = SendHistory([ago(seconds=5)], [], 0, newest_code_verified=True)
    assert decide(NOW, right, L).allowed
    assert decide(NOW, history([ago(seconds=5)]), L).refusal is Refusal.COOLDOWN
    # The caps still apply after a right code.
    capped = SendHistory([ago(seconds=5)], [], 5, newest_code_verified=True)
    assert decide(NOW, capped, L).refusal is Refusal.LOGIN_CAP


def test_the_waiver_serves_once_its_own_code_is_then_the_newest() -> None:
    assert newest_code_verified([(ago(seconds=30), True)])
    assert not newest_code_verified([(ago(seconds=30), True), (ago(seconds=2), False)])
    # At equal times (a frozen test clock) the unused code followed the right one.
    assert not newest_code_verified([(NOW, True), (NOW, False)])
    assert not newest_code_verified([])
