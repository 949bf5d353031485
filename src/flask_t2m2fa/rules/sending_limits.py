"""When a code may be sent: a cool-down, and caps per login, per user and per number.

Pure functions of ``now`` and the past sends; the service counts the sends in the database.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .notices import N_

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Limits:
    """The caps, from the validated configuration."""

    cooldown: timedelta = timedelta(seconds=60)
    per_login: int = 5
    per_user_per_day: int = 10
    per_number_per_day: int = 10


class Refusal(enum.Enum):
    """Why no SMS goes out (kept for the audit trail; the user sees the same page)."""

    COOLDOWN = "cooldown"
    LOGIN_CAP = "login_cap"
    USER_CAP = "user_cap"
    NUMBER_CAP = "number_cap"


#: Why no code was sent, for people (message ids: the web layer translates them).
REASONS = {
    Refusal.COOLDOWN: N_("a code was sent less than a minute ago"),
    Refusal.LOGIN_CAP: N_("this login has had all the codes it may have"),
    Refusal.USER_CAP: N_("you have had all the codes allowed in 24 hours"),
    Refusal.NUMBER_CAP: N_("this number has had all the codes allowed in 24 hours"),
}


@dataclass(frozen=True)
class SendHistory:
    """Past sends: of this user, to this number (any user), and of this login; and whether the
    user's newest code was entered right (see :func:`newest_code_verified`).

    The user's codes and his notices are apart: both count toward his day cap, only a code starts
    the cool-down (a notice is no code he asked for: the first wrong code of a login sends one,
    and his resend must not then be refused as if "a code was sent less than a minute ago").
    """

    user_sends: Sequence[datetime]
    number_sends: Sequence[datetime]
    login_sends: int
    newest_code_verified: bool = False
    #: The user's notices of the last day.
    user_notices: Sequence[datetime] = ()

    def after_send(self, at: datetime) -> SendHistory:
        """The history once a new code went out at ``at`` (to this number, in this login): the
        newest code is that one, not entered yet."""
        return SendHistory(
            (*self.user_sends, at),
            (*self.number_sends, at),
            self.login_sends + 1,
            False,
            self.user_notices,
        )


@dataclass(frozen=True)
class Decision:
    refusal: Refusal | None
    #: The earliest moment another send could be allowed.
    next_send_at: datetime | None

    @property
    def allowed(self) -> bool:
        return self.refusal is None


def _day_cap_frees_at(sends: Sequence[datetime], now: datetime, cap: int) -> datetime | None:
    recent = sorted(at for at in sends if at > now - DAY)
    if len(recent) < cap:
        return None
    return recent[len(recent) - cap] + DAY


def decide(
    now: datetime, history: SendHistory, limits: Limits, *, cooldown: bool = True
) -> Decision:
    """May an SMS go out now? If not, why, and from when on it might.

    The cool-down runs from the user's last code SMS, whatever its number or purpose. It is waived
    while the user's newest code was entered right: the next step (a new number's code after
    the login's or the step-up's) goes out at once, and its own code is then the newest, so the
    waiver serves once. Only the database says a code was entered right: no client replays it.

    :param cooldown: False for a notice, which no user can ask for: only the caps apply.
    """
    last = max(history.user_sends, default=None)
    if history.login_sends >= limits.per_login:
        return Decision(Refusal.LOGIN_CAP, None)
    user_all = (*history.user_sends, *history.user_notices)
    user_free = _day_cap_frees_at(user_all, now, limits.per_user_per_day)
    if user_free is not None:
        return Decision(Refusal.USER_CAP, user_free)
    number_free = _day_cap_frees_at(history.number_sends, now, limits.per_number_per_day)
    if number_free is not None:
        return Decision(Refusal.NUMBER_CAP, number_free)
    waived = history.newest_code_verified
    if cooldown and not waived and last is not None and now < last + limits.cooldown:
        return Decision(Refusal.COOLDOWN, last + limits.cooldown)
    return Decision(None, None)


def newest_code_verified(codes: Sequence[tuple[datetime, bool]]) -> bool:
    """Was the user's newest code entered right? ``codes``: (sent at, entered right) of his
    codes of the cool-down window. At equal times an unused code is the newer: it can only
    have followed the right one (a frozen test clock makes such ties)."""
    if not codes:
        return False
    _at, verified = max(codes, key=lambda code: (code[0], not code[1]))
    return verified


def next_send_at(now: datetime, history: SendHistory, limits: Limits) -> datetime | None:
    """When the next resend is possible, after the sends in ``history``; None: not in this login.

    Computed the same way whether or not the last request sent anything, so the answer does
    not tell whether an SMS went out.
    """
    decision = decide(now, history, limits)
    if decision.allowed:
        return now
    return decision.next_send_at
