"""Notices (DESIGN R-47): what the user is told by SMS, when, and that it fits three SMS.

A notice goes to the user's *verified* number when his second factor is locked, when his number
changes (to the old number), when a new PC is remembered for him, and when a login whose password
was right gets its first wrong code (ASVS 6.3.5: the password is known; :func:`failed_code_due`).
It never carries a code, a link that logs in, or a full number. Each kind can be switched off by
the host.

The texts are templates with ``%(app)s`` and ``%(date)s`` (and ``%(device)s``, "Firefox on
Windows", in the failed-code notice); the English ones below are the
message ids of the translation catalogues (marked with ``N_`` for extraction). A host overrides
a text through ``T2M2FA_NOTICE_TEXTS``; any text, translated or overridden, must fit three
concatenated SMS, GSM-7 or UCS-2 (:func:`render` checks it).

Pure functions: no Flask, no database.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from .sms_text import NOTICE_MAX_SEGMENTS, fits_segments

if TYPE_CHECKING:  # sending_limits imports N_ from here: the type alone, no import cycle
    from .sending_limits import Limits


def N_(text: str) -> str:
    """Mark ``text`` for the catalogues without translating it here."""
    return text


class Notice(enum.Enum):
    """One kind of notice; the value names its config switch and its override key."""

    LOCKED = "lock"
    NUMBER_CHANGED = "number_change"
    NEW_PC = "new_pc"
    FAILED_CODE = "failed_code"
    RECOVERY_USED = "recovery_used"


#: The English texts (message ids of the catalogues).
TEXTS: dict[Notice, str] = {
    Notice.LOCKED: N_(
        "%(app)s: your login codes were locked on %(date)s after too many wrong codes. "
        "Ask your administrator to unlock them."
    ),
    Notice.NUMBER_CHANGED: N_(
        "%(app)s: the number for your account was changed on %(date)s. "
        "If this was not you, contact your administrator."
    ),
    Notice.NEW_PC: N_(
        "%(app)s: a new PC was remembered for your account on %(date)s. "
        "If this was not you, contact your administrator."
    ),
    Notice.FAILED_CODE: N_(
        "%(app)s: your password and a wrong code were entered on %(date)s from %(device)s. "
        "Not you? Change your password."
    ),
    Notice.RECOVERY_USED: N_(
        "%(app)s: a recovery code was used to log in to your account on %(date)s. "
        "If this was not you, contact your administrator."
    ),
}

#: On by default: lock, number change (R-47) and failed code; a new PC only when the host asks.
DEFAULT_SWITCHES: dict[Notice, bool] = {
    Notice.LOCKED: True,
    Notice.NUMBER_CHANGED: True,
    Notice.NEW_PC: False,
    Notice.FAILED_CODE: True,
    Notice.RECOVERY_USED: True,
}


class NoticeTextError(ValueError):
    """A notice text does not fit three SMS, or uses an unknown placeholder."""


#: A date as long as any :func:`date_text` (to check a text's length once, at start-up).
LONGEST_DATE = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
#: A ``%(device)s`` as long as any in English (the names of ``user_agents.names``).
LONGEST_DEVICE = "Firefox on ChromeOS"


def date_text(moment: datetime) -> str:
    """The moment as shown in a notice: UTC, to the minute, the same in every language."""
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def render(template: str, *, app_name: str, moment: datetime, device: str | None = None) -> str:
    """Fill ``template``; raise :class:`NoticeTextError` unless it fits three SMS.

    :param device: the browser and system, for the failed-code notice alone (None: the text
        may not use ``%(device)s``).
    """
    values = {"app": app_name, "date": date_text(moment)}
    if device is not None:
        values["device"] = device
    try:
        text = template % values
    except (KeyError, ValueError, TypeError) as exc:
        allowed = ", ".join(f"%({name})s" for name in values)
        raise NoticeTextError(f"this notice text may use only {allowed}: {exc}") from exc
    if not fits_segments(text, NOTICE_MAX_SEGMENTS):
        raise NoticeTextError(
            f"a notice must fit {NOTICE_MAX_SEGMENTS} SMS (459 GSM-7 or 201 UCS-2 characters)"
        )
    return text


_LABEL = "notice-"


def sent_label(notice: Notice) -> str:
    """What a notice's send record holds in place of a login (a notice is in no login)."""
    return f"{_LABEL}{notice.value}"


def is_notice_label(login_id: str | None) -> bool:
    """Is this send record's login a notice's (:func:`sent_label`)? A login id is hex."""
    return login_id is not None and login_id.startswith(_LABEL)


def is_due(notice: Notice, switches: Mapping[Notice, bool], *, already_sent: bool) -> bool:
    """Send ``notice`` now? Only when switched on and not yet sent for the same event."""
    return switches.get(notice, DEFAULT_SWITCHES[notice]) and not already_sent


#: At most one failed-code notice per user in this time (a guesser must not flood the phone).
FAILED_CODE_QUIET = timedelta(hours=1)


@dataclass(frozen=True)
class WrongCodeFacts:
    """What the verify step read about a wrong login code, before counting it."""

    #: Wrong codes of the same login before this one (every challenge of the login).
    earlier_in_login: int
    #: The user's newest failed-code notice within :data:`FAILED_CODE_QUIET` (None: none).
    last_notice_at: datetime | None
    #: SMS of the last day by the user, and to his verified primary (any user).
    user_sends_today: int
    number_sends_today: int


class NotDue(enum.Enum):
    """Why no failed-code notice goes out (the caps are audited as a refused notice)."""

    OFF = "off"
    NOT_FIRST = "not_first"
    RECENT = "recent"
    USER_CAP = "user_cap"
    NUMBER_CAP = "number_cap"


def failed_code_due(
    now: datetime, facts: WrongCodeFacts, *, switched_on: bool, limits: Limits
) -> NotDue | None:
    """Is a failed-code notice due for this wrong code? None: yes; else why not.

    Only the first wrong code of a login tells (the next ones say nothing new), at most once per
    user per hour, and within the per-user and per-number SMS caps of the codes: a notice never
    takes an SMS a code would need beyond what the caps already allow.
    """
    if not switched_on:
        return NotDue.OFF
    if facts.earlier_in_login:
        return NotDue.NOT_FIRST
    if facts.last_notice_at is not None and now - facts.last_notice_at < FAILED_CODE_QUIET:
        return NotDue.RECENT
    if facts.user_sends_today >= limits.per_user_per_day:
        return NotDue.USER_CAP
    if facts.number_sends_today >= limits.per_number_per_day:
        return NotDue.NUMBER_CAP
    return None
