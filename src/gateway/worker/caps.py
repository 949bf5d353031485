"""Per-SIM sending caps: pure functions of the SIM's recent sends and ``now``.

Operators bar SIMs that look like bulk senders (BT: more than 300 distinct recipients in 24 h),
so a SIM over a cap waits while other modems carry the load.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class SimCaps:
    """Limits for one SIM; ``None`` means no limit.

    The defaults stay under the published operator thresholds (CTIA: 15–60 per minute and about
    1,000 a day for a person; BT: 300 distinct recipients a day).
    """

    per_minute: int | None = 30
    per_day: int | None = 1000
    recipients_per_day: int | None = 250


@dataclass(frozen=True)
class CapState:
    """What a SIM may send now.

    :param blocked_until: nothing may be sent before this time (a count cap is reached).
    :param only_to: the distinct-recipient cap is reached: only these recipients (keys from
        :func:`gateway.outbox.recipient_key`) may still get a message today.
    :param reason: why the SIM is limited, for ``status``.
    """

    blocked_until: datetime | None = None
    only_to: frozenset[str] | None = None
    reason: str | None = None


class SimUsage:
    """The ``(sent_at, recipient_key)`` of a SIM's sends in the last 24 hours, oldest first."""

    def __init__(self, sends: Iterable[tuple[datetime, str]] = ()) -> None:
        self._sends: deque[tuple[datetime, str]] = deque(sorted(sends))

    def record(self, sent_at: datetime, key: str) -> None:
        self._sends.append((sent_at, key))

    def recent(self, now: datetime) -> list[tuple[datetime, str]]:
        """Sends in the 24 hours before ``now``; older ones are forgotten."""
        while self._sends and self._sends[0][0] <= now - DAY:
            self._sends.popleft()
        return list(self._sends)


def cap_state(caps: SimCaps, sends: list[tuple[datetime, str]], now: datetime) -> CapState:
    """Apply ``caps`` to ``sends`` (those of the last 24 h, oldest first)."""
    last_minute = [at for at, _ in sends if at > now - MINUTE]
    if caps.per_minute is not None and len(last_minute) >= caps.per_minute:
        until = last_minute[-caps.per_minute] + MINUTE
        return CapState(blocked_until=until, reason=f"{caps.per_minute} per minute")
    if caps.per_day is not None and len(sends) >= caps.per_day:
        until = sends[-caps.per_day][0] + DAY
        return CapState(blocked_until=until, reason=f"{caps.per_day} per day")
    recipients = frozenset(key for _, key in sends)
    if caps.recipients_per_day is not None and len(recipients) >= caps.recipients_per_day:
        reason = f"{caps.recipients_per_day} distinct recipients per day"
        return CapState(only_to=recipients, reason=reason)
    return CapState()
