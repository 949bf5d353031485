"""When a modem counts as stuck, and when its ``--on-stuck`` command may run again: pure rules.

Gammu SMSD's most reported problem is the modem that stops until someone replugs it. A modem
is stuck after ``after_failures`` failed reopen attempts in a row, or when messages waited
``no_send_for`` without one successful send; the command (a ``uhubctl`` power cycle, a GPIO
reset) then runs once per window, and the worker carries on reopening the modem.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class StuckPolicy:
    """:param after_failures: failed reopen attempts in a row that make a modem stuck.
    :param no_send_for: how long messages may wait without one successful send.
    :param window: the command runs at most once per window for one modem.
    """

    after_failures: int = 3
    no_send_for: timedelta = timedelta(minutes=10)
    window: timedelta = timedelta(minutes=10)


class StuckWatch:
    """One modem's signs of being stuck."""

    def __init__(self, policy: StuckPolicy) -> None:
        self.policy = policy
        self.open_failures = 0
        #: Since when messages have waited for this modem without a successful send.
        self.waiting_since: datetime | None = None
        self._last_run: datetime | None = None

    def opened(self) -> None:
        self.open_failures = 0

    def open_failed(self) -> None:
        self.open_failures += 1

    def sent(self) -> None:
        self.waiting_since = None

    def waiting(self, now: datetime) -> None:
        """A message is waiting that this modem could not send (failed, or not open)."""
        if self.waiting_since is None:
            self.waiting_since = now

    def idle(self) -> None:
        """Nothing waits: the modem cannot be late."""
        self.waiting_since = None

    def reason(self, now: datetime) -> str | None:
        """Why the modem is stuck, or None."""
        if self.open_failures >= self.policy.after_failures:
            return f"{self.open_failures} failed reopen attempts in a row"
        if self.waiting_since is not None and now - self.waiting_since >= self.policy.no_send_for:
            minutes = (now - self.waiting_since).total_seconds() / 60
            return f"no successful send for {minutes:.0f} min while messages wait"
        return None

    def due(self, now: datetime) -> bool:
        """Whether the command may run now (once per window); if so, the window starts."""
        if self._last_run is not None and now - self._last_run < self.policy.window:
            return False
        self._last_run = now
        return True
