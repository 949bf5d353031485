"""JSON endpoints for desktop and script clients (described in ``openapi.yaml``)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from ..i18n import gettext as _
from ..rules import recovery as recovery_rule
from ..rules.notices import N_
from ..services import login, recovery
from ..services.challenges import LOGIN
from ..services.verification import Outcome
from ..state import State, get_state
from . import answers, login_session, pending
from .blueprint import api_bp
from .guards import json_object_or_problem, problem

DESTINATIONS = ("primary", "backup")
#: The refusal of a resend to a phone the user does not have, by destination.
NO_SUCH_PHONE = {
    "primary": N_("You have no verified primary phone."),
    "backup": N_("You have no verified backup phone."),
}


def _pending_or_problem() -> pending.Pending | Response:
    pend = pending.current(get_state())
    if pend is None:
        return problem("login_required", 401, message=_("Log in with your password first."))
    return pend


def _awaiting_number(pend: pending.Pending) -> Response:
    state = get_state()
    enrolling = pend.enrolling
    assert enrolling is not None
    user = state.find_user(pend.user_id)
    admin = bool(user is not None and state.ref(user).is_admin)
    return answers.number_needed(login.NumberNeeded(enrolling, admin), json=True)


@api_bp.route("/api/challenge", methods=["GET"], provide_automatic_options=False)
def api_challenge() -> Response:
    state = get_state()
    pend = _pending_or_problem()
    if isinstance(pend, Response):
        return pend
    if pend.awaiting_number:
        return _awaiting_number(pend)
    step = login_session.current_step(state, pend)
    if step is None:
        return problem("login_required", 401, message=_("This login ended: log in again."))
    body = answers.code_step_body(step, state.now())
    # Read here, not in every code step: the login's own answers keep their statement count.
    body["recovery_offered"] = recovery.offered(state, pend.user_id, step.purpose)
    return jsonify(body)


def _code_step_request() -> tuple[pending.Pending, dict[str, Any]] | Response:
    """The pending login waiting for a code and the request's JSON object, or the refusal."""
    pend = _pending_or_problem()
    if isinstance(pend, Response):
        return pend
    if pend.awaiting_number:
        return problem("enrolment_required", 409, message=_("Enter your mobile number first."))
    data = json_object_or_problem()
    if isinstance(data, Response):
        return data
    return pend, data


@api_bp.route("/api/verify", methods=["POST"], provide_automatic_options=False)
def api_verify() -> Response:
    state = get_state()
    asked = _code_step_request()
    if isinstance(asked, Response):
        return asked
    pend, data = asked
    remember_pc = data.get("remember_pc") is True
    outcome = login_session.submit(state, pend, data.get("code"), remember_pc=remember_pc)
    return _submitted(state, pend, outcome)


@api_bp.route("/api/recovery", methods=["POST"], provide_automatic_options=False)
def api_recovery() -> Response:
    """A recovery code instead of the SMS code: the same answers as ``/api/verify``.

    A missing or malformed code (not ten characters of the codes' alphabet) is 400 and counts
    nothing: it cannot be a code, so it tells an attacker nothing he could count on.
    """
    state = get_state()
    asked = _code_step_request()
    if isinstance(asked, Response):
        return asked
    pend, data = asked
    if not recovery.allowed_for(state, pend.user_id):
        message = _("Recovery codes are turned off for this account.")
        return problem("recovery_disabled", 403, message=message)
    code = recovery_rule.normalize(data.get("code"))
    if code is None:
        message = _("Send a recovery code: ten letters and digits, like abcde-23456.")
        return problem("bad_request", 400, message=message)
    step = login_session.current_step(state, pend)
    if step is not None and step.purpose != LOGIN:
        message = _("A recovery code cannot verify a new number: enter the code sent to it.")
        return problem("recovery_not_offered", 409, message=message)
    remember_pc = data.get("remember_pc") is True
    outcome = login_session.submit(state, pend, None, remember_pc=remember_pc, recovery_code=code)
    return _submitted(state, pend, outcome)


def _submitted(state: State, pend: pending.Pending, outcome: login.SubmitOutcome) -> Response:
    """The answer to a judged code, SMS or recovery."""
    if isinstance(outcome, login.Finished):
        return login_session.finished(state, outcome, pend)
    if isinstance(outcome, login.CodeStep):
        return jsonify(answers.code_step_body(outcome, state.now()))
    if isinstance(outcome, login.NumberNeeded):
        return answers.number_needed(outcome, json=True)
    step = None
    if outcome.outcome in (Outcome.WRONG, Outcome.EXPIRED):
        step = login_session.current_step(state, pend)
    return answers.verdict(outcome, step, state.now())


@api_bp.route("/api/resend", methods=["POST"], provide_automatic_options=False)
def api_resend() -> Response:
    state = get_state()
    asked = _code_step_request()
    if isinstance(asked, Response):
        return asked
    pend, data = asked
    destination = data.get("destination", "primary")
    if destination not in DESTINATIONS:
        message = _('destination must be "primary" or "backup".')
        return problem("bad_request", 400, message=message)
    result = login_session.resend(state, pend, destination)
    if result is None:
        return problem("login_required", 401, message=_("This login ended: log in again."))
    if not result.sent and not result.to:
        return problem("no_such_phone", 409, message=_(NO_SUCH_PHONE[destination]))
    login_ends_at = pend.started_at + state.settings.pending_lifetime
    return answers.resent(result, state.now(), login_ends_at)
