"""What the code step tells people, in one place: each sentence true when it is shown.

Times are relative for people ("in 42 s"); JSON answers carry the absolute time beside them.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from markupsafe import Markup

from ..i18n import gettext as _
from ..i18n import ngettext
from ..rules.notices import N_
from ..rules.phones import UNUSABLE
from ..rules.sending_limits import REASONS, Refusal
from ..services.login import CodeStep
from ..services.verification import Outcome, Verdict

#: The codes of a user who is logged in already (no "log in again" for them).
_SIGNED_IN_PURPOSES = ("step_up", "change_phone")
#: A code sent this recently was sent "now", as far as a person reading the page can tell.
_JUST_NOW = timedelta(seconds=10)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def seconds_until(moment: datetime, now: datetime) -> int:
    return max(0, math.ceil((moment - now).total_seconds()))


def relative(moment: datetime, now: datetime) -> str:
    """``now``, ``in 42 s``, ``in 3 min``, ``in 2 h 5 min`` (rounded up: never too early)."""
    seconds = seconds_until(moment, now)
    if seconds == 0:
        return _("now")
    if seconds < 60:
        return _("in %(seconds)s s", seconds=seconds)
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return _("in %(minutes)s min", minutes=minutes)
    hours, minutes = divmod(minutes, 60)
    if minutes:
        return _("in %(hours)s h %(minutes)s min", hours=hours, minutes=minutes)
    return _("in %(hours)s h", hours=hours)


def ago(moment: datetime, now: datetime) -> str:
    """``12 s ago``, ``3 min ago``, ``2 h ago``, ``5 d ago`` (rounded down)."""
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return _("%(seconds)s s ago", seconds=seconds)
    if seconds < 3600:
        return _("%(minutes)s min ago", minutes=seconds // 60)
    if seconds < 86400:
        return _("%(hours)s h ago", hours=seconds // 3600)
    return _("%(days)s d ago", days=seconds // 86400)


def when(moment: datetime, now: datetime) -> Markup:
    """A past moment for a page: to the second in UTC, and how long ago (``<time>``)."""
    shown = moment.strftime("%Y-%m-%d %H:%M:%S")
    return Markup('<time datetime="{}">{} UTC</time> <span class="t2m2fa-ago">({})</span>').format(
        iso(moment), shown, ago(moment, now)
    )


def when_next(step: CodeStep, now: datetime) -> str:
    """When another code can be asked for, as a sentence."""
    if step.next_send_at is None:
        if step.purpose in _SIGNED_IN_PURPOSES:  # he is logged in: no "log in again"
            return _("No more codes can be sent now: try again later.")
        return _("No more codes can be sent for this login: log in again later.")
    if step.next_send_at <= now:
        return _("You can ask for a new code now.")
    return _("You can ask for a new code %(when)s.", when=relative(step.next_send_at, now))


def _why(refusal: Refusal | None, default: str) -> str:
    """Why no code was sent, translated."""
    return _(REASONS.get(refusal, default) if refusal else default)


def step_status(step: CodeStep, now: datetime, *, say_next: bool = True) -> str:
    """The main sentence of the code step: whether and when a code went to which phone.

    :param say_next: end with when the next code can be asked for. The code page passes False:
        its own line below counts that down live, and a second, frozen "in 54 s" would lie.
    """
    phone = step.masked
    if step.send_failed:
        if step.backup_available:
            return _("We could not send the SMS to %(phone)s — try your backup phone.", phone=phone)
        return _("We could not send the SMS to %(phone)s.", phone=phone)
    if step.delivery == "not_delivered":
        reason = f" ({step.delivery_reason})" if step.delivery_reason else ""
        if step.backup_available:
            return _(
                "The SMS to %(phone)s was not delivered%(reason)s — send it to your backup phone?",
                phone=phone,
                reason=reason,
            )
        return _("The SMS to %(phone)s was not delivered%(reason)s", phone=phone, reason=reason)
    nxt = when_next(step, now) if say_next else ""
    if step.code_sent_at is None:
        if step.refusal is None:  # the limits that stopped it allow a code now
            return _("No code was sent to %(phone)s. %(next)s", phone=phone, next=nxt).rstrip()
        why = _why(step.refusal, N_("limits"))
        said = _("No code was sent to %(phone)s: %(why)s. %(next)s", phone=phone, why=why, next=nxt)
        return said.rstrip()
    if not step.code_usable:
        return _(
            "The code sent to %(phone)s can no longer be used. %(next)s", phone=phone, next=nxt
        ).rstrip()
    if step.new_code or now - step.code_sent_at < _JUST_NOW:
        return _("We sent a code by SMS to %(phone)s.", phone=phone)
    return _(
        "We sent a code by SMS to %(phone)s %(ago)s; it is still valid: enter it.",
        phone=phone,
        ago=ago(step.code_sent_at, now),
    )


def resend_notice(
    sent: bool,
    to: str,
    refusal: Refusal | None,
    step: CodeStep,
    now: datetime,
    *,
    say_next: bool = True,
) -> str:
    """What a resend did (``say_next``: as in :func:`step_status`)."""
    if sent:
        return _("A new code was sent to %(phone)s. Codes sent before it no longer work.", phone=to)
    if not to:
        return _("There is no such phone for your account: no code was sent.")
    why = _why(refusal, N_("the sending limits"))
    return _(
        "No new code was sent to %(phone)s: %(why)s. %(next)s",
        phone=to,
        why=why,
        next=when_next(step, now) if say_next else "",
    ).rstrip()


def verdict_message(
    verdict: Verdict, step: CodeStep | None, now: datetime, *, signed_in: bool = False
) -> str:
    """What a refused code means and what to do next.

    :param signed_in: the code was for a logged-in user (step-up, number change): without a
        live step he asks for a new code; "log in again" is for the login's code page.
    """
    if verdict.outcome is Outcome.WRONG:
        if verdict.used_up:
            nxt = when_next(step, now) if step is not None else _("Ask for a new code.")
            return _("Wrong code. This code is now used up. %(next)s", next=nxt)
        return ngettext(
            "Wrong code. %(num)s attempt left for this code.",
            "Wrong code. %(num)s attempts left for this code.",
            verdict.attempts_left,
        )
    if verdict.outcome is Outcome.EXPIRED:
        again = _("Ask for a new code.") if signed_in else _("Log in again.")
        nxt = when_next(step, now) if step is not None else again
        return _("This code is no longer valid. %(next)s", next=nxt)
    if verdict.outcome is Outcome.PAUSED:
        return paused_message(verdict.retry_at, now)
    return locked_message()


def unusable_number(reason: str) -> str:
    """A typed number refused for ``reason``, a :class:`PhoneError` message (a message id)."""
    return _(UNUSABLE, reason=_(reason))


LOCKED_MESSAGE = N_(
    "Your second factor is locked after too many wrong codes: no code can be sent. "
    "Ask your administrator to unlock it."
)


def locked_message() -> str:
    """:data:`LOCKED_MESSAGE` in the reader's language."""
    return _(LOCKED_MESSAGE)


def paused_message(retry_at: datetime | None, now: datetime) -> str:
    if retry_at is None:
        return _("Too many wrong codes today: try again later.")
    return _(
        "Too many wrong codes today: no code can be sent or checked before "
        "%(time)s UTC (%(when)s).",
        time=retry_at.strftime("%H:%M"),
        when=relative(retry_at, now),
    )


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
             ("Chromium/", "Chromium"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))  # fmt: skip
_SYSTEMS = (("Windows", "Windows"), ("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iOS"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))  # fmt: skip


def device_label(user_agent: str) -> str:
    """ "Chrome on Windows" from a user agent, for the list of remembered PCs."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), None)
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), None)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or (user_agent[:40] or _("unknown client"))
