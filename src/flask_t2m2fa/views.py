"""The code page: enter the code, tick "Remember this PC", resend to the same or backup phone."""

from __future__ import annotations

from flask import Response, flash, render_template, url_for

from . import flow, handoff, pending, steps
from .blueprint import bp
from .forms import CodeForm, ResendForm
from .handoff import redirect
from .state import get_state
from .verification import Outcome, Verdict

MESSAGES = {
    Outcome.WRONG: "Wrong code.",
    Outcome.EXPIRED: "This code is no longer valid: ask for a new one.",
    Outcome.PAUSED: "Too many wrong codes today: try again later.",
    Outcome.LOCKED: "Your second factor is locked: ask your administrator to unlock it.",
}


def _to_login() -> Response:
    pending.end()
    return redirect(handoff.login_view_url(get_state()))


def _render(
    step: flow.CodeStep, form: CodeForm, *, verdict: Verdict | None = None, status: int = 200
) -> Response:
    pend = pending.current(get_state())
    html = render_template(
        "t2m2fa/code.html",
        step=step,
        enrolling=pend is not None and pend.enrolling is not None,
        form=form,
        resend_form=ResendForm(),
        message=MESSAGES.get(verdict.outcome) if verdict else None,
        attempts_left=verdict.attempts_left if verdict else None,
    )
    return Response(html, status)


@bp.route("/code", methods=["GET", "POST"])
def code() -> Response:
    state = get_state()
    pend = pending.current(state)
    if pend is not None and pend.awaiting_number:
        return redirect(url_for("t2m2fa.enrol"))
    user = state.find_user(pend.user_id) if pend else None
    live = steps.live_challenge(state, pend) if pend else None
    if pend is None or user is None or live is None:
        return _to_login()
    form = CodeForm()
    step = flow.code_step(state, state.ref(user), live)
    if not form.is_submitted():
        return _render(step, form)
    if not form.validate():  # CSRF token missing or wrong: nothing is evaluated
        return _render(step, form, status=400)
    result = steps.submit(state, pend, form.code.data or "", form.remember_pc.data is True)
    if isinstance(result, Response):
        return result
    status = 403 if result.outcome is Outcome.LOCKED else 401
    return _render(step, CodeForm(formdata=None), verdict=result, status=status)


@bp.route("/resend", methods=["POST"])
def resend() -> Response:
    state = get_state()
    pend = pending.current(state)
    if pend is None:
        return _to_login()
    if pend.awaiting_number:
        return redirect(url_for("t2m2fa.enrol"))
    form = ResendForm()
    if not form.validate():
        return redirect_code()
    answer = steps.resend(state, pend, form.destination.data)
    if answer is None:
        return _to_login()
    flash(f"If the limits allow it, a new code was sent to {answer.sent_to}.", "t2m2fa")
    return redirect_code()


def redirect_code() -> Response:
    return redirect(url_for("t2m2fa.code"))
