"""Notices (DESIGN R-47): what the user is told by SMS, when, and that it fits three SMS.

A notice goes to the user's *verified* number when his second factor is locked, when his number
changes (to the old number) and when a new PC is remembered for him. It never carries a code,
a link that logs in, or a full number. Each kind can be switched off by the host.

The texts are templates with ``%(app)s`` and ``%(date)s``; the English ones below are the
message ids of the translation catalogues (marked with ``N_`` for extraction). A host overrides
a text through ``T2M2FA_NOTICE_TEXTS``; any text, translated or overridden, must fit three
concatenated SMS, GSM-7 or UCS-2 (:func:`render` checks it).

Pure functions: no Flask, no database.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import UTC, datetime

from .sms_text import NOTICE_MAX_SEGMENTS, fits_segments


def N_(text: str) -> str:
    """Mark ``text`` for the catalogues without translating it here."""
    return text


class Notice(enum.Enum):
    """One kind of notice; the value names its config switch and its override key."""

    LOCKED = "lock"
    NUMBER_CHANGED = "number_change"
    NEW_PC = "new_pc"


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
}

#: On by default: lock and number change (R-47); a new PC only when the host asks for it.
DEFAULT_SWITCHES: dict[Notice, bool] = {
    Notice.LOCKED: True,
    Notice.NUMBER_CHANGED: True,
    Notice.NEW_PC: False,
}


class NoticeTextError(ValueError):
    """A notice text does not fit three SMS, or uses an unknown placeholder."""


#: A date as long as any :func:`date_text` (to check a text's length once, at start-up).
LONGEST_DATE = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)


def date_text(moment: datetime) -> str:
    """The moment as shown in a notice: UTC, to the minute, the same in every language."""
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def render(template: str, *, app_name: str, moment: datetime) -> str:
    """Fill ``template``; raise :class:`NoticeTextError` unless it fits three SMS."""
    try:
        text = template % {"app": app_name, "date": date_text(moment)}
    except (KeyError, ValueError, TypeError) as exc:
        raise NoticeTextError(f"a notice text may use only %(app)s and %(date)s: {exc}") from exc
    if not fits_segments(text, NOTICE_MAX_SEGMENTS):
        raise NoticeTextError(
            f"a notice must fit {NOTICE_MAX_SEGMENTS} SMS (459 GSM-7 or 201 UCS-2 characters)"
        )
    return text


def is_due(notice: Notice, switches: Mapping[Notice, bool], *, already_sent: bool) -> bool:
    """Send ``notice`` now? Only when switched on and not yet sent for the same event."""
    return switches.get(notice, DEFAULT_SWITCHES[notice]) and not already_sent
