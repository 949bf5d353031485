"""What the code step tells people, in one place: each sentence true when it is shown.

Times are relative for people ("in 42 s"); JSON answers carry the absolute time beside them.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from ..rules.sending_limits import Refusal
from ..services.login import CodeStep
from ..services.verification import Outcome, Verdict

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
        return "now"
    if seconds < 60:
        return f"in {seconds} s"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"in {minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"in {hours} h {minutes} min" if minutes else f"in {hours} h"


def ago(moment: datetime, now: datetime) -> str:
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return f"{seconds} s ago"
    return f"{seconds // 60} min ago"


def when_next(step: CodeStep, now: datetime) -> str:
    """When another code can be asked for, as a sentence."""
    if step.next_send_at is None:
        return "No more codes can be sent for this login: log in again later."
    if step.next_send_at <= now:
        return "You can ask for a new code now."
    return f"You can ask for a new code {relative(step.next_send_at, now)}."


_REFUSAL = {
    Refusal.COOLDOWN: "a code was sent less than a minute ago",
    Refusal.LOGIN_CAP: "this login has had all the codes it may have",
    Refusal.USER_CAP: "you have had all the codes allowed in 24 hours",
    Refusal.NUMBER_CAP: "this number has had all the codes allowed in 24 hours",
}


def step_status(step: CodeStep, now: datetime) -> str:
    """The main sentence of the code step: whether and when a code went to which phone."""
    if step.send_failed:
        backup = " — try your backup phone" if step.backup_available else ""
        return f"We could not send the SMS to {step.masked}{backup}."
    if step.delivery == "not_delivered":
        reason = f" ({step.delivery_reason})" if step.delivery_reason else ""
        nxt = " — send it to your backup phone?" if step.backup_available else ""
        return f"The SMS to {step.masked} was not delivered{reason}{nxt}"
    if step.code_sent_at is None:
        why = _REFUSAL.get(step.refusal, "the sending limits") if step.refusal else "limits"
        return f"No code was sent to {step.masked}: {why}. {when_next(step, now)}"
    if not step.code_usable:
        return f"The code sent to {step.masked} can no longer be used. {when_next(step, now)}"
    if step.new_code or now - step.code_sent_at < _JUST_NOW:
        return f"We sent a code by SMS to {step.masked}."
    return (
        f"We sent a code by SMS to {step.masked} {ago(step.code_sent_at, now)}; "
        "it is still valid: enter it."
    )


def resend_notice(
    sent: bool, to: str, refusal: Refusal | None, step: CodeStep, now: datetime
) -> str:
    if sent:
        return f"A new code was sent to {to}. Codes sent before it no longer work."
    if not to:
        return "There is no such phone for your account: no code was sent."
    why = _REFUSAL.get(refusal, "the sending limits") if refusal else "the sending limits"
    return f"No new code was sent to {to}: {why}. {when_next(step, now)}"


def verdict_message(verdict: Verdict, step: CodeStep | None, now: datetime) -> str:
    """What a refused code means and what to do next."""
    if verdict.outcome is Outcome.WRONG:
        if verdict.used_up:
            nxt = when_next(step, now) if step is not None else "Ask for a new code."
            return f"Wrong code. This code is now used up. {nxt}"
        left = verdict.attempts_left
        return f"Wrong code. {left} attempt{'s' if left != 1 else ''} left for this code."
    if verdict.outcome is Outcome.EXPIRED:
        nxt = when_next(step, now) if step is not None else "Log in again."
        return f"This code is no longer valid. {nxt}"
    if verdict.outcome is Outcome.PAUSED:
        return paused_message(verdict.retry_at, now)
    return LOCKED_MESSAGE


LOCKED_MESSAGE = (
    "Your second factor is locked after too many wrong codes: no code can be sent. "
    "Ask your administrator to unlock it."
)


def paused_message(retry_at: datetime | None, now: datetime) -> str:
    if retry_at is None:
        return "Too many wrong codes today: try again later."
    return (
        f"Too many wrong codes today: no code can be sent or checked before "
        f"{retry_at.strftime('%H:%M')} UTC ({relative(retry_at, now)})."
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
        return f"{browser} on {system}"
    return browser or system or (user_agent[:40] or "unknown client")
