"""Step-up: an administrator's action needs a second-factor check within a recent window.

A session logged in hours ago (or one left open on a shared PC) must not be enough to turn off
someone's 2FA or read the audit: the last *code* entered must be recent. A remembered PC does
not count, since it is the very thing an attacker at that PC would hold. Pure functions.
"""

from __future__ import annotations

from datetime import datetime, timedelta

#: Talk2M-like default: an administrator re-enters a code after 15 minutes.
DEFAULT_WINDOW = timedelta(minutes=15)


def is_fresh(last_check: datetime | None, *, now: datetime, window: timedelta) -> bool:
    """Was the last second-factor check at most ``window`` before ``now``?

    A check in the future (a clock set back, a forged value) is not fresh.
    """
    if last_check is None:
        return False
    age = now - last_check
    return timedelta(0) <= age <= window
