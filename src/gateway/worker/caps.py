"""Per-SIM sending caps: what a SIM may send, from its recent sends and ``now``.

Operators bar SIMs that look like bulk senders (BT: more than 300 distinct recipients in 24 h),
so a SIM over a cap waits while other modems carry the load.
"""

from __future__ import annotations

from collections import Counter, deque
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
    """A SIM's sends of the last 24 hours, kept so each cap check costs O(1), not O(sends).

    A busy SIM checks its caps before every message; rescanning a day of sends each time
    would make a long drain quadratic.
    """

    def __init__(self, sends: Iterable[tuple[datetime, str]] = ()) -> None:
        self.day: deque[tuple[datetime, str]] = deque()
        self.minute: deque[datetime] = deque()
        self.recipients: Counter[str] = Counter()
        for sent_at, key in sorted(sends):
            self.record(sent_at, key)

    def record(self, sent_at: datetime, key: str) -> None:
        self.day.append((sent_at, key))
        self.minute.append(sent_at)
        self.recipients[key] += 1

    def prune(self, now: datetime) -> None:
        """Forget sends that left the one-minute and one-day windows before ``now``."""
        while self.minute and self.minute[0] <= now - MINUTE:
            self.minute.popleft()
        while self.day and self.day[0][0] <= now - DAY:
            _, key = self.day.popleft()
            self.recipients[key] -= 1
            if not self.recipients[key]:
                del self.recipients[key]


def cap_state(caps: SimCaps, usage: SimUsage, now: datetime) -> CapState:
    """Apply ``caps`` to the SIM's ``usage`` as of ``now``."""
    usage.prune(now)
    if caps.per_minute is not None and len(usage.minute) >= caps.per_minute:
        until = usage.minute[-caps.per_minute] + MINUTE
        return CapState(blocked_until=until, reason=f"{caps.per_minute} per minute")
    if caps.per_day is not None and len(usage.day) >= caps.per_day:
        until = usage.day[-caps.per_day][0] + DAY
        return CapState(blocked_until=until, reason=f"{caps.per_day} per day")
    recipients = caps.recipients_per_day
    if recipients is not None and len(usage.recipients) >= recipients:
        reason = f"{recipients} distinct recipients per day"
        return CapState(only_to=frozenset(usage.recipients), reason=reason)
    return CapState()
