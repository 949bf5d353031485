"""The step-up page and JSON endpoints: a logged-in user confirms it is him with a new code."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, render_template, request, session
from flask_login import current_user

from ..forms import CodeForm, ResendForm
from ..i18n import gettext as _
from ..services import login, step_up, unit_of_work
from ..services.verification import Outcome
from ..state import State, get_state
from . import answers, login_session, wording
from . import step_up as fresh
from .blueprint import api_bp, bp
from .guards import json_object, problem


def _outcome_answer(state: State, outcome: step_up.SendOutcome) -> Response | None:
    """The refusal of a step-up that cannot send a code, else None."""
    now = state.now()
    if isinstance(outcome, step_up.NoPhone):
        message = _("You have no verified phone to confirm it is you: ask another administrator.")
        return answers.blocked("setup_required", 403, message)
    if isinstance(outcome, login.Locked):
        return answers.blocked("locked", 403, wording.locked_message())
    if isinstance(outcome, login.Paused):
        return answers.blocked("try_later", 429, wording.paused_message(outcome.retry_at, now))
    return None


def _send(state: State) -> step_up.SendOutcome:
    outcome = step_up.send_code(state, state.ref(current_user))
    unit_of_work.commit(state.session)
    if isinstance(outcome, login.CodeStep):
        session[fresh.CHALLENGE_KEY] = outcome.challenge_id
    return outcome


def _live(state: State) -> login.CodeStep | None:
    cid = session.get(fresh.CHALLENGE_KEY)
    if not isinstance(cid, str):
        return None
    return step_up.live_step(state, state.ref(current_user), cid)


def _check(state: State, candidate: object) -> Any:
    cid = session.get(fresh.CHALLENGE_KEY)
    verdict = step_up.check(state, state.ref(current_user), str(cid or ""), candidate)
    unit_of_work.commit(state.session)
    if verdict.outcome is Outcome.OK:
        fresh.record(state)
    return verdict


def _page(state: State, step: login.CodeStep | None, target: str, **extra: Any) -> Response:
    now = state.now()
    html = render_template(
        "t2m2fa/step_up.html",
        step=step,
        status_line=wording.step_status(step, now) if step else None,
        next_url=target,
        form=CodeForm(formdata=None),
        send_form=ResendForm(),
        message=extra.get("message"),
    )
    return Response(html, extra.get("status", 200))


@bp.route("/step-up", methods=["GET", "POST"])
def step_up_page() -> Response:
    """GET: the page (a button sends the code); POST ``send`` or ``code``."""
    state = get_state()
    if not current_user.is_authenticated:
        return answers.redirect(login_session.login_view_url(state))
    target = login_session.safe_next(state, request.values.get("next"))
    if request.method == "GET":
        if fresh.is_fresh(state):
            return answers.redirect(target)
        return _page(state, _live(state), target)
    form = CodeForm()
    if not form.validate():
        return _page(
            state, _live(state), target, message=_("The form expired: try again."), status=400
        )
    if "send" in request.form:
        refused = _outcome_answer(state, outcome := _send(state))
        return refused or _page(
            state, outcome if isinstance(outcome, login.CodeStep) else None, target
        )
    verdict = _check(state, form.code.data or "")
    if verdict.outcome is Outcome.OK:
        return answers.redirect(target)
    step = _live(state)
    message = wording.verdict_message(verdict, step, state.now(), signed_in=True)
    return _page(
        state, step, target, message=message, status=answers.VERDICT_STATUS[verdict.outcome]
    )


@api_bp.post("/api/step-up")
def api_step_up() -> Response:
    """Send a step-up code; the answer is a code step of purpose ``step_up``."""
    state = get_state()
    if not current_user.is_authenticated:
        return problem("login_required", 401, message=_("Log in first."))
    outcome = _send(state)
    refused = _outcome_answer(state, outcome)
    if refused is not None or not isinstance(outcome, login.CodeStep):
        return refused or problem("setup_required", 403)
    return jsonify(answers.code_step_body(outcome, state.now()))


@api_bp.post("/api/step-up/verify")
def api_step_up_verify() -> Response:
    """Check a step-up code: ``{"status": "ok"}`` or the same problems as a login code."""
    state = get_state()
    if not current_user.is_authenticated:
        return problem("login_required", 401, message=_("Log in first."))
    verdict = _check(state, json_object().get("code"))
    if verdict.outcome is Outcome.OK:
        return jsonify({"status": "ok"})
    return answers.verdict(verdict, _live(state), state.now(), signed_in=True)
