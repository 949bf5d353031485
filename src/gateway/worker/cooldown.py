"""Setting a failing modem aside, and waiting before reopening one: pure rules.

Like smstools3's ``blockafter``/``blocktime``: after a run of failed sends a modem rests for a
while and the other modems carry the load.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.errors import Outcome, SendError

#: ``+CMS ERROR`` codes that blame the recipient, not the SIM or the modem (unassigned number).
RECIPIENT_FAULTS = frozenset({1})


@dataclass(frozen=True)
class CoolDownPolicy:
    """:param block_after: failed sends in a row before the modem is set aside.
    :param block_time: how long it rests.
    :param reopen_base: first wait before reopening a modem that failed; doubles each time.
    :param reopen_max: the longest wait between reopen tries.
    """

    block_after: int = 3
    block_time: timedelta = timedelta(minutes=10)
    reopen_base: timedelta = timedelta(seconds=1)
    reopen_max: timedelta = timedelta(seconds=60)


def blames_modem(error: SendError) -> bool:
    """Whether a failed send counts against the modem (and towards a cool-down)."""
    if error.outcome is not Outcome.PERMANENT:
        return True
    # A permanent error with no network code comes from our side (text, number), not the SIM.
    return error.cms_code is not None and error.cms_code not in RECIPIENT_FAULTS


def reopen_delay(failures: int, policy: CoolDownPolicy) -> timedelta:
    """The wait after ``failures`` failed opens in a row: 1 s, 2 s, 4 s… up to the maximum."""
    delay = policy.reopen_base * (1 << min(max(failures - 1, 0), 16))
    return min(delay, policy.reopen_max)


class FailureStreak:
    """Counts a modem's failed sends in a row and says when it must rest."""

    def __init__(self, policy: CoolDownPolicy) -> None:
        self.policy = policy
        self.count = 0
        self.resting_until: datetime | None = None

    def success(self) -> None:
        self.count = 0

    def failure(self, now: datetime) -> datetime | None:
        """Record a failure; return the end of the rest it starts, if it starts one."""
        self.count += 1
        if self.count < self.policy.block_after:
            return None
        self.count = 0
        self.resting_until = now + self.policy.block_time
        return self.resting_until

    def resting(self, now: datetime) -> bool:
        return self.resting_until is not None and now < self.resting_until
