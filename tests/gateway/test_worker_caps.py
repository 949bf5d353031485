"""Per-SIM caps, cool-down and send-outcome rules: pure functions."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from gateway.errors import ModemDisconnectedError, ModemNotRespondingError, Outcome, SendError
from gateway.worker import CoolDownPolicy, SimCaps, SimUsage, Wakeup, cap_state
from gateway.worker.cooldown import FailureStreak, blames_modem, reopen_delay
from gateway.worker.outcomes import classify_send_exception

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def sends(*seconds_ago: float, key: str = "67abc") -> SimUsage:
    return SimUsage((NOW - timedelta(seconds=s), key) for s in seconds_ago)


def test_no_caps_reached_allows_anything() -> None:
    state = cap_state(SimCaps(), sends(5, 10), NOW)
    assert (state.blocked_until, state.only_to, state.reason) == (None, None, None)


def test_per_minute_cap_blocks_until_the_oldest_send_leaves_the_window() -> None:
    state = cap_state(SimCaps(per_minute=3), sends(50, 20, 10, 70), NOW)
    assert state.blocked_until == NOW + timedelta(seconds=10)
    assert state.reason == "3 per minute"


def test_per_day_cap_blocks_until_the_oldest_counted_send_is_a_day_old() -> None:
    caps = SimCaps(per_minute=None, per_day=2)
    state = cap_state(caps, sends(3600, 7200), NOW)
    assert state.blocked_until == NOW + timedelta(hours=22)


def test_recipient_cap_limits_to_known_recipients() -> None:
    caps = SimCaps(recipients_per_day=2)
    history = sends(100, key="01aaa")
    history.record(NOW - timedelta(seconds=90), "02bbb")
    state = cap_state(caps, history, NOW)
    assert state.blocked_until is None
    assert state.only_to == frozenset({"01aaa", "02bbb"})
    assert state.reason == "2 distinct recipients per day"


def test_usage_forgets_sends_older_than_a_day() -> None:
    usage = sends(86_401, 86_399, 30)
    usage.record(NOW, "x")
    usage.prune(NOW)
    assert [key for _, key in usage.day] == ["67abc", "67abc", "x"]
    assert usage.recipients == {"67abc": 2, "x": 1}
    assert len(usage.minute) == 2


def test_recipient_cap_lifts_when_old_recipients_leave_the_day() -> None:
    caps = SimCaps(recipients_per_day=1)
    usage = sends(86_000, key="01aaa")
    assert cap_state(caps, usage, NOW).only_to == frozenset({"01aaa"})
    assert cap_state(caps, usage, NOW + timedelta(seconds=400)).only_to is None


def test_streak_starts_a_rest_after_block_after_failures() -> None:
    streak = FailureStreak(CoolDownPolicy(block_after=3, block_time=timedelta(minutes=10)))
    assert streak.failure(NOW) is None
    streak.success()
    assert streak.failure(NOW) is None and streak.failure(NOW) is None
    assert streak.failure(NOW) == NOW + timedelta(minutes=10)
    assert streak.resting(NOW + timedelta(minutes=9))
    assert not streak.resting(NOW + timedelta(minutes=10))


def test_reopen_delay_doubles_up_to_the_maximum() -> None:
    policy = CoolDownPolicy()
    delays = [reopen_delay(n, policy).total_seconds() for n in (1, 2, 3, 7, 100)]
    assert delays == [1, 2, 4, 60, 60]


def test_only_sim_and_network_errors_count_against_the_modem() -> None:
    assert blames_modem(SendError("congestion", outcome=Outcome.TEMPORARY, cms_code=42))
    assert blames_modem(SendError("barred", outcome=Outcome.PERMANENT, cms_code=8))
    assert blames_modem(SendError("timeout", outcome=Outcome.UNKNOWN))
    assert not blames_modem(SendError("unassigned", outcome=Outcome.PERMANENT, cms_code=1))
    assert not blames_modem(SendError("text too long", outcome=Outcome.PERMANENT))


def test_send_exceptions_map_to_outcomes() -> None:
    refused = SendError("congestion", outcome=Outcome.TEMPORARY, cms_code=42)
    assert classify_send_exception(refused).error is refused
    assert not classify_send_exception(refused).modem_broken
    unplugged = classify_send_exception(ModemDisconnectedError("gone"))
    assert (unplugged.error.outcome, unplugged.modem_broken) == (Outcome.TEMPORARY, True)
    silent = classify_send_exception(ModemNotRespondingError("no answer"))
    assert (silent.error.outcome, silent.modem_broken) == (Outcome.TEMPORARY, True)
    bug = classify_send_exception(RuntimeError("oops"))
    assert bug.error.outcome is Outcome.UNKNOWN
    assert bug.error.reason == "unexpected RuntimeError while sending"


def test_wakeup_is_not_lost_between_check_and_wait() -> None:
    wakeup = Wakeup()
    seen = wakeup.generation
    wakeup.notify()
    assert wakeup.wait(seen, timeout=5)
    assert not wakeup.wait(wakeup.generation, timeout=0.01)


def test_wakeup_close_releases_waiters() -> None:
    wakeup = Wakeup()
    results: list[bool] = []
    waiter = threading.Thread(target=lambda: results.append(wakeup.wait(wakeup.generation, 30)))
    waiter.start()
    wakeup.close()
    waiter.join(5)
    assert results == [True]
