"""Outcomes into answers: the JSON bodies and the HTML responses of the code step.

The one place where a service's outcome becomes what a client sees. JSON clients (they send
JSON, or prefer it to HTML) get bodies described in ``openapi.yaml``; browsers get redirects
and pages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from flask import Response, jsonify, render_template, request, url_for
from flask import redirect as _redirect

from ..i18n import gettext as _
from ..rules.notices import N_
from ..services.login import CodeStep, NumberNeeded, Resent
from ..services.verification import Outcome, Verdict
from . import wording
from .guards import problem

#: HTTP status of a refused code.
VERDICT_STATUS = {
    Outcome.WRONG: 401,
    Outcome.EXPIRED: 401,
    Outcome.PAUSED: 429,
    Outcome.LOCKED: 403,
}
#: What the enrolment step asks for, by the role of the number awaited.
NUMBER_NEEDED = {
    "primary": N_("Enter your primary mobile number: a code will be sent to check it."),
    "backup": N_("Enter your backup mobile number: a code will be sent to check it."),
}


def wants_json() -> bool:
    """JSON clients send JSON or prefer it to HTML."""
    if request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def redirect(location: str) -> Response:
    """``flask.redirect``, typed as the app's response class it returns."""
    return cast(Response, _redirect(location))


def _timing(at: datetime | None, now: datetime) -> dict[str, Any]:
    """An absolute time for programs and the seconds until it for people's clients."""
    if at is None:
        return {"at": None, "in_seconds": None}
    return {"at": wording.iso(at), "in_seconds": wording.seconds_until(at, now)}


def code_step_body(step: CodeStep, now: datetime) -> dict[str, Any]:
    """The JSON of a code step: ``sent_to`` is set only when a code really went out."""
    resend = _timing(step.next_send_at, now)
    sent = step.code_sent_at is not None and not step.send_failed
    return {
        "status": "2fa_required",
        "purpose": step.purpose,
        "destination": step.destination,
        "phone": step.masked,
        "sent_to": step.masked if sent else None,
        "code_sent_at": wording.iso(step.code_sent_at) if sent and step.code_sent_at else None,
        "new_code_sent": step.new_code,
        "code_usable": step.code_usable,
        "not_sent_reason": step.refusal.value if step.refusal and not step.new_code else None,
        "expires_at": wording.iso(step.expires_at),
        "resend_available_at": resend["at"],
        "resend_available_in": resend["in_seconds"],
        "remember_pc_offered": step.remember_offered,
        "backup_available": step.backup_available,
        "send_failed": step.send_failed,
        "delivery": step.delivery,
        "delivery_reason": step.delivery_reason,
        "message": wording.step_status(step, now),
    }


def code_step(step: CodeStep, now: datetime) -> Response:
    """A code is due: JSON clients get the step, browsers the code page."""
    if wants_json():
        return jsonify(code_step_body(step, now))
    return redirect(url_for("t2m2fa.code"))


def number_needed(outcome: NumberNeeded, *, json: bool = False) -> Response:
    """Ask for the number of a role: the enrolment page, or JSON ``enrolment_required``."""
    if json or wants_json():
        role = outcome.enrolling.role
        return jsonify(
            {
                "status": "enrolment_required",
                "role": role,
                "backup_required": outcome.backup_required,
                "message": _(NUMBER_NEEDED.get(role, NUMBER_NEEDED["primary"])),
            }
        )
    return redirect(url_for("t2m2fa.enrol"))


def blocked(status: str, http_status: int, message: str, **extra: Any) -> Response:
    """The login cannot go on (locked, paused, no phone): a page or a JSON problem."""
    if wants_json():
        return problem(status, http_status, message=message, **extra)
    html = render_template("t2m2fa/message.html", status=status, message=message)
    return Response(html, http_status)


def verdict(
    result: Verdict, step: CodeStep | None, now: datetime, *, signed_in: bool = False
) -> Response:
    """A refused code, as a JSON problem (browsers get the code page re-rendered instead);
    ``signed_in``: see :func:`wording.verdict_message`."""
    message = wording.verdict_message(result, step, now, signed_in=signed_in)
    extra: dict[str, Any] = {"message": message}
    if result.outcome is Outcome.WRONG:
        extra["attempts_left"] = result.attempts_left
        extra["code_used_up"] = result.used_up
    if result.retry_at is not None:
        extra["retry_at"] = wording.iso(result.retry_at)
    if step is not None and result.outcome in (Outcome.WRONG, Outcome.EXPIRED):
        extra["resend_available_at"] = _timing(step.next_send_at, now)["at"]
    response = problem(result.outcome.value, VERDICT_STATUS[result.outcome], **extra)
    if result.outcome is Outcome.PAUSED and result.retry_at is not None:
        response.headers["Retry-After"] = str(wording.seconds_until(result.retry_at, now))
    return response


def resent_body(resent: Resent, now: datetime) -> dict[str, Any]:
    step = resent.step
    resend = _timing(step.next_send_at, now)
    return {
        "status": "code_sent" if resent.sent else "code_not_sent",
        "sent": resent.sent,
        "destination": step.destination,
        "sent_to": resent.to if resent.sent else None,
        "not_sent_reason": resent.refusal.value if resent.refusal else None,
        "live_code_sent_to": step.masked if step.code_sent_at and not step.send_failed else None,
        "resend_available_at": resend["at"],
        "resend_available_in": resend["in_seconds"],
        "message": wording.resend_notice(resent.sent, resent.to, resent.refusal, step, now),
    }


def resent(result: Resent, now: datetime, login_ends_at: datetime) -> Response:
    """JSON answer of a resend: 200 when a code went out, 429 with Retry-After when not.

    When no code can be sent within this login (its SMS cap), Retry-After is the time until the
    login ends: no resend helps before, only a new login after.
    """
    body = resent_body(result, now)
    response = jsonify(body)
    if not result.sent:
        response.status_code = 429
        wait = body["resend_available_in"]
        if wait is None:
            wait = wording.seconds_until(login_ends_at, now)
        response.headers["Retry-After"] = str(max(1, wait))
    return response
